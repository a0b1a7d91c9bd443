// The workflows the fault tests run, in the test process and in worker processes alike: steps that write a line
// to a ledger file (a side effect outside the store) and take a while, durable sleeps, and signal waits.
import { appendFileSync } from "node:fs";
import { awaitSignal, sleep, step, workflow } from "@reprise/core";

/** One ledger line: one attempt of one step, by one process. */
export interface LedgerLine {
  readonly runId: string;
  readonly step: string;
  readonly key: string;
  readonly pid: number;
}

/** A step's side effect: a ledger line (when a ledger is given), then `ms` of work. */
async function work(
  ctx: { runId: string; idempotencyKey: string },
  name: string,
  ledger: string | undefined,
  ms: number,
): Promise<string> {
  if (ledger !== undefined) {
    const line: LedgerLine = { runId: ctx.runId, step: name, key: ctx.idempotencyKey, pid: process.pid };
    appendFileSync(ledger, `${JSON.stringify(line)}\n`);
  }
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  return `${ctx.runId}/${name}`;
}

/**
 * `steps` steps of `stepMs` each, named `s1`, `s2`, ...; returns their results in order.
 *
 * @example
 * await engine.start(stepsWorkflow, { steps: 3, stepMs: 10 }, { id: "run-1" });
 */
export const stepsWorkflow = workflow(
  "fault-steps",
  function* (input: { steps: number; stepMs: number; ledger?: string }) {
    const results: string[] = [];
    for (let i = 1; i <= input.steps; i++) {
      results.push(yield* step(`s${i}`, (ctx) => work(ctx, `s${i}`, input.ledger, input.stepMs)));
    }
    return results;
  },
);

/**
 * The chaos workload: `steps` steps (a durable sleep after every other one), then `signals` waits for signal
 * `"sig"`; returns the step results and the signal payloads in the order they were consumed.
 *
 * @example
 * await engine.start(chaosWorkflow, { steps: 4, stepMs: 20, sleepMs: 30, signals: 2 }, { id: "chaos-1" });
 */
export const chaosWorkflow = workflow(
  "fault-chaos",
  function* (input: { steps: number; stepMs: number; sleepMs: number; signals: number; ledger?: string }) {
    const results: string[] = [];
    for (let i = 1; i <= input.steps; i++) {
      results.push(yield* step(`s${i}`, (ctx) => work(ctx, `s${i}`, input.ledger, input.stepMs)));
      if (i % 2 === 0) yield* sleep(input.sleepMs);
    }
    const payloads: unknown[] = [];
    for (let j = 1; j <= input.signals; j++) payloads.push(yield* awaitSignal<unknown>("sig"));
    return { results, payloads };
  },
);
