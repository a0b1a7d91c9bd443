// The check a SqliteStore runs after each commit and before acknowledging it: is it still writing to the files at
// its path? Owns how often each file is checked and the error a loss becomes; never touches the database itself.
import { resolve } from "node:path";
import { DatabaseFileIdentity } from "./database-file-identity.js";
import { DatabaseFileLostError } from "./errors.js";

/**
 * Watches the database file and its `-wal` of one open store. The database file is checked after every commit
 * (one stat, about 4% of a sequential run's latency). A stat of the WAL right after the fsync of COMMIT costs far
 * more (sequential runs measured 20% slower checking it every commit), so the WAL is checked too only once the
 * last full check is older than `intervalMs`.
 *
 * @example
 * const guard = DatabaseFileGuard.record("reprise.db", 100, () => checkpointTruncate());
 * const lost = guard.afterCommit(); // undefined while both files are in place
 */
export class DatabaseFileGuard {
  readonly #identity: DatabaseFileIdentity;
  readonly #filename: string;
  readonly #intervalMs: number;
  readonly #rescueWal: () => boolean;
  /** performance.now() of the last full check: monotonic, so a wall clock set back cannot postpone checks. */
  #lastFullCheckMs = Number.NEGATIVE_INFINITY;

  private constructor(identity: DatabaseFileIdentity, filename: string, intervalMs: number, rescueWal: () => boolean) {
    this.#identity = identity;
    this.#filename = filename;
    this.#intervalMs = intervalMs;
    this.#rescueWal = rescueWal;
  }

  /**
   * Records the identity of `filename` and its `-wal` as they are now. `rescueWal` copies the WAL into the
   * database file (a TRUNCATE checkpoint) and says whether every frame made it; it runs when the WAL is lost.
   */
  static record(filename: string, intervalMs: number, rescueWal: () => boolean): DatabaseFileGuard {
    const absolute = resolve(filename);
    return new DatabaseFileGuard(DatabaseFileIdentity.record(absolute), absolute, intervalMs, rescueWal);
  }

  /** How many checks ran (the store's `fileChecks`). */
  get checks(): number {
    return this.#identity.checks;
  }

  /**
   * After a commit, before it is acknowledged: the error the store is lost with if a file was deleted or
   * replaced, else undefined. A lost WAL is first copied into the database file, which is still in place, so
   * that what this connection committed survives it.
   */
  afterCommit(): DatabaseFileLostError | undefined {
    const nowMs = performance.now();
    const full = nowMs - this.#lastFullCheckMs >= this.#intervalMs;
    if (full) this.#lastFullCheckMs = nowMs;
    const loss = this.#identity.check(Date.now(), full ? "all" : "database");
    if (loss === undefined) return undefined;
    const walRescued = loss.file === "wal" ? this.#rescueWal() : undefined;
    return new DatabaseFileLostError({
      filename: this.#filename,
      path: loss.path,
      file: loss.file,
      problem: loss.problem,
      lastVerifiedAtMs: this.#identity.lastVerifiedAtMs,
      walRescued,
    });
  }
}
