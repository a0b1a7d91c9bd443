// The queue admission rule every store applies inside its claim transaction: given what a queue uses now, which
// of its due runs (in claim order) one claim may take. Pure: no store, no clock, no I/O; stores do the counting.
import type { QueueLimits } from "./store.js";

/**
 * What a queue uses at the instant of a claim: runs executing (running with a live lease) and execution starts
 * in each rate-limit window, in total and per queue key. Stores count these inside the claim's transaction.
 *
 * @example
 * const usage: QueueUsage = { running: 3, runningByKey: new Map([["acme", 2]]), starts: 10, startsByKey: new Map() };
 */
export interface QueueUsage {
  readonly running: number;
  readonly runningByKey: ReadonlyMap<string, number>;
  /** Starts in the window of `rateLimit` (0 without one). */
  readonly starts: number;
  /** Starts per key in the window of `perKeyRateLimit` (empty without one). */
  readonly startsByKey: ReadonlyMap<string, number>;
}

/**
 * How many more runs the queue admits now, keys aside: Infinity for a queue without queue-wide limits.
 *
 * @example
 * queueRoom({ concurrency: 5 }, usage); // 5 - usage.running, never below 0
 */
export function queueRoom(limits: QueueLimits, usage: QueueUsage): number {
  let room = Number.POSITIVE_INFINITY;
  if (limits.concurrency !== undefined) room = Math.min(room, limits.concurrency - usage.running);
  if (limits.rateLimit !== undefined) room = Math.min(room, limits.rateLimit.limit - usage.starts);
  return Math.max(0, room);
}

/**
 * Whether the limits have a per-key part: then a claim may have to step over runs of keys at their limit.
 *
 * @example
 * hasPerKeyLimits({ perKeyConcurrency: 2 }); // true
 */
export function hasPerKeyLimits(limits: QueueLimits): boolean {
  return limits.perKeyConcurrency !== undefined || limits.perKeyRateLimit !== undefined;
}

/**
 * The runs one claim takes from `candidates` (due runs of one queue in claim order: priority, due time, creation),
 * at most `want`: each taken run counts against the queue's and its key's limits for the ones after it. Runs of a
 * key at its limit are stepped over, so other keys behind them still get their turn. A prefix of the answer is
 * itself admissible, so a caller may take fewer. `keyOf` reads a candidate's queue key (null: none).
 *
 * @example
 * const taken = admitCandidates(rows, { concurrency: 10, perKeyConcurrency: 2 }, usage, capacity, (r) => r.key);
 */
export function admitCandidates<C>(
  candidates: readonly C[],
  limits: QueueLimits,
  usage: QueueUsage,
  want: number,
  keyOf: (candidate: C) => string | null,
): C[] {
  const taken: C[] = [];
  let room = Math.min(want, queueRoom(limits, usage));
  const runningByKey = new Map(usage.runningByKey);
  const startsByKey = new Map(usage.startsByKey);
  for (const candidate of candidates) {
    if (room <= 0) break;
    const key = keyOf(candidate);
    if (key !== null) {
      const running = runningByKey.get(key) ?? 0;
      const starts = startsByKey.get(key) ?? 0;
      if (limits.perKeyConcurrency !== undefined && running >= limits.perKeyConcurrency) continue;
      if (limits.perKeyRateLimit !== undefined && starts >= limits.perKeyRateLimit.limit) continue;
      runningByKey.set(key, running + 1);
      startsByKey.set(key, starts + 1);
    }
    taken.push(candidate);
    room -= 1;
  }
  return taken;
}

/**
 * Takes up to `limit` items from several ordered lists, one from each in turn (round robin), so that no claim
 * source (runs without a queue, each queue) starves the others when a claim cannot take everything that is due.
 *
 * @example
 * interleave([[1, 2, 3], [10, 20]], 4); // [1, 10, 2, 20]
 */
export function interleave<T>(lists: readonly (readonly T[])[], limit: number): T[] {
  const out: T[] = [];
  for (let index = 0; out.length < limit; index += 1) {
    let any = false;
    for (const list of lists) {
      const item = list[index];
      if (item === undefined) continue;
      any = true;
      out.push(item);
      if (out.length >= limit) break;
    }
    if (!any) break;
  }
  return out;
}

/**
 * The longest rate-limit period of the limits (0 without rate limits): starts older than that may be forgotten.
 *
 * @example
 * longestPeriodMs({ rateLimit: { limit: 10, periodMs: 1_000 } }); // 1000
 */
export function longestPeriodMs(limits: QueueLimits): number {
  return Math.max(limits.rateLimit?.periodMs ?? 0, limits.perKeyRateLimit?.periodMs ?? 0);
}
