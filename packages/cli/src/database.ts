// Opens the store a command's --db names: a SQLite file path, or a postgres:// URL (schema from ?schema= or --schema).
// Read-only commands get a RunReader (a SQLite file read-only); commands that act on runs get a Store and a client engine.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import {
  createEngine,
  RepriseError,
  type Engine,
  type RunExporter,
  type RunImporter,
  type RunReader,
  type Store,
} from "@reprise/core";
import type { PostgresStore } from "@reprise/store-postgres";
import { LATEST_SCHEMA_VERSION, SqliteRunReader, SqliteStore, StoreFileUnreadableError } from "@reprise/store-sqlite";
import { CliError } from "./errors.js";

/** Where `--db` points when it is not given. */
export const DEFAULT_DB = "./reprise.db";

/** The PostgreSQL schema used when neither `?schema=` nor `--schema` names one. */
export const DEFAULT_POSTGRES_SCHEMA = "reprise";

/**
 * The store `--db` names: a SQLite file (absolute path) or a PostgreSQL database and schema. `shownAs` is what
 * messages print: the option as given for a file, the URL without its password for PostgreSQL.
 *
 * @example
 * const target: StoreTarget = { kind: "postgres", connectionString: "postgres://db/app", schema: "reprise", shownAs: "postgres://db/app" };
 */
export type StoreTarget =
  | { readonly kind: "sqlite"; readonly filename: string; readonly shownAs: string }
  | { readonly kind: "postgres"; readonly connectionString: string; readonly schema: string; readonly shownAs: string };

/**
 * Reads `--db` (and `--schema`): a `postgres://` or `postgresql://` URL names a PostgreSQL database, its schema
 * taken from the URL's `?schema=` parameter, else `--schema`, else "reprise" (both given and different: an
 * error); anything else is a SQLite file path, resolved against `cwd`. Does not touch the store.
 *
 * @example
 * parseDbOption("postgres://app@db:5432/app?schema=orders", "/srv"); // { kind: "postgres", schema: "orders", ... }
 * parseDbOption("./reprise.db", "/srv"); // { kind: "sqlite", filename: "/srv/reprise.db", shownAs: "./reprise.db" }
 */
export function parseDbOption(dbOption: string, cwd: string, schemaOption?: string): StoreTarget {
  if (!/^postgres(ql)?:\/\//i.test(dbOption)) {
    if (schemaOption !== undefined) {
      throw new CliError(`--schema applies to a PostgreSQL --db (postgres://...), not to the SQLite file ${dbOption}`);
    }
    return { kind: "sqlite", filename: resolve(cwd, dbOption), shownAs: dbOption };
  }
  let url: URL;
  try {
    url = new URL(dbOption);
  } catch (error) {
    throw new CliError(`--db is not a valid PostgreSQL URL; use postgres://user@host:5432/database`, { cause: error });
  }
  const fromUrl = url.searchParams.get("schema") ?? undefined;
  if (fromUrl !== undefined && schemaOption !== undefined && fromUrl !== schemaOption) {
    throw new CliError(`--db names schema '${fromUrl}' and --schema '${schemaOption}'; give one of them`);
  }
  // node-postgres would read an unknown ?schema= as a connection setting; the store takes the schema apart.
  url.searchParams.delete("schema");
  const shown = new URL(url.toString());
  if (shown.password !== "") shown.password = "***";
  return {
    kind: "postgres",
    connectionString: url.toString(),
    schema: fromUrl ?? schemaOption ?? DEFAULT_POSTGRES_SCHEMA,
    shownAs: `${shown.toString()} (schema ${fromUrl ?? schemaOption ?? DEFAULT_POSTGRES_SCHEMA})`,
  };
}

/**
 * Resolves a SQLite `--db` against `cwd` and fails with one clear line when there is no database file there.
 * Commands call this first so that they never create an empty database by accident.
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

/** A store as the CLI opens it for writing: the Store, its RunReader, and moving whole runs in and out. */
export type ToolStore = Store & RunReader & RunExporter & RunImporter;

/** What a command opened: the store's reader, and a way to let go of it. */
export interface OpenedReader {
  readonly reader: RunReader & RunExporter;
  readonly target: StoreTarget;
  close(): Promise<void>;
}

/**
 * Opens the store `--db` names for reading only. A SQLite file is read on a read-only connection (it never
 * writes, migrates or takes the write lock); PostgreSQL through a PostgresStore. Throws CliError naming the
 * problem for a missing file, one that is not a Reprise store or of another version, or an unreachable server.
 *
 * @example
 * const { reader, close } = await openReader("./reprise.db", process.cwd());
 * try { console.log(await reader.countRunsByStatus()); } finally { await close(); }
 */
export async function openReader(dbOption: string, cwd: string, schemaOption?: string): Promise<OpenedReader> {
  const target = parseDbOption(dbOption, cwd, schemaOption);
  if (target.kind === "postgres") {
    const store = await openPostgres(target, false);
    return { reader: store, target, close: () => store.close() };
  }
  const reader = await openSqliteReader(requireDatabase(dbOption, cwd), target.shownAs);
  return { reader, target, close: () => reader.close() };
}

/** A store (also its RunReader) plus an engine that executes nothing: it only starts, signals, cancels and reads runs. */
export interface Client {
  readonly store: ToolStore;
  readonly engine: Engine;
  readonly target: StoreTarget;
  close(): Promise<void>;
}

/**
 * Opens the store `--db` names for actions (start, signal, cancel) and reads through the public engine API. The
 * engine has no workflows and does not poll, so it never runs a step in the CLI's process. A SQLite file must
 * exist and be a Reprise store of this version (checked read-only first, so a wrong file is never changed).
 *
 * @example
 * const client = await openClient("postgres://app@db/app", process.cwd());
 * try { await client.engine.cancel("order-7"); } finally { await client.close(); }
 */
export async function openClient(dbOption: string, cwd: string, schemaOption?: string): Promise<Client> {
  const target = parseDbOption(dbOption, cwd, schemaOption);
  let store: ToolStore;
  if (target.kind === "postgres") {
    store = await openPostgres(target, false);
  } else {
    const filename = requireDatabase(dbOption, cwd);
    await (await openSqliteReader(filename, target.shownAs)).close();
    store = await SqliteStore.open({ filename });
  }
  const engine = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
  return {
    store,
    engine,
    target,
    async close() {
      await engine.close();
      await store.close();
    },
  };
}

/**
 * Opens the store `--db` names as a worker does: a SQLite file is created when missing, a PostgreSQL schema
 * likewise, and either is migrated to this version.
 *
 * @example
 * const { store } = await openWorkerStore("./reprise.db", process.cwd());
 */
export async function openWorkerStore(
  dbOption: string,
  cwd: string,
  schemaOption?: string,
): Promise<{ store: ToolStore; target: StoreTarget }> {
  const target = parseDbOption(dbOption, cwd, schemaOption);
  const store = target.kind === "postgres" ? await openPostgres(target, true) : await SqliteStore.open(target);
  return { store, target };
}

/**
 * A PostgresStore on the target. Only workers (and a copy's target) create or migrate the schema (`migrate`); the
 * other commands open an existing store as it is, so a mistyped schema is an error, not a new empty store.
 */
async function openPostgres(
  target: Extract<StoreTarget, { kind: "postgres" }>,
  migrate: boolean,
): Promise<PostgresStore> {
  // Loaded only for a URL: a command on a SQLite file does not pay for the PostgreSQL driver's start-up.
  const { PostgresStore } = await import("@reprise/store-postgres");
  try {
    return await PostgresStore.open({
      connectionString: target.connectionString,
      schema: target.schema,
      max: 4,
      migrate,
    });
  } catch (error) {
    // The store's errors say what is wrong and what to do; the CLI prints them as its one line.
    if (error instanceof RepriseError)
      throw new CliError(`cannot open ${target.shownAs}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** A SQLite file read-only, its problems as the CLI's one-line errors. */
async function openSqliteReader(filename: string, shownAs: string): Promise<SqliteRunReader> {
  try {
    return await SqliteRunReader.open({ filename });
  } catch (error) {
    if (!(error instanceof StoreFileUnreadableError)) {
      throw new CliError(`cannot open ${shownAs}: ${(error as Error).message}`, { cause: error });
    }
    throw new CliError(describeUnreadable(error, shownAs), { cause: error });
  }
}

function describeUnreadable(error: StoreFileUnreadableError, shownAs: string): string {
  const version = error.schemaVersion ?? 0;
  switch (error.problem) {
    case "missing":
      return `no database at ${shownAs}; pass --db <file> (or set REPRISE_DB)`;
    case "not-sqlite":
      return `${shownAs} is not a SQLite database, so not a Reprise store; check --db`;
    case "empty":
      return `${shownAs} is an empty SQLite database, not a Reprise store yet; start a worker on it (reprise worker) or check --db`;
    case "foreign":
      return `${shownAs} is a SQLite database but not a Reprise store (it has other tables); check --db`;
    case "newer":
      return `${shownAs} has schema version ${version}, newer than this reprise CLI reads (${LATEST_SCHEMA_VERSION}); upgrade @reprise/cli`;
    case "older":
      return (
        `${shownAs} has schema version ${version}, older than this reprise CLI reads (${LATEST_SCHEMA_VERSION}); ` +
        `start a worker of this version on it once to migrate it`
      );
  }
}
