// Group commit: writes requested in the same turn of the event loop share one BEGIN IMMEDIATE … COMMIT.
// A write that throws is undone alone (the batch reruns with a savepoint per write); no caller hears "done" before COMMIT.
import type BetterSqlite3 from "better-sqlite3";

/** Most writes one transaction carries; the rest follow in the next turn, so timers and I/O run in between. */
export const MAX_WRITES_PER_TRANSACTION = 1024;

/** One atomic unit of work queued by a store method, with the promise its caller awaits. */
interface PendingWrite {
  readonly body: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** Turns a driver error into the error this caller should see (a StoreError saying what it was doing). */
  readonly wrap: (error: unknown) => unknown;
}

/** What the store checks around each batch; both hooks are optional (tests build a bare GroupCommit). */
export interface GroupCommitHooks {
  /**
   * Runs after each COMMIT and before any write of the batch is acknowledged. An error it returns fails the batch
   * (its writes reject with it) and, from then on, every queued and later write: the store is lost for good.
   */
  readonly afterCommit?: () => Error | undefined;
  /** Runs before the next BEGIN after a write failed with SQLITE_FULL, to make room (checkpoint and truncate the WAL). */
  readonly afterDiskFull?: () => void;
}

/** Counters of transactions and writes, read by SqliteStore.stats(). */
export interface GroupCommitCounters {
  /** Write transactions that committed. */
  transactions: number;
  /** Writes that committed (each call of a store write method is one). */
  writes: number;
  /** Writes that were undone: they threw, or their transaction did not commit. */
  failedWrites: number;
}

/**
 * Queues write transactions and commits everything queued in one turn of the event loop together.
 *
 * Why it is safe: better-sqlite3 is synchronous, so a batch runs from BEGIN to COMMIT without ever yielding;
 * no read or other write of this connection can interleave. Writes run in the order they were requested, each
 * seeing the ones before it, exactly as if each had its own transaction in that order. A caller's promise
 * settles only after COMMIT returned, which with `synchronous=FULL` means after the WAL was fsynced: the same
 * guarantee a private transaction gave. A write that throws rejects alone and the others commit: the batch is
 * rolled back and run again with each write in its own savepoint, and the failing write's savepoint is undone.
 * If COMMIT itself fails, every write of the batch rejects: none of them is durable. Between COMMIT and the first
 * resolve, `hooks.afterCommit` may veto the acknowledgement (SqliteStore checks that the database file is still the
 * one it opened: at most one check per transaction, never per write).
 *
 * Why it is fast: a durable commit costs an fsync, and one fsync now covers every caller that reached a commit
 * point in the same turn: e.g. all the workflows an engine runs concurrently, each waiting for its own step
 * result to be durable before its next step.
 *
 * Why `setImmediate` and not a microtask: the flush runs after every promise continuation of the current turn
 * (so all runs that become ready together join one batch), and each batch is a separate turn of the event loop,
 * so timers (lease renewals) and I/O still run between batches under sustained load. Measured here, it adds no
 * visible latency to a lone commit (docs/performance.md).
 */
export class GroupCommit {
  readonly #db: BetterSqlite3.Database;
  readonly #queue: PendingWrite[] = [];
  readonly #statements: {
    readonly begin: BetterSqlite3.Statement;
    readonly commit: BetterSqlite3.Statement;
    readonly rollback: BetterSqlite3.Statement;
    readonly savepoint: BetterSqlite3.Statement;
    readonly release: BetterSqlite3.Statement;
    readonly rollbackTo: BetterSqlite3.Statement;
  };
  readonly counters: GroupCommitCounters = { transactions: 0, writes: 0, failedWrites: 0 };
  readonly #hooks: GroupCommitHooks;
  #scheduled = false;
  /** Set once `afterCommit` reported an error: every write fails with it from then on. */
  #lost: Error | undefined = undefined;
  /** A write failed with SQLITE_FULL: `afterDiskFull` runs before the next batch begins. */
  #diskWasFull = false;

  constructor(db: BetterSqlite3.Database, hooks: GroupCommitHooks = {}) {
    this.#db = db;
    this.#hooks = hooks;
    this.#statements = {
      // BEGIN IMMEDIATE takes the write lock up front, so it waits out busy_timeout instead of failing at upgrade.
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT reprise_write"),
      release: db.prepare("RELEASE reprise_write"),
      rollbackTo: db.prepare("ROLLBACK TO reprise_write"),
    };
  }

  /**
   * Runs `body` atomically in the next group transaction; settles once that transaction committed, or with
   * `wrap(error)` if `body` threw or the transaction failed. `body` must be synchronous.
   */
  enqueue<T>(body: () => T, wrap: (error: unknown) => unknown): Promise<T> {
    if (this.#lost !== undefined) return Promise.reject(this.#lost);
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ body, resolve: resolve as (value: unknown) => void, reject, wrap });
      this.#schedule();
    });
  }

  /** Commits everything queued now, synchronously (before the connection closes). */
  flushNow(): void {
    while (this.#queue.length > 0) this.#runBatch(this.#queue.splice(0, MAX_WRITES_PER_TRANSACTION));
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#queue.length === 0) return;
      this.#runBatch(this.#queue.splice(0, MAX_WRITES_PER_TRANSACTION));
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  /** The error every write fails with since the store was lost (see `afterCommit`), or undefined. */
  get lost(): Error | undefined {
    return this.#lost;
  }

  #runBatch(batch: PendingWrite[]): void {
    if (this.#lost !== undefined)
      return this.#settleFailed(
        batch.map((write) => ({ write })),
        this.#lost,
        [],
      );
    if (this.#diskWasFull) {
      this.#diskWasFull = false;
      this.#hooks.afterDiskFull?.();
    }
    if (!this.#begin(batch)) return;
    // Optimistic pass: writes rarely throw, so the batch first runs without savepoints (two statements less per
    // write). If one throws, the whole transaction is rolled back and the batch runs again, each write in its own
    // savepoint. That is safe because a write body is synchronous and only reads and writes the database: run
    // again on the same state, it does the same thing.
    const values: unknown[] = [];
    for (let index = 0; index < batch.length; index++) {
      const write = batch[index] as PendingWrite;
      try {
        values.push(write.body());
      } catch (error) {
        if (!this.#db.inTransaction) {
          const rolledBack = batch.slice(0, index).map((earlier) => ({ write: earlier }));
          return this.#afterLostTransaction(batch, index, error, rolledBack, [{ write, error }]);
        }
        this.#rollbackQuietly();
        if (this.#begin(batch)) this.#runIsolated(batch);
        return;
      }
    }
    try {
      this.#statements.commit.run();
    } catch (error) {
      this.#rollbackQuietly();
      this.#settleFailed(
        batch.map((write) => ({ write })),
        error,
        [],
      );
      return;
    }
    this.counters.transactions += 1;
    if (this.#loseAfterCommit(batch.map((write) => ({ write })))) return;
    this.counters.writes += batch.length;
    for (let index = 0; index < batch.length; index++) (batch[index] as PendingWrite).resolve(values[index]);
  }

  /**
   * Asks `afterCommit` whether the batch that just committed may be acknowledged. If not, the store is lost: the
   * batch's committed writes and every queued write reject with the error, and so will every later one.
   */
  #loseAfterCommit(committed: readonly { write: PendingWrite }[]): boolean {
    const lost = this.#hooks.afterCommit?.();
    if (lost === undefined) return false;
    this.#lost = lost;
    this.#settleFailed(committed, lost, []);
    this.#settleFailed(
      this.#queue.splice(0).map((write) => ({ write })),
      lost,
      [],
    );
    return true;
  }

  /** BEGIN IMMEDIATE; if even that fails (SQLITE_BUSY after busy_timeout, no database), every write fails with it. */
  #begin(batch: readonly PendingWrite[]): boolean {
    try {
      this.#statements.begin.run();
      return true;
    } catch (error) {
      this.#settleFailed(
        [],
        error,
        batch.map((write) => ({ write, error })),
      );
      return false;
    }
  }

  /** Runs a batch in an open transaction, each write in its own savepoint, so a write that throws is undone alone. */
  #runIsolated(batch: PendingWrite[]): void {
    const s = this.#statements;
    const succeeded: { write: PendingWrite; value: unknown }[] = [];
    const failed: { write: PendingWrite; error: unknown }[] = [];
    for (let index = 0; index < batch.length; index++) {
      const write = batch[index] as PendingWrite;
      try {
        s.savepoint.run();
        const value = write.body();
        s.release.run();
        succeeded.push({ write, value });
      } catch (error) {
        failed.push({ write, error });
        if (!this.#db.inTransaction) return this.#afterLostTransaction(batch, index, error, succeeded, failed);
        s.rollbackTo.run();
        s.release.run();
      }
    }
    try {
      if (succeeded.length === 0) s.rollback.run();
      else s.commit.run();
    } catch (error) {
      this.#rollbackQuietly();
      this.#settleFailed(succeeded, error, failed);
      return;
    }
    if (succeeded.length > 0) this.counters.transactions += 1;
    this.counters.failedWrites += failed.length;
    for (const { write, error } of failed) {
      this.#noteDiskFull(error);
      write.reject(write.wrap(error));
    }
    if (succeeded.length > 0 && this.#loseAfterCommit(succeeded)) return;
    this.counters.writes += succeeded.length;
    for (const { write, value } of succeeded) write.resolve(value);
  }

  /**
   * SQLite rolled the whole transaction back while `batch[index]` ran (SQLITE_FULL, SQLITE_IOERR, ...): the writes
   * that ran before it are not durable (`rolledBack`), and those after it have not run. Fails the former and
   * `failed` (the write that threw among them); the rest are retried in a new batch.
   */
  #afterLostTransaction(
    batch: readonly PendingWrite[],
    index: number,
    cause: unknown,
    rolledBack: readonly { write: PendingWrite }[],
    failed: readonly { write: PendingWrite; error: unknown }[],
  ): void {
    this.#queue.unshift(...batch.slice(index + 1));
    if (this.#queue.length > 0) this.#schedule();
    this.#settleFailed(rolledBack, cause, failed);
  }

  /** Rejects writes whose transaction did not commit (with `cause`) and writes that threw (with their own error). */
  #settleFailed(
    rolledBack: readonly { write: PendingWrite }[],
    cause: unknown,
    failed: readonly { write: PendingWrite; error: unknown }[],
  ): void {
    this.counters.failedWrites += rolledBack.length + failed.length;
    this.#noteDiskFull(cause);
    for (const { write } of rolledBack) write.reject(write.wrap(cause));
    for (const { write, error } of failed) {
      this.#noteDiskFull(error);
      write.reject(write.wrap(error));
    }
  }

  /** SQLITE_FULL: the disk (or max_page_count) is full; the next batch first tries to give the WAL's space back. */
  #noteDiskFull(error: unknown): void {
    if ((error as { code?: unknown } | undefined)?.code === "SQLITE_FULL") this.#diskWasFull = true;
  }

  /** After a failed COMMIT the transaction may still be open; end it so the next batch can begin. */
  #rollbackQuietly(): void {
    try {
      if (this.#db.inTransaction) this.#statements.rollback.run();
    } catch {
      // The original COMMIT error is what callers need to see; a failing ROLLBACK adds nothing to it.
    }
  }
}
