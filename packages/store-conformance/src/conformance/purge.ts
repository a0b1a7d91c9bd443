// Conformance: purgeRuns deletes old finished runs with everything kept for them, in bounded batches, and never an
// unfinished run or one a parent or child still refers to. Only through the Store interface.
import { describe, expect, it } from "vitest";
import { Harness, T0, WORKFLOW, type ConformanceContext } from "./harness.js";
import { taggedRun } from "./tags-and-filters.js";

export function describePurge(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  /** Creates a tagged run, claims it and ends it `completed` at `finishedAtMs`. */
  const finished = async (harness: Harness, id: string, finishedAtMs: number) => {
    await harness.store.createRun(taggedRun(id, { kind: "old" }, T0));
    const claimed = await harness.claim("engine-a", T0, { limit: 1 });
    expect(claimed.map((run) => run.id)).toEqual([id]);
    await harness.signal(id, "note", 1, T0);
    await harness.complete(id, finishedAtMs);
  };

  describe("purgeRuns", () => {
    it("deletes finished runs older than the cut-off, oldest first, at most `limit`, with events, signals and tags", async () => {
      const harness = h();
      for (const [id, at] of [
        ["f1", T0 + 10],
        ["f2", T0 + 20],
        ["f3", T0 + 30],
        ["new", T0 + 100],
      ] as const) {
        await finished(harness, id, at);
      }
      await harness.create("running");
      expect(await harness.store.countRuns({ finishedBeforeMs: T0 + 50 })).toMatchObject({ completed: 3, pending: 0 });
      const request = { statuses: ["completed"] as const, finishedBeforeMs: T0 + 50, limit: 2 };
      expect(await harness.store.purgeRuns({ ...request, statuses: ["completed"] })).toBe(2);
      expect(await harness.store.getRun("f1")).toBeUndefined();
      expect(await harness.store.getRun("f2")).toBeUndefined();
      expect(await harness.store.readEvents("f1")).toEqual([]);
      expect(await harness.store.pendingSignals("f1", 10)).toEqual([]);
      expect((await harness.store.listRuns({ tags: { kind: "old" }, limit: 10 })).map((run) => run.id)).toEqual([
        "new",
        "f3",
      ]);
      expect(await harness.store.purgeRuns({ ...request, statuses: ["completed"] })).toBe(1);
      expect(await harness.store.purgeRuns({ ...request, statuses: ["completed"] })).toBe(0);
      expect(await harness.store.getRun("new")).toBeDefined();
      expect(await harness.store.getRun("running")).toBeDefined();
      expect(
        await harness.store.purgeRuns({ statuses: ["failed", "cancelled"], finishedBeforeMs: T0 + 1e6, limit: 10 }),
      ).toBe(0);
    });

    it("never deletes an unfinished run, nor a finished one whose parent or child is unfinished", async () => {
      const harness = h();
      await harness.createClaimed("parent");
      await harness.commit("parent", {
        events: [{ type: "child_started", childId: "kid", workflow: WORKFLOW, detached: true }],
        update: { status: "running", release: false },
        nowMs: T0 + 1,
        startChildren: [harness.childRun("kid", "parent", T0 + 1, "abandon")],
      });
      await harness.claim("engine-b", T0 + 2, { limit: 10 });
      await harness.complete("kid", T0 + 3, "child done", "engine-b");
      // The parent still runs: its finished child stays, since the parent may still ask for its outcome.
      expect(await harness.store.purgeRuns({ statuses: ["completed"], finishedBeforeMs: T0 + 1e6, limit: 10 })).toBe(0);
      expect(await harness.store.getRun("kid")).toBeDefined();
      await harness.complete("parent", T0 + 4);
      expect(await harness.store.purgeRuns({ statuses: ["completed"], finishedBeforeMs: T0 + 1e6, limit: 10 })).toBe(2);
      expect(await harness.store.getRun("parent")).toBeUndefined();
      expect(await harness.store.getRun("kid")).toBeUndefined();
    });

    it("keeps a finished parent while a child it started is unfinished", async () => {
      const harness = h();
      await harness.createClaimed("parent");
      await harness.commit("parent", {
        events: [{ type: "child_started", childId: "kid", workflow: WORKFLOW, detached: true }],
        update: { status: "running", release: false },
        nowMs: T0 + 1,
        startChildren: [harness.childRun("kid", "parent", T0 + 1, "abandon")],
      });
      await harness.complete("parent", T0 + 2);
      expect(await harness.store.purgeRuns({ statuses: ["completed"], finishedBeforeMs: T0 + 1e6, limit: 10 })).toBe(0);
      expect((await harness.run("kid")).parentId).toBe("parent");
    });
  });
}
