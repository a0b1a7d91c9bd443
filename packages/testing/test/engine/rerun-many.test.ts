// Bulk rerun: rerunMany(filter) starts one new run per matching finished run (default: failed), with the same
// workflow, version and input and the original's tags, idempotently (`<id>-rerun-1`), page by page.
import { InvalidArgumentError, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { createTestEngine } from "../../src/index.js";

let failing = true;
const flaky = workflow("flaky", function* (n: number) {
  return yield* step(
    "work",
    () => {
      if (failing) throw new Error(`outage ${n}`);
      return n * 10;
    },
    { retry: { maxAttempts: 1 } },
  );
});

describe("engine.rerunMany", () => {
  it("reruns the failed runs matching a tag with their input and tags, and a second call starts nothing", async () => {
    failing = true;
    const t = await createTestEngine({ workflows: [flaky] });
    try {
      const items = Array.from({ length: 12 }, (_, i) => ({
        workflow: flaky,
        input: i,
        id: `job-${i}`,
        tags: { customer: i < 10 ? "7" : "8" },
      }));
      await t.startMany(items);
      expect(await t.engine.countRuns({ status: "failed" })).toBe(12);
      failing = false;
      const { runIds, skipped } = await t.engine.rerunMany({ tags: { customer: "7" } });
      expect(skipped).toEqual([]);
      expect([...runIds].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `job-${i}-rerun-1`).sort());
      await t.settle();
      const rerun = await t.getRun("job-3-rerun-1");
      expect(rerun).toMatchObject({ status: "completed", result: 30, tags: { customer: "7", rerunOf: "job-3" } });
      expect(await t.engine.countRuns({ tags: { customer: "8" }, status: "failed" })).toBe(2);
      const again = await t.engine.rerunMany({ tags: { customer: "7" } });
      expect([...again.runIds].sort()).toEqual([...runIds].sort());
      expect(await t.engine.countRuns({ tags: { customer: "7" } })).toBe(20);
    } finally {
      await t.close();
    }
  });

  it("refuses unfinished statuses", async () => {
    const t = await createTestEngine({ workflows: [flaky] });
    try {
      await expect(t.engine.rerunMany({ status: ["failed", "waiting"] })).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await t.close();
    }
  });
});
