// A worker process of the N-workers case: one engine serving the bench workflow on a PostgreSQL schema, told by
// its parent (over IPC) when to start and when to stop. Run by cases/postgres-workers.ts, never by hand.
import { createEngine, type Engine } from "@reprise/core";
import { PostgresStore } from "@reprise/store-postgres";
import { threeSteps } from "./workflows.js";

/** What the parent sends: start serving, or close and exit. */
type Command = { readonly type: "go" } | { readonly type: "stop" };

const [url, schema, groupCommit] = process.argv.slice(2);
if (url === undefined || schema === undefined || process.send === undefined) {
  throw new Error("postgres-worker.ts runs as a child of the bench (fork with a URL and a schema), not on its own.");
}
const send = process.send.bind(process);
const store = await PostgresStore.open({ connectionString: url, schema, groupCommit: groupCommit !== "false" });
let engine: Engine | undefined;
process.on("message", (command: Command) => {
  if (command.type === "go") {
    engine = createEngine({ store, workflows: [threeSteps] });
    return;
  }
  void (async () => {
    await engine?.close();
    await store.close();
    send({ type: "stopped" }, () => process.exit(0));
  })();
});
send({ type: "ready" });
