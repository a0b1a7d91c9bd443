// A worker process for the multi-process PostgreSQL queue test: an engine on a PostgresStore of its own serving
// the queued ledger workflow with the test's limits until SIGTERM. Usage: tsx queue-worker.ts <url> <schema>.
import { createEngine } from "@reprise/core";
import { PostgresStore } from "../../src/index.js";
import { PG_QUEUED_LEDGER_QUEUES, pgQueuedLedger } from "./queue-workflows.js";

const [connectionString, schema] = process.argv.slice(2);
if (connectionString === undefined || schema === undefined) throw new Error("usage: queue-worker.ts <url> <schema>");
const store = await PostgresStore.open({ connectionString, schema, max: 3 });
const engine = createEngine({
  store,
  workflows: [pgQueuedLedger],
  queues: PG_QUEUED_LEDGER_QUEUES,
  pollIntervalMs: 20,
});
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
process.on("SIGTERM", () => {
  void engine.close().then(() => store.close().then(() => process.exit(0)));
});
