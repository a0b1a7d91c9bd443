// Group commit for PostgreSQL: store writes queued while a batch is in flight share the next batch's transaction,
// on one connection, with one COMMIT (one WAL flush) for all of them. A write that fails is undone alone.
import { CompiledQuery, type Kysely } from "kysely";
import { runBulk, type BulkWrite } from "./bulk-writes.js";
import { forgetNotedChanges, sendNotedChanges } from "./change-notifications.js";
import type { Database } from "./schema.js";
import { Statements, type Queries } from "./statements.js";

/** Most writes one batch transaction carries: bounds how long a batch holds its row locks and its connection. */
export const MAX_WRITES_PER_BATCH = 256;

/** SQLSTATEs after which a write was its transaction's victim and may simply run again: nothing of it was kept. */
const RETRYABLE = new Set(["40P01", "40001"]); // deadlock_detected, serialization_failure
/** How often a write runs at most when PostgreSQL keeps picking it as a deadlock's victim. */
const MAX_ATTEMPTS = 5;

/** Counters of group commit, read by PostgresStore.stats(). */
export interface GroupCommitCounters {
  /** Transactions that committed (one per batch that carried at least one write that succeeded). */
  transactions: number;
  /** Store writes that committed (each call of a write method is one). */
  writes: number;
  /** Writes that were undone: they threw (LeaseLostError, a failing statement), or their COMMIT failed. */
  failedWrites: number;
  /** Statements of the store's own (reads and writes), not counting BEGIN, COMMIT and savepoints. */
  statements: number;
  /** Messages to the server answered before the next was sent: statements plus BEGIN, COMMIT, savepoints. */
  roundTrips: number;
}

/** One atomic unit of work queued by a store method, with the promise its caller awaits. */
interface PendingWrite {
  readonly body: (statements: Statements) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** The write in a form that can be merged with others of the batch (bulk-writes.ts), if it has one. */
  readonly bulk: BulkWrite | undefined;
  /** Times this write was rolled back as a deadlock's victim and queued again. */
  attempts: number;
}

const BEGIN = CompiledQuery.raw("begin");
const COMMIT = CompiledQuery.raw("commit");
const ROLLBACK = CompiledQuery.raw("rollback");
const SAVEPOINT = CompiledQuery.raw("savepoint reprise_write");
const RELEASE = CompiledQuery.raw("release savepoint reprise_write");
const ROLLBACK_TO = CompiledQuery.raw("rollback to savepoint reprise_write");

/**
 * Queues write transactions and runs them in batches, one batch at a time, each in one transaction.
 *
 * How it keeps each write's guarantees: batches run one after another, and a batch runs its writes in the order
 * they were requested, so every write sees the writes requested before it, as with a transaction of its own in
 * that order. A caller's promise settles only after its batch's COMMIT returned (with PostgreSQL's default
 * `synchronous_commit = on`: after the WAL was flushed). A write that throws (LeaseLostError, a failing
 * statement) is undone alone: the batch first runs without savepoints (writes rarely fail, and two round trips
 * per write are saved); if one throws, the transaction is rolled back and the batch runs again with each write in
 * its own savepoint, and only the failing write's savepoint is rolled back. Bodies only read and write the
 * database, so running one again on the same state does the same thing. A write picked as a deadlock's victim
 * inside the savepoint pass is rolled back alone and queued for the next batch (up to MAX_ATTEMPTS runs).
 *
 * If COMMIT itself fails (the connection broke, the server shut down), every write of the batch rejects with that
 * error and none is retried: a COMMIT whose answer was lost may still have committed, and only the caller can
 * look (an engine re-reads the run and sees its lease lost or its events there). That is what a private
 * transaction whose COMMIT failed told its caller, too.
 *
 * Why it is fast: a durable commit costs a WAL flush and a round trip, and one of each now covers every write
 * that was requested while the previous batch ran: e.g. all the workflows an engine runs concurrently, each
 * waiting for its own step to be durable before its next one.
 *
 * @example
 * const group = new GroupCommit(db, queriesFor("reprise"));
 * const answer = await group.enqueue((s) => s.run("releaseLeases", { owner, runIds, nowMs }));
 */
export class GroupCommit {
  readonly #db: Kysely<Database>;
  readonly #queries: Queries;
  readonly #queue: PendingWrite[] = [];
  readonly #maxWrites: number;
  readonly counters: GroupCommitCounters = {
    transactions: 0,
    writes: 0,
    failedWrites: 0,
    statements: 0,
    roundTrips: 0,
  };
  /** A batch is running, or is scheduled to start on the next turn of the event loop. */
  #busy = false;

  constructor(db: Kysely<Database>, queries: Queries, maxWrites = MAX_WRITES_PER_BATCH) {
    this.#db = db;
    this.#queries = queries;
    this.#maxWrites = maxWrites;
  }

  /**
   * Runs `body` atomically in the next batch transaction; settles once that transaction committed, or with the
   * error `body` threw, or with the error that failed the batch. `bulk`, the same write in mergeable form, lets
   * the batch write it together with its neighbours; `body` must then do exactly what `bulk` describes.
   */
  enqueue<T>(body: (statements: Statements) => Promise<T>, bulk?: BulkWrite): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ body, resolve: resolve as (value: unknown) => void, reject, bulk, attempts: 1 });
      if (this.#busy) return;
      this.#busy = true;
      // The first batch after a quiet spell waits for the rest of this turn, so writes requested together (all
      // the runs a claim started) share it; later batches start the moment the previous one committed.
      setImmediate(() => void this.#drain());
    });
  }

  /** Runs batches until the queue is empty. Never rejects: every failure settles the writes it concerns. */
  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#runBatch(this.#queue.splice(0, this.#maxWrites));
    } finally {
      this.#busy = false;
    }
  }

  async #runBatch(batch: PendingWrite[]): Promise<void> {
    let outcome: BatchOutcome | undefined;
    try {
      await this.#db.connection().execute(async (connection) => {
        const statements = new Statements(connection, this.#queries, this.counters);
        const run = async (query: CompiledQuery): Promise<void> => {
          this.counters.roundTrips += 1;
          await connection.executeQuery(query);
        };
        await run(BEGIN);
        try {
          outcome = await this.#optimistic(statements, batch, run);
          // Last before COMMIT: what the batch's writes noted for other processes goes out with it.
          if (outcome.succeeded.length > 0) await sendNotedChanges(statements);
          await run(outcome.succeeded.length === 0 ? ROLLBACK : COMMIT);
        } catch (error) {
          // A connection that broke mid-batch rejects this too; the server has rolled back already then.
          await run(ROLLBACK).catch(() => {});
          throw error;
        }
      });
    } catch (error) {
      // No connection, or a statement outside any savepoint or COMMIT failed: no write of the batch is durable.
      // Writes that had failed on their own keep their own error; deadlock victims may still run again.
      const ownFailures = new Map(outcome?.failed.map(({ write, error: own }) => [write, own]));
      const again = new Set(outcome?.again);
      this.#queue.unshift(...again);
      for (const write of batch) {
        if (again.has(write)) continue;
        this.counters.failedWrites += 1;
        write.reject(ownFailures.has(write) ? ownFailures.get(write) : error);
      }
      return;
    }
    const { succeeded, failed, again } = outcome as BatchOutcome;
    if (succeeded.length > 0) this.counters.transactions += 1;
    this.counters.writes += succeeded.length;
    this.counters.failedWrites += failed.length;
    // Ahead of the queue: a victim runs again first thing, now that this batch's locks are released.
    this.#queue.unshift(...again);
    for (const { write, error } of failed) write.reject(error);
    for (const { write, value } of succeeded) write.resolve(value);
  }

  /**
   * Runs every write without savepoints, consecutive mergeable writes of distinct runs together (bulk-writes.ts);
   * on the first failure, rolls back and runs the batch again, each write in a savepoint of its own.
   */
  async #optimistic(
    statements: Statements,
    batch: readonly PendingWrite[],
    run: (query: CompiledQuery) => Promise<void>,
  ): Promise<BatchOutcome> {
    const succeeded: { write: PendingWrite; value: unknown }[] = [];
    try {
      for (let index = 0; index < batch.length;) {
        const segment = mergeableSegment(batch, index);
        if (segment.length < 2) {
          const write = batch[index++] as PendingWrite;
          succeeded.push({ write, value: await write.body(statements) });
          continue;
        }
        index += segment.length;
        const outcomes = await runBulk(
          statements,
          segment.map((write) => write.bulk as BulkWrite),
        );
        for (const [position, write] of segment.entries()) {
          const outcome = outcomes[position];
          // Not done by the merged statements (a failed guard, an existing id): its own body says why.
          const value = outcome?.done === true ? outcome.value : await write.body(statements);
          succeeded.push({ write, value });
        }
      }
    } catch {
      // Statements ran outside a savepoint (or aborted the transaction): start over, each write isolated.
      forgetNotedChanges(statements);
      await run(ROLLBACK);
      await run(BEGIN);
      return this.#isolated(statements, batch, run);
    }
    return { succeeded, failed: [], again: [] };
  }

  /** Runs each write in a savepoint of its own, so a write that throws is undone alone. */
  async #isolated(
    statements: Statements,
    batch: readonly PendingWrite[],
    run: (query: CompiledQuery) => Promise<void>,
  ): Promise<BatchOutcome> {
    const outcome: BatchOutcome = { succeeded: [], failed: [], again: [] };
    for (const write of batch) {
      await run(SAVEPOINT);
      try {
        const value = await write.body(statements);
        await run(RELEASE);
        outcome.succeeded.push({ write, value });
      } catch (error) {
        // Undoes this write's statements and the row locks it took; the transaction goes on with the others.
        await run(ROLLBACK_TO);
        await run(RELEASE);
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code === "string" && RETRYABLE.has(code) && write.attempts < MAX_ATTEMPTS) {
          write.attempts += 1;
          outcome.again.push(write);
        } else {
          outcome.failed.push({ write, error });
        }
      }
    }
    return outcome;
  }
}

/**
 * The mergeable writes starting at `start`, up to the first write that is not mergeable or touches a run already
 * in the segment: writes of distinct runs commute, so the segment may run as one, before the writes after it.
 */
function mergeableSegment(batch: readonly PendingWrite[], start: number): PendingWrite[] {
  const segment: PendingWrite[] = [];
  const runs = new Set<string>();
  for (let index = start; index < batch.length; index++) {
    const write = batch[index] as PendingWrite;
    if (write.bulk === undefined || runs.has(write.bulk.runId)) break;
    runs.add(write.bulk.runId);
    segment.push(write);
  }
  return segment;
}

/** What a batch's writes did before its COMMIT: values to deliver, errors to deliver, and writes to run again. */
interface BatchOutcome {
  readonly succeeded: { write: PendingWrite; value: unknown }[];
  readonly failed: { write: PendingWrite; error: unknown }[];
  readonly again: PendingWrite[];
}
