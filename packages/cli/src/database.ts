// Opens the SQLite file a command names: checks it exists and is a Reprise store before anything touches it.
// Read-only commands get a read-only connection; commands that act on runs get a SqliteStore and a client engine.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { createEngine, type Engine } from "@reprise/core";
import { LATEST_SCHEMA_VERSION, REPRISE_APPLICATION_ID, SqliteStore } from "@reprise/store-sqlite";
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import { CliError } from "./errors.js";

/** Where `--db` points when it is not given. */
export const DEFAULT_DB = "./reprise.db";

/**
 * Resolves `--db` against `cwd` and fails with one clear line when there is no database file there.
 * Read-only commands call this first so that they never create an empty database by accident.
 *
 * @example
 * const filename = requireDatabase("./reprise.db", process.cwd()); // absolute path, or throws CliError
 */
export function requireDatabase(dbOption: string, cwd: string): string {
  const filename = resolve(cwd, dbOption);
  const stats = statSync(filename, { throwIfNoEntry: false });
  if (stats === undefined) {
    throw new CliError(
      `no database at ${dbOption}; pass --db <file> (or set REPRISE_DB). A worker creates it: reprise worker --workflows <module> --db <file>`,
    );
  }
  if (!stats.isFile())
    throw new CliError(`${dbOption} is not a file; pass --db <file> with the path of a Reprise database`);
  return filename;
}

/**
 * Opens an existing Reprise store read-only: it never writes, migrates or takes the write lock. Throws
 * CliError naming the problem when the file is not a SQLite database, not a Reprise store, or from a newer version.
 *
 * @example
 * const db = openReadonly(requireDatabase("./reprise.db", cwd), "./reprise.db");
 * try { ... } finally { db.close(); }
 */
export function openReadonly(filename: string, shownAs: string): BetterSqlite3.Database {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new Database(filename, { readonly: true, fileMustExist: true });
    assertRepriseStore(db, shownAs);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof CliError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === "SQLITE_NOTADB") {
      throw new CliError(`${shownAs} is not a SQLite database, so not a Reprise store; check --db`, { cause: error });
    }
    throw new CliError(`cannot open ${shownAs}: ${(error as Error).message}`, { cause: error });
  }
}

function assertRepriseStore(db: BetterSqlite3.Database, shownAs: string): void {
  const applicationId = db.pragma("application_id", { simple: true }) as number;
  const version = db.pragma("user_version", { simple: true }) as number;
  if (applicationId !== REPRISE_APPLICATION_ID) {
    const { n } = db.prepare("select count(*) as n from sqlite_schema where type = 'table'").get() as { n: number };
    throw new CliError(
      n === 0
        ? `${shownAs} is an empty SQLite database, not a Reprise store yet; start a worker on it (reprise worker) or check --db`
        : `${shownAs} is a SQLite database but not a Reprise store (it has other tables); check --db`,
    );
  }
  if (version > LATEST_SCHEMA_VERSION) {
    throw new CliError(
      `${shownAs} has schema version ${version}, newer than this reprise CLI reads (${LATEST_SCHEMA_VERSION}); upgrade @reprise/cli`,
    );
  }
  if (version < LATEST_SCHEMA_VERSION) {
    throw new CliError(
      `${shownAs} has schema version ${version}, older than this reprise CLI reads (${LATEST_SCHEMA_VERSION}); ` +
        `start a worker of this version on it once to migrate it`,
    );
  }
}

/** A SqliteStore plus an engine that executes nothing: it only starts, signals, cancels and reads runs. */
export interface Client {
  readonly store: SqliteStore;
  readonly engine: Engine;
  close(): Promise<void>;
}

/**
 * Opens an existing Reprise store for actions (start, signal, cancel) through the public engine API.
 * The engine has no workflows and does not poll, so it never runs a step in the CLI's process.
 *
 * @example
 * const client = await openClient(filename, "./reprise.db");
 * try { await client.engine.cancel("order-7"); } finally { await client.close(); }
 */
export async function openClient(filename: string, shownAs: string): Promise<Client> {
  openReadonly(filename, shownAs).close();
  const store = await SqliteStore.open({ filename });
  const engine = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
  return {
    store,
    engine,
    async close() {
      await engine.close();
      await store.close();
    },
  };
}
