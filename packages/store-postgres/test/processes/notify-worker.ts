// An engine in an OS process of its own for the change-notification tests, on its own PostgresStore (own pool).
// Usage: tsx notify-worker.ts <connection string> <schema>; prints {"ready":true} and serves until SIGTERM.
import { createEngine } from "@reprise/core";
import { PostgresStore } from "../../src/index.js";
import { approval, greet } from "./notify-workflows.js";

const [connectionString, schema] = process.argv.slice(2);
if (connectionString === undefined || schema === undefined) {
  throw new Error("usage: notify-worker.ts <connection string> <schema>");
}

const store = await PostgresStore.open({ connectionString, schema });
// A poll interval far beyond the test's timeout: only change notifications can make this engine act in time.
const engine = createEngine({
  store,
  workflows: [greet, approval],
  pollIntervalMs: 600_000,
  onError: (error) => process.stderr.write(`[notify-worker] ${String(error)}\n`),
});
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
process.on("SIGTERM", () => {
  void engine.close().then(() => store.close().then(() => process.exit(0)));
});
