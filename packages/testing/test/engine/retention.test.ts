// Retention: createEngine({ retention }) deletes finished runs past their period in bounded background batches on
// the engine's clock, while other runs execute; unfinished runs and runs a parent or child needs are kept.
import { InvalidArgumentError, sleep, startChild, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { createTestEngine } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const quick = workflow("quick", function* (n: number) {
  return yield* step("double", () => n * 2);
});
const fails = workflow("fails", function* () {
  yield* step(
    "boom",
    () => {
      throw new Error("boom");
    },
    { retry: { maxAttempts: 1 } },
  );
});
const slow = workflow("slow", function* () {
  yield* sleep({ days: 30 });
  return "woke";
});
const child = workflow("child", function* () {
  return "child done";
});
const parent = workflow("parent", function* () {
  yield* startChild(child, undefined, { id: "kid" });
  yield* sleep({ days: 60 });
  return "parent done";
});

const HOUR = 3_600_000;

describe("retention", () => {
  it("deletes finished runs past their period in bounded batches while other runs execute", async () => {
    const t = await createTestEngine({
      workflows: [quick, fails, slow, parent, child],
      retention: {
        completed: { days: 7 },
        failed: { days: 30 },
        intervalMs: HOUR,
        batchSize: 10,
        maxBatchesPerSweep: 2,
      },
    });
    try {
      await t.startMany(Array.from({ length: 35 }, (_, i) => ({ workflow: quick, input: i, id: `q${i}` })));
      await t.start(fails, undefined, { id: "failed" });
      await t.start(slow, undefined, { id: "slow" });
      await t.start(parent, undefined, { id: "parent" });
      const count = (status: "completed" | "failed" | "sleeping") => t.countRuns({ status });
      expect(await count("completed")).toBe(36); // 35 quick runs and the child
      await t.advance({ days: 7 });
      expect(await count("completed")).toBe(36); // finished exactly 7 days ago: not older than the period yet
      // The next sweep deletes at most batchSize × maxBatchesPerSweep = 20 runs.
      await t.advance({ hours: 1 });
      expect(await count("completed")).toBe(16);
      // Runs started meanwhile execute as usual.
      const fresh = await t.start(quick, 100, { id: "fresh" });
      expect(await fresh.result()).toBe(200);
      await t.advance({ hours: 1 });
      // The rest, except the child (its parent still runs) and the fresh run (not 7 days old).
      expect((await t.listRuns({ status: "completed" })).map((run) => run.id).sort()).toEqual(["fresh", "kid"]);
      expect(await t.getRun("failed")).toBeDefined();
      expect((await t.getRun("slow"))?.status).toBe("sleeping");
      await t.advance({ days: 23 });
      expect(await t.getRun("failed")).toBeUndefined();
      expect((await t.getRun("slow"))?.status).toBe("completed");
      expect((await t.getRun("parent"))?.status).toBe("sleeping");
      expect(await t.getRun("kid")).toBeDefined();
      await t.advance({ days: 8 });
      expect(await t.getRun("slow")).toBeUndefined();
      await t.advance({ days: 22 });
      // The parent ended at day 60: its child, finished long ago, goes at the next sweep; the parent in 7 days.
      expect((await t.getRun("parent"))?.status).toBe("completed");
      expect(await t.getRun("kid")).toBeUndefined();
      await t.advance({ days: 7 });
      expect(await t.getRun("parent")).toBeUndefined();
      expect(t.errors).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it("engine.purge() applies a policy now; without one it uses the engine's retention, or deletes nothing", async () => {
    const t = await createTestEngine({ workflows: [quick] });
    try {
      await t.startMany(Array.from({ length: 3 }, (_, i) => ({ workflow: quick, input: i, id: `q${i}` })));
      expect(await t.engine.purge()).toBe(0);
      await t.advance({ days: 2 });
      expect(await t.engine.purge({ completed: { days: 3 } })).toBe(0);
      expect(await t.engine.purge({ completed: { days: 1 } })).toBe(3);
      expect(await t.engine.countRuns()).toBe(0);
    } finally {
      await t.close();
    }
  });

  it("refuses a bad retention option at createEngine()", async () => {
    const f = await fixture();
    expect(() => f.engine({ workflows: [], retention: { completed: { days: -1 } } })).toThrow(InvalidArgumentError);
    expect(() => f.engine({ workflows: [], retention: { batchSize: 0 } })).toThrow(InvalidArgumentError);
    expect(() => f.engine({ workflows: [], retention: { failed: "soon" } })).toThrow(/failed/);
  });
});
