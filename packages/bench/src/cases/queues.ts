// Queues: the throughput workload in a queue with limits against the same workload without one, and what one
// claim costs (time and SQL statements) with 1,000 and with 100,000 runs waiting in a queue: it must stay flat.
import type { QueueLimits, ServedWorkflow } from "@reprise/core";
import {
  nowMs,
  repeat,
  storeCounters,
  summarize,
  type BenchStore,
  type StoreSource,
  type Summary,
} from "../measure.js";
import { newRun } from "../new-runs.js";
import { measureThroughput, type ThroughputResult } from "./throughput.js";

export interface QueueThroughputResult {
  /** The throughput case as it is: no queue. */
  readonly withoutQueue: ThroughputResult;
  /** The same runs in one queue with concurrency 100 (the engine's own default) and per-key concurrency 10. */
  readonly withLimits: ThroughputResult;
}

/** Throughput with and without queue limits, same workload, same engine settings otherwise. */
export async function measureQueueThroughput(
  dir: StoreSource,
  options: { workflows: number; repetitions: number },
): Promise<QueueThroughputResult> {
  const withoutQueue = await measureThroughput(dir, options);
  const withLimits = await measureThroughput(dir, {
    ...options,
    engine: { queues: { bench: { concurrency: 100, perKeyConcurrency: 10 } } },
    start: (i) => ({ queue: "bench", key: `customer-${i % 50}` }),
  });
  return { withoutQueue, withLimits };
}

export interface QueueClaimCost {
  /** Runs due and waiting in the queue while the claims are measured. */
  readonly queuedRuns: number;
  /** A claim that takes one run (a slot was free), µs per call. */
  readonly claimOneUs: Summary;
  /** SQL statements of that claim. */
  readonly claimOneStatements: number;
  /** A claim while the queue's concurrency is used up (it takes nothing), µs per call. */
  readonly claimFullUs: Summary;
  readonly claimFullStatements: number;
  /** nextDueAtMs with the queue's limits while it is full, µs per call. */
  readonly nextDueFullUs: Summary;
}

const WORKFLOW = "bench-queued";
const SERVED: readonly ServedWorkflow[] = [{ name: WORKFLOW, version: 1 }];
const BATCH = 10_000;
const CALLS = 100;

/** Claim cost with `queuedRuns` due runs in one queue (keys and priorities mixed), on a fresh store. */
export async function measureQueueClaimCost(
  dir: StoreSource,
  queuedRuns: number,
  repetitions: number,
  /** Runs once the runs are in, before anything is timed (PostgreSQL: ANALYZE, as autovacuum would by then). */
  afterFill?: (store: BenchStore) => Promise<void>,
): Promise<QueueClaimCost> {
  const store = await dir.store(`queue-claims-${queuedRuns}`);
  try {
    const t0 = Date.now();
    for (let start = 0; start < queuedRuns; start += BATCH) {
      const runs = Array.from({ length: Math.min(BATCH, queuedRuns - start) }, (_, j) => {
        const i = start + j;
        return { ...newRun(`q-${i}`, WORKFLOW, i, t0), queue: "jobs", queueKey: `k-${i % 100}`, priority: i % 5 };
      });
      await store.createRuns(runs);
    }
    await afterFill?.(store);
    const open: Record<string, QueueLimits> = { jobs: { concurrency: 1_000_000_000, perKeyConcurrency: 1_000_000 } };
    const full: Record<string, QueueLimits> = { jobs: { concurrency: 1, perKeyConcurrency: 1 } };
    const claim = (owner: string, queues: Record<string, QueueLimits>) =>
      store.claimDueRuns({ owner, nowMs: Date.now(), leaseMs: 600_000, limit: 1, workflows: SERVED, queues });
    // One run held: with concurrency 1 the queue is full from here on.
    if ((await claim("holder", open)).length !== 1) throw new Error("expected to claim one queued run");
    const time = async (call: () => Promise<unknown>): Promise<{ us: number; statements: number }> => {
      const before = storeCounters(store).statements;
      const started = nowMs();
      for (let i = 0; i < CALLS; i++) await call();
      return {
        us: ((nowMs() - started) * 1000) / CALLS,
        statements: (storeCounters(store).statements - before) / CALLS,
      };
    };
    const samples = await repeat(repetitions, 1, async () => ({
      one: await time(() => claim("bench", open)),
      full: await time(() => claim("bench", full)),
      nextDue: await time(() => store.nextDueAtMs(SERVED, { queues: full, nowMs: Date.now() })),
    }));
    return {
      queuedRuns,
      claimOneUs: summarize(samples.map((s) => s.one.us)),
      claimOneStatements: samples.at(-1)?.one.statements ?? 0,
      claimFullUs: summarize(samples.map((s) => s.full.us)),
      claimFullStatements: samples.at(-1)?.full.statements ?? 0,
      nextDueFullUs: summarize(samples.map((s) => s.nextDue.us)),
    };
  } finally {
    await store.close();
  }
}
