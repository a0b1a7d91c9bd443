// The options of SqliteStore.open: what each one means, its default, and the check that refuses a bad value.
// Pure: it validates and fills in defaults, and never opens a file.
import { InvalidArgumentError } from "@reprise/core";

/**
 * Options of `SqliteStore.open`.
 *
 * @example
 * await SqliteStore.open({ filename: "reprise.db", synchronous: "normal", busyTimeoutMs: 10_000 });
 */
export interface SqliteStoreOptions {
  /** Path of the database file (created if missing), or ":memory:" for a private in-memory store. */
  readonly filename: string;
  /**
   * "full" (default): a commit survives power loss. "normal": faster, but in WAL mode the last
   * commits before a power cut (not a process crash) may be lost.
   */
  readonly synchronous?: "full" | "normal";
  /** How long a write waits for another connection's write lock before failing. Default 5,000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * Checkpoint the WAL (copy it into the database file, so it can be rewritten from its start) once a commit
   * leaves it at least this many pages long (PRAGMA wal_autocheckpoint). Default 1,000 pages (SQLite's own), about
   * 4 MiB with 4 KiB pages. On a small disk set it lower: 256 pages bounds the WAL to about 1 MiB, and costs
   * sequential runs about 8% more latency (more frequent checkpoints, each an fsync of the database file).
   * 0 turns automatic checkpoints off and leaves the WAL unbounded.
   */
  readonly walAutocheckpointPages?: number;
  /**
   * After a checkpoint, the WAL is cut back to at most this many bytes (PRAGMA journal_size_limit); without a
   * limit SQLite keeps the WAL as large as it ever grew (after one large transaction, for ever). Default 4 MiB
   * (4,194,304 bytes), the size the default checkpoint interval leaves it at.
   */
  readonly journalSizeLimitBytes?: number;
  /**
   * Every commit checks, before it is acknowledged, that the database file is still the file this store opened
   * (one `stat`). Its `-wal` is checked too when the last such check is older than this. Default 100 ms: a WAL
   * deleted or replaced under the store is noticed by the first commit at most 100 ms after the last check.
   * 0 checks the WAL after every commit too, which costs sequential runs about 20% of their latency (measured:
   * a `stat` of the WAL right after its fsync is slow).
   */
  readonly fileCheckIntervalMs?: number;
}

/** Default of `SqliteStoreOptions.walAutocheckpointPages`. */
const DEFAULT_WAL_AUTOCHECKPOINT_PAGES = 1000;
/** Default of `SqliteStoreOptions.journalSizeLimitBytes`. */
const DEFAULT_JOURNAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;
/** Default of `SqliteStoreOptions.fileCheckIntervalMs`. */
const DEFAULT_FILE_CHECK_INTERVAL_MS = 100;

/** SqliteStoreOptions with every default filled in, checked. */
export type ResolvedSqliteStoreOptions = Required<SqliteStoreOptions>;

/**
 * Checks `options` and fills in the defaults; throws InvalidArgumentError naming the option and its default.
 *
 * @example
 * resolveSqliteStoreOptions({ filename: "reprise.db" }).walAutocheckpointPages; // 1000
 */
export function resolveSqliteStoreOptions(options: SqliteStoreOptions): ResolvedSqliteStoreOptions {
  const {
    filename,
    synchronous = "full",
    busyTimeoutMs = 5_000,
    walAutocheckpointPages = DEFAULT_WAL_AUTOCHECKPOINT_PAGES,
    journalSizeLimitBytes = DEFAULT_JOURNAL_SIZE_LIMIT_BYTES,
    fileCheckIntervalMs = DEFAULT_FILE_CHECK_INTERVAL_MS,
  } = options;
  if (typeof filename !== "string" || filename.length === 0) {
    throw new InvalidArgumentError('SqliteStore.open() needs { filename }, e.g. { filename: "reprise.db" }.');
  }
  if (synchronous !== "full" && synchronous !== "normal") {
    throw new InvalidArgumentError(
      `SqliteStore.open({ synchronous }) must be "full" or "normal" (got ${String(synchronous)}).`,
    );
  }
  assertWholeNumber("busyTimeoutMs", busyTimeoutMs, "5000");
  assertWholeNumber("walAutocheckpointPages", walAutocheckpointPages, String(DEFAULT_WAL_AUTOCHECKPOINT_PAGES));
  assertWholeNumber("journalSizeLimitBytes", journalSizeLimitBytes, `${DEFAULT_JOURNAL_SIZE_LIMIT_BYTES} (4 MiB)`);
  assertWholeNumber("fileCheckIntervalMs", fileCheckIntervalMs, String(DEFAULT_FILE_CHECK_INTERVAL_MS));
  return { filename, synchronous, busyTimeoutMs, walAutocheckpointPages, journalSizeLimitBytes, fileCheckIntervalMs };
}

/** Throws InvalidArgumentError unless an option of `SqliteStore.open` is a whole number ≥ 0. */
function assertWholeNumber(option: string, value: number, defaultText: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `SqliteStore.open({ ${option} }) must be an integer ≥ 0 (got ${String(value)}); the default is ${defaultText}.`,
    );
  }
}
