// A worker process for the SIGKILL chaos test: starts (or finds) the runs, executes them, exits 0 when all completed.
// Usage: node --import tsx --conditions=@reprise/source chaos-worker.ts <db> <runs> <steps> <stepMs>. JSON lines on stdout.
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { chaosWorkflow } from "./chaos-workflow.js";

const [filename, runsArg = "4", stepsArg = "60", stepMsArg = "30"] = process.argv.slice(2);
if (filename === undefined) throw new Error("usage: chaos-worker.ts <db> <runs> <steps> <stepMs>");
const [runs, steps, stepMs] = [Number(runsArg), Number(stepsArg), Number(stepMsArg)];
const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

const store = await SqliteStore.open({ filename });
const engine = createEngine({
  store,
  workflows: [chaosWorkflow],
  leaseMs: 400,
  pollIntervalMs: 20,
  onError: (error) => say({ error: String(error) }),
});
for (let i = 1; i <= runs; i++) await engine.start(chaosWorkflow, { steps, stepMs }, { id: `chaos-${i}` });
say({ ready: true, pid: process.pid });

for (;;) {
  const done = await engine.listRuns({ workflow: chaosWorkflow.name, status: "completed" });
  if (done.length === runs) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
say({ done: true });
await engine.close();
await store.close();
process.exit(0);
