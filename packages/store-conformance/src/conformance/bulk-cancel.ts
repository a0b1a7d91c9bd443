// Conformance: requestCancelMany marks the matching unfinished runs in bounded batches, each run once, with the
// cascade and wake-up of requestCancel. Only through the Store interface.
import { describe, expect, it } from "vitest";
import { Harness, OWNER_A, OWNER_B, T0, type ConformanceContext } from "./harness.js";
import { taggedRun } from "./tags-and-filters.js";

export function describeBulkCancel(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("requestCancelMany", () => {
    it("marks matching unfinished runs oldest first, at most `limit` per call, each exactly once", async () => {
      const harness = h();
      await harness.store.createRuns(
        Array.from({ length: 7 }, (_, n) => taggedRun(`c${n}`, { customer: n < 5 ? "7" : "8" }, T0 + n)),
      );
      const selection = { tags: { customer: "7" } };
      const batch = (after?: { createdAtMs: number; id: string }) =>
        harness.store.requestCancelMany({ selection, reason: "account closed", nowMs: T0 + 10, limit: 2, after });
      const first = await batch();
      expect(first).toEqual({ runIds: ["c0", "c1"], last: { createdAtMs: T0 + 1, id: "c1" } });
      // Without a cursor, runs marked already are skipped; with one, the batch starts after it.
      const second = await batch();
      expect(second.runIds).toEqual(["c2", "c3"]);
      const third = await batch(second.last);
      expect(third.runIds).toEqual(["c4"]);
      const none = await harness.store.requestCancelMany({ selection, reason: "again", nowMs: T0 + 11, limit: 2 });
      expect(none.runIds).toEqual([]);
      expect(await harness.run("c4")).toMatchObject({ cancelRequested: true, cancelReason: "account closed" });
      expect((await harness.run("c5")).cancelRequested).toBe(false);
    });

    it("skips finished runs, honours statuses, cascades to children and wakes parked runs", async () => {
      const harness = h();
      await harness.createClaimed("done");
      await harness.complete("done", T0 + 1);
      await harness.createClaimed("parent");
      await harness.commit("parent", {
        events: [{ type: "child_started", childId: "kid", workflow: "conformance-order" }],
        update: {
          status: "waiting",
          waitingFor: { kind: "child", id: "kid" },
          release: true,
          wake: { children: ["kid"] },
        },
        nowMs: T0 + 2,
        startChildren: [harness.childRun("kid", "parent", T0 + 2)],
      });
      await harness.create("pending", { nowMs: T0 + 3 });
      const { runIds } = await harness.store.requestCancelMany({
        selection: { statuses: ["waiting", "completed"] },
        reason: "cleanup",
        nowMs: T0 + 5,
        limit: 100,
      });
      expect(runIds).toEqual(["parent"]);
      expect((await harness.run("done")).cancelRequested).toBe(false);
      expect((await harness.run("pending")).cancelRequested).toBe(false);
      expect((await harness.run("kid")).cancelRequested).toBe(true);
      const claimed = await harness.claimIds(OWNER_B, T0 + 6);
      expect(claimed).toContain("parent");
      void OWNER_A;
    });
  });
}
