// Latency: one workflow at a time, start() → result(), on an otherwise idle engine with default settings.
// Every write on the path is a durable commit of its own, so the floor is (commits per run) × (one commit).
import { createEngine } from "@reprise/core";
import { type StoreSource, nowMs, percentile, repeat, storeCounters, summarize, type Summary } from "../measure.js";
import { threeSteps } from "../workflows.js";

export interface LatencyResult {
  readonly runs: number;
  readonly p50Ms: Summary;
  readonly p99Ms: Summary;
  /** Durable transactions per run; with one run at a time each of them is on the critical path. */
  readonly commitsPerRun: Summary;
}

const WARMUP_RUNS = 30;

export async function measureLatency(dir: StoreSource, runs: number, repetitions: number): Promise<LatencyResult> {
  const samples = await repeat(repetitions, 0, async () => {
    const store = await dir.store("latency");
    const engine = createEngine({ store, workflows: [threeSteps] });
    await engine.whenIdle();
    for (let i = 0; i < WARMUP_RUNS; i++) await (await engine.start(threeSteps, i)).result();
    const before = storeCounters(store);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = nowMs();
      const run = await engine.start(threeSteps, i);
      await run.result();
      times.push(nowMs() - started);
    }
    const transactions = storeCounters(store).transactions - before.transactions;
    await engine.close();
    await store.close();
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), commitsPerRun: transactions / runs };
  });
  return {
    runs,
    p50Ms: summarize(samples.map((s) => s.p50)),
    p99Ms: summarize(samples.map((s) => s.p99)),
    commitsPerRun: summarize(samples.map((s) => s.commitsPerRun)),
  };
}
