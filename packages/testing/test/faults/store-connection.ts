// Test-only access to the better-sqlite3 connection a SqliteStore opened, to set per-connection pragmas on it.
// A stopgap: SqliteStore exposes no such hook yet (see docs/testing.md); replace it when one exists.
import Database from "better-sqlite3";
import { SqliteStore } from "@reprise/store-sqlite";

/**
 * Opens a SqliteStore and returns it with its own connection, found by watching which connection prepares
 * statements while the store opens and answers its first query.
 */
export async function openWithConnection(filename: string): Promise<{ store: SqliteStore; db: Database.Database }> {
  const seen = new Set<Database.Database>();
  const prototype = Database.prototype as { prepare: (this: Database.Database, source: string) => unknown };
  const prepare = prototype.prepare;
  prototype.prepare = function (this: Database.Database, source: string) {
    seen.add(this);
    return prepare.call(this, source);
  };
  let store: SqliteStore;
  try {
    store = await SqliteStore.open({ filename });
    await store.getRun("warm-up");
  } finally {
    prototype.prepare = prepare;
  }
  const open = [...seen].filter((db) => db.open);
  if (open.length !== 1) throw new Error(`expected to see one open store connection, saw ${open.length}`);
  return { store, db: open[0] as Database.Database };
}
