// A worker process for the multi-process queue test: an engine on a shared SQLite file that serves the queued
// ledger workflow with the test's queue limits until SIGTERM. Usage: tsx queue-worker.ts <db>; prints one line.
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { QUEUED_LEDGER_QUEUES, queuedLedgerWorkflow } from "./queue-workflows.js";

const [filename] = process.argv.slice(2);
if (filename === undefined) throw new Error("usage: queue-worker.ts <db>");
const store = await SqliteStore.open({ filename });
const engine = createEngine({
  store,
  workflows: [queuedLedgerWorkflow],
  queues: QUEUED_LEDGER_QUEUES,
  pollIntervalMs: 20,
});
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
process.on("SIGTERM", () => {
  void engine.close().then(() => store.close().then(() => process.exit(0)));
});
