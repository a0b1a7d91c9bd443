// Real SQLite stores in fresh temporary directories, for tests: open, reopen after a "crash", clean up.
// Never a mock: the file is the same kind production uses, with the same pragmas.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore, type SqliteStoreOptions } from "@reprise/store-sqlite";

/** A store in its own temporary directory, plus ways to open more connections to the same file. */
export interface TemporaryStore {
  /** The first connection, opened by `temporaryStore()`. */
  readonly store: SqliteStore;
  /** Path of the SQLite file. */
  readonly filename: string;
  /** Opens another connection to the same file (another "process" or a restart). */
  open(options?: Omit<SqliteStoreOptions, "filename">): Promise<SqliteStore>;
  /** Closes every connection opened here and deletes the directory. */
  cleanup(): Promise<void>;
}

/**
 * Creates a Reprise SQLite store in a new temporary directory.
 *
 * @example
 * const tmp = await temporaryStore();
 * const engine = createEngine({ store: tmp.store, workflows: [greet] });
 * // ...
 * await engine.close();
 * await tmp.cleanup();
 */
export async function temporaryStore(options: Omit<SqliteStoreOptions, "filename"> = {}): Promise<TemporaryStore> {
  const directory = mkdtempSync(join(tmpdir(), "reprise-test-"));
  const filename = join(directory, "reprise.db");
  const opened: SqliteStore[] = [];
  const open = async (more: Omit<SqliteStoreOptions, "filename"> = {}): Promise<SqliteStore> => {
    const store = await SqliteStore.open({ filename, ...options, ...more });
    opened.push(store);
    return store;
  };
  const store = await open();
  return {
    store,
    filename,
    open,
    async cleanup() {
      for (const connection of opened) await connection.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
