// The examples of docs/testing.md ("Replay tests for code changes", "Fault injection"), run as written.
// Only imports and file locations differ (the page imports "@reprise/testing" and your own workflow module).
// The "Store conformance" example runs as packages/store-sqlite/test/store-conformance.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, step, workflow } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { describe, expect, it } from "vitest";
import { FaultyStore } from "@reprise/testing";
import { recordHistory, replayHistory } from "@reprise/testing";
import { temporaryStore } from "../src/temporary-store.js";
import { VirtualClock } from "../src/virtual-clock.js";
import { order as docsOrder } from "./docs/order-workflow.js";
import { goldenOrder as order } from "./golden/workflows.js";

describe("docs/testing.md: Replay tests for code changes", () => {
  it("Recording a history", async () => {
    const tmp = await temporaryStore();
    const clock = new VirtualClock();
    const engine = createEngine({ store: tmp.store, workflows: [docsOrder], clock, pollIntervalMs: Infinity });
    const directory = mkdtempSync(join(tmpdir(), "reprise-histories-"));
    try {
      const run = await engine.start(docsOrder, { sku: "mug", qty: 1 }, { id: "order-1001" });
      await clock.advance({ days: 3 });
      expect(await run.result()).toEqual({ status: "refunded" });

      // As on the page, with the file in a temporary directory:
      const history = await recordHistory(engine, "order-1001");
      writeFileSync(join(directory, "order-completed.json"), `${JSON.stringify(history, null, 2)}\n`);

      const saved = readFileSync(join(directory, "order-completed.json"), "utf8");
      expect(replayHistory(docsOrder, saved)).toEqual({
        type: "finished",
        outcome: { status: "completed", result: { status: "refunded" } },
      });
    } finally {
      await engine.close();
      await tmp.cleanup();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  const histories = join(import.meta.dirname, "golden");

  describe("order still replays every recorded history", () => {
    for (const file of readdirSync(histories).filter((name) => name.startsWith("order-"))) {
      it(file, () => {
        const state = replayHistory(order, readFileSync(join(histories, file), "utf8"));
        expect(["waiting", "finished"]).toContain(state.type);
      });
    }
  });

  it("asserting on the replay state", () => {
    const state = replayHistory(order, readFileSync(join(histories, "order-completed.json"), "utf8"));
    expect(state).toMatchObject({ type: "finished", outcome: { status: "completed", result: { carrier: "DHL" } } });
  });
});

describe("docs/testing.md: Fault injection", () => {
  it("a commit that fails is retried after the lease expires, with the same idempotency key", async () => {
    const attempts: string[] = [];
    const charge = workflow("charge", function* (cents: number) {
      return yield* step("charge", (ctx) => {
        attempts.push(ctx.idempotencyKey);
        return { cents, key: ctx.idempotencyKey };
      });
    });

    const inner = await SqliteStore.open({ filename: ":memory:" });
    const store = new FaultyStore(inner, { at: 1, methods: ["commit"] }); // the first commit fails: nothing is written
    const clock = new VirtualClock();
    const errors: unknown[] = [];
    const engine = createEngine({
      store,
      workflows: [charge],
      clock,
      leaseMs: 1_000,
      pollIntervalMs: 500,
      onError: (error) => errors.push(error),
    });
    const run = await engine.start(charge, 1250, { id: "charge-1" });
    await clock.advance({ seconds: 5 }); // the lease expires; the engine claims the run again and replays it
    expect(await run.result()).toEqual({ cents: 1250, key: "charge-1:2" });
    expect(attempts).toEqual(["charge-1:2", "charge-1:2"]); // the step ran again, with the same idempotency key
    expect(errors).toEqual(store.faults); // and the fault was reported

    await engine.close();
    await inner.close();
  });
});
