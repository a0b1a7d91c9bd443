// The start-up check of parked runs: an engine that starts on a store with many sleeping and waiting runs replays
// each of them in the background. Measured: how long the whole check takes, and a run's latency meanwhile.
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { nowMs } from "../measure.js";
import { sleeper, threeSteps, waiter } from "../workflows.js";

export interface StartUpCheckResult {
  readonly parkedRuns: number;
  /** From createEngine() until the check had replayed every parked run (whenIdle() waits for it). */
  readonly checkSeconds: number;
  readonly runsCheckedPerSecond: number;
  /** start() → result() of a three-step run started right after createEngine(), while the check runs. */
  readonly runDuringCheckMs: number;
  /** Runs the check blocked: 0, since the code matches every history. */
  readonly blocked: number;
}

/**
 * Opens the idle-memory case's store (its parked runs) with a new engine serving their workflows, and times the
 * check. The file is left as it was: matching code blocks nothing, and the extra run completes.
 *
 * @example
 * const check = await measureStartUpCheck(idle.filename, idle.runs);
 */
export async function measureStartUpCheck(filename: string, parkedRuns: number): Promise<StartUpCheckResult> {
  const store = await SqliteStore.open({ filename });
  let blocked = 0;
  const started = nowMs();
  const engine = createEngine({
    store,
    workflows: [sleeper, waiter, threeSteps],
    on: { runBlocked: () => (blocked += 1) },
  });
  try {
    const runStarted = nowMs();
    await (await engine.start(threeSteps, 1)).result();
    const runDuringCheckMs = nowMs() - runStarted;
    await engine.whenIdle();
    const checkSeconds = (nowMs() - started) / 1000;
    return { parkedRuns, checkSeconds, runsCheckedPerSecond: parkedRuns / checkSeconds, runDuringCheckMs, blocked };
  } finally {
    await engine.close();
    await store.close();
  }
}
