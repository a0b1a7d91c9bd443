// Re-records the golden histories in this folder from real runs (production engine, SQLite, virtual clock).
// Run: node --import tsx --conditions=@reprise/source packages/testing/test/golden/record.ts
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, type Engine } from "@reprise/core";
import * as prettier from "prettier";
import { recordHistory } from "../../src/replay-history.js";
import { temporaryStore } from "../../src/temporary-store.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { GOLDEN_ORDER_INPUT, goldenInvoice, goldenOrder } from "./workflows.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Same key, same number: re-recording produces identical files. */
const random = (key: string): number => createHash("sha256").update(key).digest().readUIntBE(0, 6) / 2 ** 48;

async function main(): Promise<void> {
  const tmp = await temporaryStore();
  const clock = new VirtualClock();
  const errors: unknown[] = [];
  const engine = createEngine({
    store: tmp.store,
    workflows: [goldenOrder, goldenInvoice],
    clock,
    random,
    pollIntervalMs: Number.POSITIVE_INFINITY,
    onError: (error) => errors.push(error),
  });
  try {
    await engine.start(goldenOrder, GOLDEN_ORDER_INPUT, { id: "order-completed" });
    await engine.start(goldenOrder, GOLDEN_ORDER_INPUT, { id: "order-cancelled" });
    await engine.start(goldenOrder, GOLDEN_ORDER_INPUT, { id: "order-in-flight" });
    await engine.start(goldenInvoice, { number: "INV-7", cents: 99_00 }, { id: "invoice-failed" });
    await clock.advance({ minutes: 2 }); // charges retry twice (30 s, 60 s), then every order waits for `shipped`
    // Recorded while it waits for `shipped`: a run in flight, as a deploy would find it.
    await write(await recordHistory(engine, "order-in-flight"), "order-in-flight.json");
    await engine.signal("order-completed", "shipped", { carrier: "DHL" }, { id: "warehouse-1" });
    await engine.cancel("order-cancelled", { reason: "customer changed their mind" });
    await clock.advance({ days: 1 });
    await clock.advance({ days: 3 }); // the completed order's follow-up; the invoice's approval timed out long ago
    await save(engine, "order-completed", "order-completed.json");
    await save(engine, "order-cancelled", "order-cancelled.json");
    await save(engine, "invoice-failed", "invoice-failed.json");
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
