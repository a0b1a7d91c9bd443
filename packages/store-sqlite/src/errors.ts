// Errors of @reprise/store-sqlite: the SQLite files themselves failing under an open store.
// Each extends core's StoreError (so `instanceof StoreError` and code STORE_ERROR hold); none is raised for bad input.
import { StoreError } from "@reprise/core";

/** Which of a store's files a DatabaseFileLostError is about: the database itself or its write-ahead log. */
export type StoreFileKind = "database" | "wal";

/** What happened to the file: no file has the path any more, or the path now names a different file. */
export type StoreFileProblem = "deleted" | "replaced";

/**
 * The database file (or its `-wal` file) was deleted or replaced while the store had it open. SQLite would
 * keep writing to the unlinked file, so from here on the store acknowledges nothing: the batch that found it
 * out, every write still queued, and every later read and write fail with this error, for good.
 *
 * @example
 * try {
 *   await engine.start(order, input);
 * } catch (error) {
 *   if (error instanceof DatabaseFileLostError) console.error(error.path, error.problem, error.lastVerifiedAtMs);
 * }
 */
export class DatabaseFileLostError extends StoreError {
  /** The database file's path as opened (absolute). */
  readonly filename: string;
  /** The path that was found deleted or replaced: the database file, or `<filename>-wal`. */
  readonly path: string;
  readonly file: StoreFileKind;
  readonly problem: StoreFileProblem;
  /** When the file was last found in place (epoch ms): writes committed after it are not in the file at the path. */
  readonly lastVerifiedAtMs: number;

  constructor(details: {
    filename: string;
    path: string;
    file: StoreFileKind;
    problem: StoreFileProblem;
    lastVerifiedAtMs: number;
    /** For a lost -wal: whether copying the log into the database file (a checkpoint) completed. */
    walRescued?: boolean;
  }) {
    const { filename, path, file, problem, lastVerifiedAtMs, walRescued } = details;
    const since = new Date(lastVerifiedAtMs).toISOString();
    const what = file === "database" ? `The database file ${path}` : `The write-ahead log ${path}`;
    const happened = problem === "deleted" ? "was deleted" : "was replaced by another file";
    const consequence =
      file === "database"
        ? problem === "deleted"
          ? `nothing written since ${since} is durable (SQLite kept writing to the deleted file).`
          : `nothing written since ${since} is in the file now at that path (SQLite kept writing to the old file).`
        : walRescued === true
          ? `what it held was copied into ${filename} (nothing acknowledged is lost), but this connection can no ` +
            `longer write safely.`
          : `transactions committed since ${since} may exist only in the deleted log and are not durable.`;
    super(
      `${what} ${happened} while this store had it open: ${consequence} The store now refuses every read and ` +
        `write. Stop every process using it, then put the right file back (a backup: remove the stale -wal and -shm ` +
        `files beside it first) and restart them with the right filename (--db).`,
    );
    this.filename = filename;
    this.path = path;
    this.file = file;
    this.problem = problem;
    this.lastVerifiedAtMs = lastVerifiedAtMs;
  }
}

/**
 * Why `SqliteRunReader.open` cannot read a file: there is none, it is not SQLite, it is an empty SQLite file (no
 * engine has used it yet), a SQLite file of something else, or a store of a newer or older schema version.
 */
export type StoreFileUnreadableProblem = "missing" | "not-sqlite" | "empty" | "foreign" | "newer" | "older";

const UNREADABLE: Record<StoreFileUnreadableProblem, string> = {
  missing: "there is no file at that path",
  "not-sqlite": "it is not a SQLite database, so not a Reprise store",
  empty: "it is an empty SQLite database, not a Reprise store yet (an engine creates the store when it opens it)",
  foreign: "it is a SQLite database but not a Reprise store (it has other tables)",
  newer: "its schema version is newer than this @reprise/store-sqlite reads; upgrade it",
  older:
    "its schema version is older than this @reprise/store-sqlite reads; open it once with SqliteStore to migrate it",
};

/**
 * A file `SqliteRunReader.open` refuses to read: `problem` says why, `schemaVersion` which version a store of
 * another version has. Nothing was written to the file.
 *
 * @example
 * try {
 *   await SqliteRunReader.open({ filename: "backup.db" });
 * } catch (error) {
 *   if (error instanceof StoreFileUnreadableError && error.problem === "older") console.error("migrate it first");
 * }
 */
export class StoreFileUnreadableError extends StoreError {
  readonly filename: string;
  readonly problem: StoreFileUnreadableProblem;
  readonly schemaVersion: number | undefined;

  constructor(
    filename: string,
    problem: StoreFileUnreadableProblem,
    options: { schemaVersion?: number; cause?: unknown } = {},
  ) {
    const version = options.schemaVersion === undefined ? "" : ` (schema version ${options.schemaVersion})`;
    super(`Cannot read '${filename}' as a Reprise store: ${UNREADABLE[problem]}${version}.`, {
      cause: options.cause,
    });
    this.filename = filename;
    this.problem = problem;
    this.schemaVersion = options.schemaVersion;
  }
}
