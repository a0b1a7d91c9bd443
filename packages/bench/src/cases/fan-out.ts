// Fan-out inside one run: a run whose steps all run at once in one `all`, one run at a time, start() → result().
// Steps of one group that finish together share a commit, so the commits per run are counted, not assumed.
import { createEngine } from "@reprise/core";
import { type StoreSource, nowMs, percentile, repeat, storeCounters, summarize, type Summary } from "../measure.js";
import { fanOut } from "../workflows.js";

export interface FanOutResult {
  /** Steps in the run's one `all`. */
  readonly steps: number;
  /** Runs timed one after another in each repetition. */
  readonly runs: number;
  readonly p50Ms: Summary;
  /** Steps of all timed runs over the time they took: the rate at which one run's fan-out gets through steps. */
  readonly stepsPerSecond: Summary;
  /** Durable transactions per run (`store.stats()`): step completions of the group that arrive together share one. */
  readonly commitsPerRun: Summary;
}

const WARMUP_RUNS = 10;

/**
 * Times `runs` runs of one `all` of `steps` no-op steps, one run at a time, on a fresh store and engine per
 * repetition (default settings, after warm-up runs that are not timed).
 *
 * @example
 * const fanOut = await measureFanOut(dir, { steps: 100, runs: 100, repetitions: 5 });
 * fanOut.p50Ms.median; // ms from start() to result() for one run of 100 steps side by side
 */
export async function measureFanOut(
  dir: StoreSource,
  options: { readonly steps: number; readonly runs: number; readonly repetitions: number },
): Promise<FanOutResult> {
  const { steps, runs } = options;
  const samples = await repeat(options.repetitions, 0, async () => {
    const store = await dir.store("fan-out");
    const engine = createEngine({ store, workflows: [fanOut] });
    await engine.whenIdle();
    for (let i = 0; i < WARMUP_RUNS; i++) await (await engine.start(fanOut, steps)).result();
    const before = storeCounters(store);
    const times: number[] = [];
    const started = nowMs();
    for (let i = 0; i < runs; i++) {
      const runStarted = nowMs();
      const results = await (await engine.start(fanOut, steps)).result();
      times.push(nowMs() - runStarted);
      // A group that lost results would look fast; the run returns how many it got back.
      if (results !== steps) throw new Error(`The fan-out run returned ${results} step results, not ${steps}.`);
    }
    const seconds = (nowMs() - started) / 1000;
    const transactions = storeCounters(store).transactions - before.transactions;
    await engine.close();
    await store.close();
    times.sort((a, b) => a - b);
    return {
      p50: percentile(times, 0.5),
      stepsPerSecond: (runs * steps) / seconds,
      commitsPerRun: transactions / runs,
    };
  });
  return {
    steps,
    runs,
    p50Ms: summarize(samples.map((s) => s.p50)),
    stepsPerSecond: summarize(samples.map((s) => s.stepsPerSecond)),
    commitsPerRun: summarize(samples.map((s) => s.commitsPerRun)),
  };
}
