// Workflows shared by the test process and the worker processes it spawns.
// Steps append to a ledger file (path from REPRISE_LEDGER) so tests can count side effects across processes.
import { appendFileSync } from "node:fs";
import { all, awaitSignal, step, workflow } from "@reprise/core";

/** Runs `steps` ledger steps, each optionally hanging (to be killed mid-step), then waits for "go". */
export const ledgerWorkflow = workflow("ledger", function* (input: { steps: number; hangOn?: number }) {
  const keys: string[] = [];
  for (let i = 1; i <= input.steps; i++) {
    keys.push(
      yield* step(`write-${i}`, async (ctx) => {
        const ledger = process.env.REPRISE_LEDGER;
        if (ledger === undefined) throw new Error("REPRISE_LEDGER is not set");
        appendFileSync(ledger, `${JSON.stringify({ step: i, key: ctx.idempotencyKey, pid: process.pid })}\n`);
        if (input.hangOn === i && process.env.REPRISE_HANG === "1") await new Promise(() => undefined);
        return ctx.idempotencyKey;
      }),
    );
  }
  const greeting = yield* awaitSignal<string>("go");
  return { keys, greeting };
});

/** Runs `branches` ledger steps in parallel (one `all`); the one numbered `hangOn` hangs when REPRISE_HANG is 1. */
export const parallelLedgerWorkflow = workflow(
  "parallel-ledger",
  function* (input: { branches: number; hangOn: number }) {
    const numbers = Array.from({ length: input.branches }, (_, i) => i + 1);
    return yield* all(
      numbers.map((i) =>
        step(`branch-${i}`, async (ctx) => {
          const ledger = process.env.REPRISE_LEDGER;
          if (ledger === undefined) throw new Error("REPRISE_LEDGER is not set");
          appendFileSync(ledger, `${JSON.stringify({ step: i, key: ctx.idempotencyKey, pid: process.pid })}\n`);
          if (input.hangOn === i && process.env.REPRISE_HANG === "1") await new Promise(() => undefined);
          return ctx.idempotencyKey;
        }),
      ),
    );
  },
);
