// A separate OS process for multi-process tests: a worker engine or a client on a shared SQLite file.
// Usage: tsx worker.ts <db> worker|client [runId]. It prints one JSON line per milestone on stdout.
// REPRISE_LEASE_MS sets the worker's leaseMs (default 1,000).
import { appendFileSync } from "node:fs";
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { ledgerWorkflow, parallelLedgerWorkflow } from "./workflows.js";

const [filename, mode, runId] = process.argv.slice(2);
if (filename === undefined || mode === undefined) throw new Error("usage: worker.ts <db> worker|client [runId]");

const store = await SqliteStore.open({ filename });
const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

if (mode === "worker") {
  process.env.REPRISE_LEDGER ??= `${filename}.ledger`;
  const leaseMs = Number(process.env.REPRISE_LEASE_MS ?? 1_000);
  const engine = createEngine({
    store,
    workflows: [ledgerWorkflow, parallelLedgerWorkflow],
    leaseMs,
    pollIntervalMs: 50,
  });
  say({ ready: true, pid: process.pid });
  process.on("SIGTERM", () => {
    void engine.close().then(() => store.close().then(() => process.exit(0)));
  });
} else {
  const client = createEngine({ store, workflows: [], pollIntervalMs: 50 });
  const run = await client.start(ledgerWorkflow, { steps: 2 }, { id: runId ?? "from-client" });
  await client.signal(run.id, "go", "signal from another process");
  say({ started: run.id });
  await client.close();
  await store.close();
  appendFileSync(`${filename}.client-done`, "done\n");
}
