// Timers and signals: how late 1,000 one-second durable timers complete, and signal sent → result available.
// Both use the real clock (systemClock) and the default engine settings.
import { createEngine } from "@reprise/core";
import { type BenchDirectory, nowMs, percentile, repeat, summarize, type Summary } from "../measure.js";
import { napThenStep, waiter } from "../workflows.js";

export interface TimerResult {
  readonly runs: number;
  /** Completion time minus (start + 1 s), per run: p50 and p99 over the runs of a repetition. */
  readonly lateP50Ms: Summary;
  readonly lateP99Ms: Summary;
}

export interface SignalResult {
  readonly roundTrips: number;
  /** signal() called → result() resolved, for a run parked waiting for that signal. */
  readonly p50Ms: Summary;
  readonly p99Ms: Summary;
}

export async function measureTimers(dir: BenchDirectory, runs: number, repetitions: number): Promise<TimerResult> {
  const samples = await repeat(repetitions, 0, async () => {
    const store = await dir.store("timers");
    const engine = createEngine({ store, workflows: [napThenStep] });
    await engine.whenIdle();
    const lateness = await Promise.all(
      Array.from({ length: runs }, async (_, i) => {
        const started = nowMs();
        const run = await engine.start(napThenStep, undefined, { id: `nap-${i}` });
        await run.result();
        return nowMs() - started - 1000;
      }),
    );
    await engine.close();
    await store.close();
    lateness.sort((a, b) => a - b);
    return { p50: percentile(lateness, 0.5), p99: percentile(lateness, 0.99) };
  });
  return {
    runs,
    lateP50Ms: summarize(samples.map((s) => s.p50)),
    lateP99Ms: summarize(samples.map((s) => s.p99)),
  };
}

export async function measureSignals(
  dir: BenchDirectory,
  roundTrips: number,
  repetitions: number,
): Promise<SignalResult> {
  const samples = await repeat(repetitions, 0, async () => {
    const store = await dir.store("signals");
    const engine = createEngine({ store, workflows: [waiter] });
    await engine.whenIdle();
    const times: number[] = [];
    for (let i = -20; i < roundTrips; i++) {
      const run = await engine.start(waiter, undefined);
      await engine.whenIdle(); // parked: waiting for "go", lease released
      const started = nowMs();
      await engine.signal(run.id, "go", i);
      await run.result();
      if (i >= 0) times.push(nowMs() - started);
    }
    await engine.close();
    await store.close();
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
  });
  return {
    roundTrips,
    p50Ms: summarize(samples.map((s) => s.p50)),
    p99Ms: summarize(samples.map((s) => s.p99)),
  };
}
