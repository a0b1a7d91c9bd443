// The workflow of the multi-process queue test, shared by the test and the worker processes it spawns.
// Its step appends "enter" and "exit" lines to a ledger file (REPRISE_LEDGER): their order is the order of events.
import { appendFileSync } from "node:fs";
import { step, workflow } from "@reprise/core";

/** One step that stays inside its body for `holdMs`, bracketed by ledger lines. */
export const queuedLedgerWorkflow = workflow("queued-ledger", function* (input: { n: number; holdMs: number }) {
  return yield* step("hold", async () => {
    const ledger = process.env.REPRISE_LEDGER;
    if (ledger === undefined) throw new Error("REPRISE_LEDGER is not set");
    appendFileSync(ledger, `${JSON.stringify({ enter: input.n, pid: process.pid })}\n`);
    await new Promise((resolve) => setTimeout(resolve, input.holdMs));
    appendFileSync(ledger, `${JSON.stringify({ exit: input.n, pid: process.pid })}\n`);
    return input.n;
  });
});

/** The queues every worker of the test configures. */
export const QUEUED_LEDGER_QUEUES = { jobs: { concurrency: 3 } };
