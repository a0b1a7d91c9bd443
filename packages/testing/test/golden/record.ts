// Re-records the event format 2 golden histories in this folder from real runs (production engine, SQLite, virtual
// clock). Run: node --import tsx --conditions=@reprise/source packages/testing/test/golden/record.ts
// The format 1 histories (order-*.json, invoice-failed.json) were recorded by the release before format 2 and are
// kept as they are: today's engine writes format 2, so it cannot re-record them, and they prove old logs replay.
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, type Engine } from "@reprise/core";
import * as prettier from "prettier";
import { recordHistory } from "../../src/replay-history.js";
import { temporaryStore } from "../../src/temporary-store.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { GOLDEN_FLEET_INPUT, goldenFleet, goldenMachine } from "./workflows.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Same key, same number: re-recording produces identical files. */
const random = (key: string): number => createHash("sha256").update(key).digest().readUIntBE(0, 6) / 2 ** 48;

async function main(): Promise<void> {
  const tmp = await temporaryStore();
  const clock = new VirtualClock();
  const errors: unknown[] = [];
  const engine = createEngine({
    store: tmp.store,
    workflows: [goldenFleet, goldenMachine],
    clock,
    random,
    pollIntervalMs: Number.POSITIVE_INFINITY,
    onError: (error) => errors.push(error),
  });
  try {
    await engine.start(goldenFleet, GOLDEN_FLEET_INPUT, { id: "fleet-completed" });
    await engine.start(goldenFleet, GOLDEN_FLEET_INPUT, { id: "fleet-in-flight" });
    await clock.advance({ minutes: 1 }); // the first two machines are up and wait for their approvals
    await engine.signal("fleet-completed", "approve-web", "ada", { id: "approve-web-1" });
    await engine.signal("fleet-in-flight", "approve-web", "ada", { id: "approve-web-2" });
    await clock.advance({ minutes: 1 });
    // Recorded while branches wait: one race won by a signal, others open, the third machine not started yet.
    await write(await recordHistory(engine, "fleet-in-flight"), "fleet-in-flight.json");
    await clock.advance({ days: 1, minutes: 1 }); // db's approval times out; cache starts, then times out too
    await clock.advance({ days: 1, minutes: 1 });
    await save(engine, "fleet-completed", "fleet-completed.json");
  } finally {
    await engine.close();
    await tmp.cleanup();
  }
  if (errors.length > 0) throw new Error(`The engine reported errors: ${errors.map(String).join("; ")}`);
}

async function save(engine: Engine, runId: string, file: string): Promise<void> {
  const info = await engine.getRun(runId);
  if (info === undefined || !["completed", "cancelled", "failed"].includes(info.status)) {
    throw new Error(`run ${runId} did not finish (status ${info?.status ?? "missing"})`);
  }
  await write(await recordHistory(engine, runId), file);
}

/** Writes the document formatted as the repository's Prettier config wants it, so `format:check` passes. */
async function write(history: unknown, file: string): Promise<void> {
  const path = join(here, file);
  const options = await prettier.resolveConfig(path);
  writeFileSync(path, await prettier.format(JSON.stringify(history, null, 2), { ...options, filepath: path }));
  console.log(`wrote ${file}`);
}

await main();
