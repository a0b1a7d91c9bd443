// What both stores share of RunReader.queueStats: checking its options and assembling a queue's counts from the
// per-key rows a store reads. No store access and no clock: the store passes the time "now" defaults to.
import { InvalidArgumentError } from "./errors.js";
import type { QueueKeyStats, QueueStats, QueueStatsOptions } from "./store-reader.js";

/** How far back `queueStats` counts starts when the caller does not say: one minute. */
export const DEFAULT_STARTS_WINDOW_MS = 60_000;

/**
 * QueueStatsOptions with every default filled in, checked.
 *
 * @example
 * const { nowMs, sinceMs, keysPerQueue, limit } = resolveQueueStatsOptions({ keysPerQueue: 3 }, Date.now());
 */
export interface ResolvedQueueStatsOptions {
  readonly nowMs: number;
  readonly sinceMs: number;
  readonly keysPerQueue: number;
  readonly limit: number;
}

/**
 * Fills in `queueStats`' defaults (`nowMs`: `hostNowMs`, the reading host's clock) and refuses malformed options
 * with InvalidArgumentError (nothing is read).
 *
 * @example
 * const resolved = resolveQueueStatsOptions({ keysPerQueue: 3 }, Date.now()); // sinceMs: a minute earlier
 */
export function resolveQueueStatsOptions(
  options: QueueStatsOptions | undefined,
  hostNowMs: number,
): ResolvedQueueStatsOptions {
  const nowMs = options?.nowMs ?? hostNowMs;
  checkWhole(nowMs, "nowMs", Number.MIN_SAFE_INTEGER);
  const sinceMs = options?.sinceMs ?? nowMs - DEFAULT_STARTS_WINDOW_MS;
  checkWhole(sinceMs, "sinceMs", Number.MIN_SAFE_INTEGER);
  const keysPerQueue = options?.keysPerQueue ?? 10;
  checkWhole(keysPerQueue, "keysPerQueue", 0);
  const limit = options?.limit ?? 100;
  checkWhole(limit, "limit", 1);
  return { nowMs, sinceMs, keysPerQueue, limit };
}

/**
 * Per-key counts of one queue as a store reads them (`key` null: runs without a key; a key may appear in several
 * rows, e.g. once from the running runs and once from the due ones).
 *
 * @example
 * const row: QueueKeyCounts = { key: "acme", running: 2, queued: 0, delayed: 0 };
 */
export interface QueueKeyCounts {
  readonly key: string | null;
  readonly running: number;
  readonly queued: number;
  readonly delayed: number;
}

/**
 * One queue's QueueStats from its per-key rows: totals over every row, and the `keysPerQueue` busiest keys
 * (running + queued descending, then code-point order of key, so that both stores rank alike).
 *
 * @example
 * const stats = assembleQueueStats("imports", rows, 12, 10);
 */
export function assembleQueueStats(
  name: string,
  rows: readonly QueueKeyCounts[],
  startsSince: number,
  keysPerQueue: number,
): QueueStats {
  let running = 0;
  let queued = 0;
  let delayed = 0;
  const byKey = new Map<string, { running: number; queued: number }>();
  for (const row of rows) {
    // Drivers may hand sums and counts back as strings or bigints; the counts always fit a number.
    const r = Number(row.running);
    const q = Number(row.queued);
    running += r;
    queued += q;
    delayed += Number(row.delayed);
    if (row.key === null || r + q === 0) continue;
    const key = byKey.get(row.key) ?? { running: 0, queued: 0 };
    key.running += r;
    key.queued += q;
    byKey.set(row.key, key);
  }
  const keys: QueueKeyStats[] = [...byKey]
    .map(([key, counts]) => ({ key, ...counts }))
    .sort((a, b) => b.running + b.queued - (a.running + a.queued) || compareCodePoints(a.key, b.key))
    .slice(0, keysPerQueue);
  return { name, running, queued, delayed, startsSince: Number(startsSince), keys };
}

function compareCodePoints(a: string, b: string): number {
  // Code-unit order is code-point order for the well-formed strings queue keys are.
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkWhole(value: number, option: string, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    const range = min === Number.MIN_SAFE_INTEGER ? "a whole number of epoch ms" : `a whole number from ${min}`;
    throw new InvalidArgumentError(`queueStats() needs ${option} to be ${range} (got ${String(value)}).`);
  }
}
