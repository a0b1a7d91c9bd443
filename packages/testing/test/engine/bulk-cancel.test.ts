// Bulk cancellation: cancelMany(filter) marks every matching unfinished run in bounded store writes (never one
// round trip per run), delivers it to runs executing here at once, and leaves other runs alone.
import { awaitSignal, CancelledError, InvalidArgumentError, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { createTestEngine } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const waits = workflow("waits", function* (customer: string) {
  try {
    yield* awaitSignal("never");
  } catch (error) {
    if (error instanceof CancelledError) yield* step("release-hold", () => customer);
    throw error;
  }
});

describe("engine.cancelMany", () => {
  it(
    "cancels 10,000 runs matching a tag in 20 writes of 500, leaving the others alone",
    { timeout: 60_000 },
    async () => {
      const f = await fixture();
      const client = f.engine({ workflows: [] });
      for (let batch = 0; batch < 2; batch++) {
        await client.startMany(
          Array.from({ length: 5_000 }, (_, i) => ({
            workflow: waits,
            input: "7",
            id: `c7-${batch}-${i}`,
            tags: { customer: "7" },
          })),
        );
      }
      await client.startMany(
        Array.from({ length: 10 }, (_, i) => ({ workflow: waits, input: "8", id: `c8-${i}`, tags: { customer: "8" } })),
      );
      expect(await client.countRuns({ tags: { customer: "7" }, status: "pending" })).toBe(10_000);
      const before = f.store.stats();
      const cancelled = await client.cancelMany({ tags: { customer: "7" } }, { reason: "account closed" });
      const after = f.store.stats();
      expect(cancelled).toBe(10_000);
      // 20 full batches and the empty one that ends the walk; about two statements per run (mark it, look for
      // children) plus one select per batch.
      expect(after.writes - before.writes).toBe(21);
      expect(after.statements - before.statements).toBeLessThanOrEqual(2 * 10_000 + 2 * 21);
      expect(await client.countRuns({ tags: { customer: "8" } })).toBe(10);
      const marked = await client.listRuns({ tags: { customer: "7" }, limit: 1 });
      expect(marked[0]).toMatchObject({ cancelRequested: true });
      expect((await client.listRuns({ tags: { customer: "8" }, limit: 10 })).some((run) => run.cancelRequested)).toBe(
        false,
      );
      expect(await client.cancelMany({ tags: { customer: "7" } })).toBe(0);
    },
  );

  it("delivers the cancellation to matching runs, which compensate and end cancelled; others keep waiting", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [waits] });
    for (const customer of ["1", "1", "2"]) {
      await engine.start(waits, customer, { tags: { customer }, id: `w-${customer}-${Math.random()}` });
    }
    await engine.whenIdle();
    expect(await engine.countRuns({ status: "waiting" })).toBe(3);
    expect(await engine.cancelMany({ tags: { customer: "1" }, status: "waiting" }, { reason: "bulk" })).toBe(2);
    await engine.whenIdle();
    expect(await engine.countRunsByStatus({})).toMatchObject({ cancelled: 2, waiting: 1 });
    const [one] = await engine.listRuns({ tags: { customer: "1" }, limit: 1 });
    expect((await engine.history(one?.id ?? "")).map((event) => event.type)).toContain("step_completed");
  });

  it("works on the test engine too, settling before it resolves", async () => {
    const t = await createTestEngine({ workflows: [waits] });
    try {
      await t.startMany([
        { workflow: waits, input: "1", id: "a", tags: { customer: "1" } },
        { workflow: waits, input: "2", id: "b", tags: { customer: "2" } },
      ]);
      expect(await t.cancelMany({ tags: { customer: "1" } })).toBe(1);
      expect((await t.getRun("a"))?.status).toBe("cancelled");
      expect(await t.countRuns({ status: "waiting" })).toBe(1);
    } finally {
      await t.close();
    }
  });

  it("refuses bad filters and reasons before writing anything", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [] });
    await engine.start(waits, "1", { id: "w1" });
    await expect(engine.cancelMany({ status: "sleepy" as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.cancelMany({}, { reason: "x".repeat(1001) })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await engine.getRun("w1"))?.cancelRequested).toBe(false);
  });
});
