// `pnpm --filter @reprise/examples ship [run-id] [carrier]`: the warehouse's side of the demo. Sends the
// 'shipped' signal to a run in the same ./reprise.db through a client-only engine, which executes nothing.
import { existsSync } from "node:fs";
import { createEngine, RunFinishedError, RunNotFoundError } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { demoPaths, shownPath } from "./db-path.js";
import { DEMO_RUN_ID, SHIPPED_SIGNAL, type Shipment } from "./order-workflow.js";

async function main(): Promise<number> {
  const [runId = DEMO_RUN_ID, carrier = "DHL"] = process.argv.slice(2);
  const paths = demoPaths();
  const db = shownPath(paths, paths.db);
  if (!existsSync(paths.db)) {
    console.error(`No ${db} here (${paths.cwd}); start the demo first with \`pnpm demo\` in this directory.`);
    return 1;
  }
  const store = await SqliteStore.open({ filename: paths.db });
  // No workflows: this engine only starts, signals and reads runs; the demo's engine executes them.
  const engine = createEngine({ store, workflows: [] });
  try {
    const shipment: Shipment = { carrier };
    // One shipment per run: a fixed signal id turns an accidental second `ship` into a no-op.
    const { duplicate } = await engine.signal(runId, SHIPPED_SIGNAL, shipment, { id: `ship-${runId}` });
    if (duplicate) {
      console.log(`Run ${runId} was already sent '${SHIPPED_SIGNAL}' by an earlier \`ship\`; nothing new was sent.`);
      return 0;
    }
    console.log(`Sent '${SHIPPED_SIGNAL}' ${JSON.stringify(shipment)} to run ${runId} in ${db}.`);
    const info = await engine.getRun(runId);
    if (info?.status === "waiting") {
      console.log("It is stored durably: a running `pnpm demo` picks it up within half a second,");
      console.log("a stopped one as soon as you run `pnpm demo` again.");
    } else {
      console.log(`The run is '${info?.status}' right now; the signal waits in its inbox until it asks for one.`);
    }
    return 0;
  } catch (error) {
    if (error instanceof RunNotFoundError || error instanceof RunFinishedError) {
      console.error(`${error.message} (in ${db})`);
      return 1;
    }
    throw error;
  } finally {
    await engine.close();
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
