// Claims with queues on PostgreSQL: each queue's due runs in priority order, its limits counted inside the claim's
// transaction while it holds the queue's row lock. Never commits or opens a transaction; the caller's write does.
import { MAX_QUEUE_SCAN, type ClaimRequest, type QueueLimits, type RunRecord } from "@reprise/core";
import {
  admitCandidates,
  hasPerKeyLimits,
  interleave,
  longestPeriodMs,
  queueRoom,
  type QueueUsage,
} from "@reprise/core/internal";
import { toRecord, type RunRow } from "./run-rows.js";
import type { Statements } from "./statements.js";

type Served = { names: string[]; versions: number[] };

interface Candidate {
  readonly run_key: number;
  readonly queue: string | null;
  readonly queue_key: string | null;
  readonly due_at_ms: number;
  readonly cancel_requested: boolean;
}

const NO_LIMITS: QueueLimits = Object.freeze({});

function limited(limits: QueueLimits): boolean {
  return Object.values(limits).some((value) => value !== undefined);
}

/**
 * Leases up to `request.limit` due runs, inside the caller's write transaction: runs without a queue by due time,
 * each queue's by priority, due time and creation within its limits, taken in turn (round robin).
 *
 * Why a row lock per queue: READ COMMITTED lets two claimers count the same executing runs and both take the last
 * slot. Each claim first locks (FOR UPDATE, in name order, so claimers never deadlock) the `queues` rows of the
 * queues whose limits it applies; a second claimer of the same queue waits there until the first commits, and its
 * next statements see the runs the first took (each statement of READ COMMITTED takes a fresh snapshot). An
 * advisory lock would do the same but needs a hash of the name (collisions would serialise unrelated queues);
 * the row is already there and its lock ends with the transaction whatever happens (createRun's insert of the
 * name, ON CONFLICT DO NOTHING, does not wait for that lock). Runs of queues without limits
 * need no lock: FOR UPDATE SKIP LOCKED on the runs keeps two claimers from taking the same run, as before.
 *
 * @example
 * const runs = await claimWithQueues(statements, request, queues, servedArgs(request.workflows));
 */
export async function claimWithQueues(
  statements: Statements,
  request: ClaimRequest,
  queues: readonly string[],
  served: Served,
): Promise<RunRecord[]> {
  const { nowMs, limit } = request;
  const locked = queues.filter((queue) => limited(request.queues?.[queue] ?? NO_LIMITS));
  if (locked.length > 0) await statements.all("lockQueues", { queues: locked });
  const lists: Candidate[][] = [await statements.all<Candidate>("unqueuedCandidates", { ...served, nowMs, limit })];
  for (const queue of queues) {
    const limits = request.queues?.[queue] ?? NO_LIMITS;
    const periodMs = longestPeriodMs(limits);
    if (periodMs > 0) await statements.run("pruneStarts", { queue, beforeMs: nowMs - periodMs });
    lists.push(await candidates(statements, queue, limits, nowMs, limit, served, true));
  }
  const chosen = interleave(lists, limit);
  if (chosen.length === 0) return [];
  const rows = await statements.all<RunRow>("leaseRuns", {
    runKeys: chosen.map((candidate) => candidate.run_key),
    owner: request.owner,
    nowMs,
    leaseMs: request.leaseMs,
  });
  // A run whose cancellation was requested is outside the limits (see candidates): it starts nothing new.
  const started = chosen.filter(
    (candidate) =>
      candidate.queue !== null &&
      !candidate.cancel_requested &&
      longestPeriodMs(request.queues?.[candidate.queue] ?? NO_LIMITS) > 0,
  );
  if (started.length > 0) {
    await statements.run("recordStarts", {
      queues: started.map((candidate) => candidate.queue as string),
      keys: started.map((candidate) => candidate.queue_key),
      runKeys: started.map((candidate) => candidate.run_key),
      nowMs,
    });
  }
  return rows.map(toRecord);
}

/**
 * nextDueAtMs with queue limits (see Store): never `<= nowMs` unless a claim now would take a run. Read-only.
 *
 * @example
 * const atMs = await nextDueWithQueues(statements, queues, limits, nowMs, served);
 */
export async function nextDueWithQueues(
  statements: Statements,
  queues: readonly string[],
  limitsByQueue: Readonly<Record<string, QueueLimits>>,
  nowMs: number,
  served: Served,
): Promise<number | undefined> {
  let earliest = (await statements.get<{ due_at_ms: number }>("unqueuedNextDue", served))?.due_at_ms;
  const consider = (atMs: number | null | undefined): void => {
    if (atMs !== null && atMs !== undefined && (earliest === undefined || atMs < earliest)) earliest = atMs;
  };
  for (const queue of queues) {
    const limits = limitsByQueue[queue] ?? NO_LIMITS;
    consider((await candidates(statements, queue, limits, nowMs, 1, served, false))[0]?.due_at_ms);
    consider((await statements.get<{ due_at_ms: number }>("queueNextFuture", { ...served, queue, nowMs }))?.due_at_ms);
    for (const rate of [limits.rateLimit, limits.perKeyRateLimit]) {
      if (rate === undefined) continue;
      const row = await statements.get<{ oldest: number | null }>("oldestStart", {
        queue,
        sinceMs: nowMs - rate.periodMs,
      });
      if (row?.oldest !== null && row?.oldest !== undefined) consider(Number(row.oldest) + rate.periodMs);
    }
  }
  return earliest;
}

/**
 * The runs a claim would take from one queue now, at most `want`: those whose cancellation was requested first
 * (past the limits: they only wind down, and a full queue must not hold up a cancellation), then the others in
 * claim order within the limits. `lock`: FOR UPDATE SKIP LOCKED, as a claim reads them.
 */
async function candidates(
  statements: Statements,
  queue: string,
  limits: QueueLimits,
  nowMs: number,
  want: number,
  served: Served,
  lock: boolean,
): Promise<Candidate[]> {
  if (!limited(limits)) return limitedCandidates(statements, queue, limits, nowMs, want, served, lock);
  const cancelled = await statements.all<Candidate>(lock ? "cancelledCandidates" : "cancelledCandidatesRead", {
    ...served,
    queue,
    nowMs,
    limit: want,
  });
  if (cancelled.length >= want) return cancelled;
  const taken = new Set(cancelled.map((candidate) => candidate.run_key));
  const rest = await limitedCandidates(statements, queue, limits, nowMs, want - cancelled.length, served, lock);
  return [...cancelled, ...rest.filter((candidate) => !taken.has(candidate.run_key))];
}

/** The runs a claim would take from one queue within its limits now, at most `want`, in claim order. */
async function limitedCandidates(
  statements: Statements,
  queue: string,
  limits: QueueLimits,
  nowMs: number,
  want: number,
  served: Served,
  lock: boolean,
): Promise<Candidate[]> {
  const page = (limit: number, offset: number) =>
    statements.all<Candidate>(lock ? "queueCandidates" : "queueCandidatesRead", {
      ...served,
      queue,
      nowMs,
      limit,
      offset,
    });
  if (!limited(limits)) return page(want, 0);
  const usage = await queueUsage(statements, queue, limits, nowMs);
  const room = Math.min(want, queueRoom(limits, usage));
  if (room <= 0) return [];
  if (!hasPerKeyLimits(limits)) return page(room, 0);
  const size = Math.min(MAX_QUEUE_SCAN, Math.max(32, room * 4));
  const seen: Candidate[] = [];
  let taken: Candidate[] = [];
  while (seen.length < MAX_QUEUE_SCAN) {
    const rows = await page(Math.min(size, MAX_QUEUE_SCAN - seen.length), seen.length);
    seen.push(...rows);
    taken = admitCandidates(seen, limits, usage, room, (candidate) => candidate.queue_key);
    if (taken.length >= room || rows.length < size) break;
  }
  return taken;
}

async function queueUsage(
  statements: Statements,
  queue: string,
  limits: QueueLimits,
  nowMs: number,
): Promise<QueueUsage> {
  const runningByKey = new Map<string, number>();
  let running = 0;
  for (const row of await statements.all<{ queue_key: string | null; n: number }>("queueRunning", { queue })) {
    running += row.n;
    if (row.queue_key !== null) runningByKey.set(row.queue_key, row.n);
  }
  const starts =
    limits.rateLimit === undefined
      ? 0
      : ((await statements.get<{ n: number }>("queueStarts", { queue, sinceMs: nowMs - limits.rateLimit.periodMs }))
          ?.n ?? 0);
  const startsByKey = new Map<string, number>();
  if (limits.perKeyRateLimit !== undefined) {
    const sinceMs = nowMs - limits.perKeyRateLimit.periodMs;
    for (const row of await statements.all<{ queue_key: string; n: number }>("queueStartsByKey", { queue, sinceMs })) {
      startsByKey.set(row.queue_key, row.n);
    }
  }
  return { running, runningByKey, starts, startsByKey };
}
