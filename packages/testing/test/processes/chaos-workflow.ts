// The workflow of the SIGKILL chaos test: many short steps, each writing one line to an external ledger file.
// Each step sleeps after its side effect, so a kill often lands between the effect and the commit of its result.
import { appendFileSync } from "node:fs";
import { sleep, step, workflow } from "@reprise/core";

/** One ledger line: a side effect of one step attempt. */
export interface ChaosLedgerEntry {
  readonly runId: string;
  readonly step: string;
  readonly key: string;
  readonly attempt: number;
  readonly pid: number;
}

/** Runs `steps` ledger steps (each `stepMs` long after its write), with a short durable sleep every 10th step. */
export const chaosWorkflow = workflow("chaos", function* (input: { steps: number; stepMs: number }) {
  const keys: string[] = [];
  for (let i = 1; i <= input.steps; i++) {
    keys.push(
      yield* step(`write-${i}`, async (ctx) => {
        const ledger = process.env.REPRISE_CHAOS_LEDGER;
        if (ledger === undefined) throw new Error("REPRISE_CHAOS_LEDGER is not set");
        const entry: ChaosLedgerEntry = {
          runId: ctx.runId,
          step: `write-${i}`,
          key: ctx.idempotencyKey,
          attempt: ctx.attempt,
          pid: process.pid,
        };
        appendFileSync(ledger, `${JSON.stringify(entry)}\n`);
        await new Promise((resolve) => setTimeout(resolve, input.stepMs));
        return ctx.idempotencyKey;
      }),
    );
    if (i % 10 === 0) yield* sleep(20);
  }
  return keys;
});
