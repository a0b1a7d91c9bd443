// Claims with queues on SQLite: each queue's due runs in priority order, its limits counted inside the claim's
// BEGIN IMMEDIATE transaction (one atomic step for every process). Never opens or commits a transaction itself.
import type BetterSqlite3 from "better-sqlite3";
import { MAX_QUEUE_SCAN, type ClaimRequest, type QueueLimits, type RunRecord } from "@reprise/core";
import {
  admitCandidates,
  hasPerKeyLimits,
  interleave,
  longestPeriodMs,
  queueRoom,
  type QueueUsage,
} from "@reprise/core/internal";
import { sql } from "kysely";
import { builder, compileStatement, param, type CompiledStatement } from "./query-builder.js";
import { toRecord, type RunRow } from "./run-rows.js";
import { inJsonArray, RUN_COLUMNS, servedBy } from "./statements.js";

/** Not leased, or leased by a lease that has run out (SQLite judges leases by the caller's `nowMs`). */
const leaseFree = sql<boolean>`(lease_owner is null or lease_expires_at_ms <= ${param("nowMs")})`;

/** The compiled SQL of the queue statements (tests read their query plans). */
export const QUEUE_QUERIES = {
  listQueues: compileStatement<Record<string, never>>(builder.selectFrom("queues").select("name").orderBy("name")),
  /** Due runs without a queue, by due time, through `runs_due_unqueued`. */
  unqueuedCandidates: compileStatement<{ nowMs: number; limit: number; workflows: string }>(
    builder
      .selectFrom("runs")
      .select(["run_key", "queue", "queue_key", "due_at_ms", "cancel_requested"])
      .where("due_at_ms", "<=", param("nowMs"))
      .where("queue", "is", null)
      .where(leaseFree)
      .where(servedBy("workflows"))
      .orderBy("due_at_ms")
      .limit(param("limit")),
  ),
  /** A queue's due runs in claim order (priority, due time, creation), through `runs_queue_due`. */
  queueCandidates: compileStatement<{
    queue: string;
    nowMs: number;
    limit: number;
    offset: number;
    workflows: string;
  }>(
    builder
      .selectFrom("runs")
      .select(["run_key", "queue", "queue_key", "due_at_ms", "cancel_requested"])
      .where("queue", "=", param("queue"))
      // `+`: through runs_queue_next (queue, due time) SQLite would read every due run of the queue and sort them
      // on each claim; walking runs_queue_due in claim order stops after the runs the claim takes.
      .where(sql<boolean>`+due_at_ms <= ${param("nowMs")}`)
      .where(leaseFree)
      .where(servedBy("workflows"))
      .orderBy("priority")
      .orderBy("due_at_ms")
      .orderBy("run_key")
      .limit(param("limit"))
      .offset(param("offset")),
  ),
  /** A queue's due runs whose cancellation was requested, through `runs_queue_cancelled`: taken past its limits. */
  cancelledCandidates: compileStatement<{ queue: string; nowMs: number; limit: number; workflows: string }>(
    builder
      .selectFrom("runs")
      .select(["run_key", "queue", "queue_key", "due_at_ms", "cancel_requested"])
      .where("queue", "=", param("queue"))
      .where("cancel_requested", "=", 1)
      .where("due_at_ms", "<=", param("nowMs"))
      .where(leaseFree)
      .where(servedBy("workflows"))
      .orderBy("due_at_ms")
      .limit(param("limit")),
  ),
  /** A queue's runs executing now (running, live lease), per key, through `runs_queue_running`. */
  queueRunning: compileStatement<{ queue: string; nowMs: number }>(
    builder
      .selectFrom("runs")
      .select((eb) => ["queue_key", eb.fn.countAll<number>().as("n")])
      .where("queue", "=", param("queue"))
      .where("status", "=", "running")
      .where("lease_expires_at_ms", ">", param("nowMs"))
      .groupBy("queue_key"),
  ),
  queueStarts: compileStatement<{ queue: string; sinceMs: number }>(
    builder
      .selectFrom("queue_starts")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("queue", "=", param("queue"))
      .where("started_at_ms", ">", param("sinceMs")),
  ),
  queueStartsByKey: compileStatement<{ queue: string; sinceMs: number }>(
    builder
      .selectFrom("queue_starts")
      .select((eb) => ["queue_key", eb.fn.countAll<number>().as("n")])
      .where("queue", "=", param("queue"))
      .where("queue_key", "is not", null)
      .where("started_at_ms", ">", param("sinceMs"))
      .groupBy("queue_key"),
  ),
  oldestStart: compileStatement<{ queue: string; sinceMs: number }>(
    builder
      .selectFrom("queue_starts")
      .select((eb) => eb.fn.min<number | null>("started_at_ms").as("oldest"))
      .where("queue", "=", param("queue"))
      .where("started_at_ms", ">", param("sinceMs")),
  ),
  pruneStarts: compileStatement<{ queue: string; beforeMs: number }>(
    builder
      .deleteFrom("queue_starts")
      .where("queue", "=", param("queue"))
      .where("started_at_ms", "<=", param("beforeMs")),
  ),
  recordStart: compileStatement<{ queue: string; queueKey: string | null; nowMs: number; runKey: number }>(
    builder.insertInto("queue_starts").values({
      queue: param("queue"),
      queue_key: param("queueKey"),
      started_at_ms: param("nowMs"),
      run_key: param("runKey"),
    }),
  ),
  leaseRuns: compileStatement<{ runKeys: string; owner: string; nowMs: number; leaseUntilMs: number }>(
    builder
      .updateTable("runs")
      .set({
        status: "running",
        lease_owner: param("owner"),
        lease_expires_at_ms: param("leaseUntilMs"),
        updated_at_ms: param("nowMs"),
      })
      .where(inJsonArray("run_key", "runKeys"))
      .returning(RUN_COLUMNS),
  ),
  /** The next time a run of the queue that is not due yet becomes due, through `runs_queue_next`. */
  queueNextFuture: compileStatement<{ queue: string; nowMs: number; workflows: string }>(
    builder
      .selectFrom("runs")
      .select("due_at_ms")
      .where("queue", "=", param("queue"))
      .where("due_at_ms", ">", param("nowMs"))
      .where("lease_owner", "is", null)
      .where(servedBy("workflows"))
      .orderBy("due_at_ms")
      .limit(1),
  ),
  unqueuedNextDue: compileStatement<{ workflows: string }>(
    builder
      .selectFrom("runs")
      .select("due_at_ms")
      .where("due_at_ms", "is not", null)
      .where("queue", "is", null)
      .where("lease_owner", "is", null)
      .where(servedBy("workflows"))
      .orderBy("due_at_ms")
      .limit(1),
  ),
} as const;

type Args<Q> = Q extends CompiledStatement<infer A> ? A : never;
type QueueQuery = keyof typeof QUEUE_QUERIES;

/** A due run a claim may take: its key, and its queue and key for the limits. */
interface Candidate {
  readonly run_key: number;
  readonly queue: string | null;
  readonly queue_key: string | null;
  readonly due_at_ms: number;
  readonly cancel_requested: number;
}

const NO_LIMITS: QueueLimits = Object.freeze({});

/**
 * The queue-aware parts of claimDueRuns and nextDueAtMs on one connection. Every method runs inside the caller's
 * transaction (a claim in SqliteStore's write, a look-up in its read), never opens one.
 *
 * @example
 * const claims = new QueueClaims(db);
 * const runs = claims.claim(request, servedJson(request.workflows)); // inside a BEGIN IMMEDIATE write
 */
export class QueueClaims {
  readonly #db: BetterSqlite3.Database;
  readonly #cache = new Map<string, BetterSqlite3.Statement>();
  /** Statements executed (SqliteStore.stats() adds them to its count). */
  executed = 0;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /** Whether any run was ever created in a queue: without one, the plain claim by due time is exact. */
  queueNames(): string[] {
    return this.#all<{ name: string }>("listQueues", {}).map((row) => row.name);
  }

  /**
   * Leases up to `request.limit` due runs: those without a queue by due time, each queue's by its claim order
   * and limits, taken in turn (round robin) so that no queue starves another. Records a start for each run taken
   * from a rate-limited queue.
   */
  claim(request: ClaimRequest, queues: readonly string[], workflows: string): RunRecord[] {
    const { nowMs, limit } = request;
    const lists: Candidate[][] = [this.#all<Candidate>("unqueuedCandidates", { nowMs, limit, workflows })];
    for (const queue of queues) {
      const limits = request.queues?.[queue] ?? NO_LIMITS;
      const periodMs = longestPeriodMs(limits);
      // Starts older than every window this claim counts are forgotten; the table stays one window long.
      if (periodMs > 0) this.#run("pruneStarts", { queue, beforeMs: nowMs - periodMs });
      lists.push(this.#candidates(queue, limits, nowMs, limit, workflows));
    }
    const chosen = interleave(lists, limit);
    if (chosen.length === 0) return [];
    const rows = this.#all<RunRow>("leaseRuns", {
      runKeys: JSON.stringify(chosen.map((candidate) => candidate.run_key)),
      owner: request.owner,
      nowMs,
      leaseUntilMs: nowMs + request.leaseMs,
    });
    for (const candidate of chosen) {
      // A run whose cancellation was requested is outside the limits (see #candidates): it starts nothing new.
      if (candidate.queue === null || candidate.cancel_requested === 1) continue;
      if (longestPeriodMs(request.queues?.[candidate.queue] ?? NO_LIMITS) === 0) continue;
      this.#run("recordStart", {
        queue: candidate.queue,
        queueKey: candidate.queue_key,
        nowMs,
        runKey: candidate.run_key,
      });
    }
    return rows.map(toRecord);
  }

  /** nextDueAtMs with queue limits (see Store): never `<= nowMs` unless a claim now would take a run. */
  nextDueAtMs(
    queues: readonly string[],
    limitsByQueue: Readonly<Record<string, QueueLimits>>,
    nowMs: number,
    workflows: string,
  ): number | undefined {
    let earliest = this.#get<{ due_at_ms: number }>("unqueuedNextDue", { workflows })?.due_at_ms;
    const consider = (atMs: number | null | undefined): void => {
      if (atMs !== null && atMs !== undefined && (earliest === undefined || atMs < earliest)) earliest = atMs;
    };
    for (const queue of queues) {
      const limits = limitsByQueue[queue] ?? NO_LIMITS;
      consider(this.#candidates(queue, limits, nowMs, 1, workflows)[0]?.due_at_ms);
      consider(this.#get<{ due_at_ms: number }>("queueNextFuture", { queue, nowMs, workflows })?.due_at_ms);
      // A rate limit may be what holds the due runs back: the window admits again once its oldest start leaves.
      for (const rate of [limits.rateLimit, limits.perKeyRateLimit]) {
        if (rate === undefined) continue;
        const oldest = this.#get<{ oldest: number | null }>("oldestStart", { queue, sinceMs: nowMs - rate.periodMs });
        if (oldest?.oldest !== null && oldest?.oldest !== undefined) consider(oldest.oldest + rate.periodMs);
      }
    }
    return earliest;
  }

  /**
   * The runs a claim would take from one queue now, at most `want`: those whose cancellation was requested first
   * (past the limits: they only wind down, and a full queue must not hold up a cancellation), then the others in
   * claim order within the limits.
   */
  #candidates(queue: string, limits: QueueLimits, nowMs: number, want: number, workflows: string): Candidate[] {
    if (limits === NO_LIMITS || Object.values(limits).every((value) => value === undefined)) {
      return this.#all<Candidate>("queueCandidates", { queue, nowMs, limit: want, offset: 0, workflows });
    }
    const cancelled = this.#all<Candidate>("cancelledCandidates", { queue, nowMs, limit: want, workflows });
    if (cancelled.length >= want) return cancelled;
    const taken = new Set(cancelled.map((candidate) => candidate.run_key));
    const limited = this.#limitedCandidates(queue, limits, nowMs, want - cancelled.length, workflows);
    return [...cancelled, ...limited.filter((candidate) => !taken.has(candidate.run_key))];
  }

  /** The runs a claim would take from one queue with limits now, at most `want`, in claim order. */
  #limitedCandidates(queue: string, limits: QueueLimits, nowMs: number, want: number, workflows: string): Candidate[] {
    const page = (limit: number, offset: number) =>
      this.#all<Candidate>("queueCandidates", { queue, nowMs, limit, offset, workflows });
    const usage = this.#usage(queue, limits, nowMs);
    const room = Math.min(want, queueRoom(limits, usage));
    if (room <= 0) return [];
    if (!hasPerKeyLimits(limits)) return page(room, 0);
    // Runs of keys at their limit are stepped over, a page at a time, up to MAX_QUEUE_SCAN of them.
    const size = Math.min(MAX_QUEUE_SCAN, Math.max(32, room * 4));
    const seen: Candidate[] = [];
    let taken: Candidate[] = [];
    while (seen.length < MAX_QUEUE_SCAN) {
      const rows = page(Math.min(size, MAX_QUEUE_SCAN - seen.length), seen.length);
      seen.push(...rows);
      taken = admitCandidates(seen, limits, usage, room, (candidate) => candidate.queue_key);
      if (taken.length >= room || rows.length < size) break;
    }
    return taken;
  }

  /** What the queue uses now: executing runs, and starts in each rate-limit window, in total and per key. */
  #usage(queue: string, limits: QueueLimits, nowMs: number): QueueUsage {
    const runningRows = this.#all<{ queue_key: string | null; n: number }>("queueRunning", { queue, nowMs });
    const runningByKey = new Map<string, number>();
    let running = 0;
    for (const row of runningRows) {
      running += row.n;
      if (row.queue_key !== null) runningByKey.set(row.queue_key, row.n);
    }
    const starts =
      limits.rateLimit === undefined
        ? 0
        : (this.#get<{ n: number }>("queueStarts", { queue, sinceMs: nowMs - limits.rateLimit.periodMs })?.n ?? 0);
    const startsByKey = new Map<string, number>();
    if (limits.perKeyRateLimit !== undefined) {
      const sinceMs = nowMs - limits.perKeyRateLimit.periodMs;
      for (const row of this.#all<{ queue_key: string; n: number }>("queueStartsByKey", { queue, sinceMs })) {
        startsByKey.set(row.queue_key, row.n);
      }
    }
    return { running, runningByKey, starts, startsByKey };
  }

  #all<R>(key: QueueQuery, args: Args<(typeof QUEUE_QUERIES)[QueueQuery]>): R[] {
    this.executed += 1;
    return this.#statement(key).all(...QUEUE_QUERIES[key].bind(args as never)) as R[];
  }

  #get<R>(key: QueueQuery, args: Args<(typeof QUEUE_QUERIES)[QueueQuery]>): R | undefined {
    this.executed += 1;
    return this.#statement(key).get(...QUEUE_QUERIES[key].bind(args as never)) as R | undefined;
  }

  #run(key: QueueQuery, args: Args<(typeof QUEUE_QUERIES)[QueueQuery]>): void {
    this.executed += 1;
    this.#statement(key).run(...QUEUE_QUERIES[key].bind(args as never));
  }

  #statement(key: QueueQuery): BetterSqlite3.Statement {
    let statement = this.#cache.get(key);
    if (statement === undefined) {
      statement = this.#db.prepare(QUEUE_QUERIES[key].sql);
      this.#cache.set(key, statement);
    }
    return statement;
  }
}
