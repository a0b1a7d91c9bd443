// Throughput while many result() handles wait: runs parked on a signal, each with a caller awaiting its result,
// and the throughput workload on the same engine. What the waiting handles cost each poll shows up per workflow.
import { createEngine } from "@reprise/core";
import { type BenchDirectory, nowMs, repeat, storeCounters, summarize, type Summary, tick } from "../measure.js";
import { threeSteps, waiter } from "../workflows.js";

export interface WaitingHandlesResult {
  readonly waitingHandles: number;
  readonly workflows: number;
  readonly workflowsPerSecond: Summary;
  /** SQL statements per workflow of the workload, everything the engine ran meanwhile included. */
  readonly statementsPerWorkflow: Summary;
}

const START_CHUNK = 5_000;

export async function measureWaitingHandles(
  dir: BenchDirectory,
  options: { readonly waitingHandles: number; readonly workflows: number; readonly repetitions: number },
): Promise<WaitingHandlesResult> {
  const store = await dir.store("waiting-handles");
  const engine = createEngine({ store, workflows: [threeSteps, waiter] });
  await engine.whenIdle();
  const waiting: Promise<unknown>[] = [];
  for (let first = 0; first < options.waitingHandles; first += START_CHUNK) {
    const count = Math.min(START_CHUNK, options.waitingHandles - first);
    const handles = await Promise.all(Array.from({ length: count }, () => engine.start(waiter, undefined)));
    // Nobody signals these runs: each result() waits until the engine closes (and then rejects, ignored).
    for (const handle of handles) waiting.push(handle.result().catch(() => undefined));
  }
  await engine.whenIdle();
  for (let i = 0; i < 10; i++) await tick();
  const samples = await repeat(options.repetitions, 1, async () => {
    const before = storeCounters(store);
    const started = nowMs();
    const runs = await Promise.all(Array.from({ length: options.workflows }, (_, i) => engine.start(threeSteps, i)));
    await Promise.all(runs.map((run) => run.result()));
    const seconds = (nowMs() - started) / 1000;
    const statements = storeCounters(store).statements - before.statements;
    return { workflowsPerSecond: options.workflows / seconds, statementsPerWorkflow: statements / options.workflows };
  });
  await engine.close();
  await Promise.all(waiting);
  await store.close();
  return {
    waitingHandles: options.waitingHandles,
    workflows: options.workflows,
    workflowsPerSecond: summarize(samples.map((s) => s.workflowsPerSecond)),
    statementsPerWorkflow: summarize(samples.map((s) => s.statementsPerWorkflow)),
  };
}
