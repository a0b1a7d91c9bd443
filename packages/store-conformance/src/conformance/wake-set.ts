// Conformance: the wake rule (WakeSet in the Store contract) and child runs (parent links, cascades, wake-ups).
// A parked run is due at wake.atMs, on any listed signal, on any listed child's end, or on cancellation.
import { describe, expect, it } from "vitest";
import { Harness, OWNER_A, OWNER_B, T0, WORKFLOW, type ConformanceContext } from "./harness.js";

export function describeWakeSet(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("the wake set", () => {
    it("a run parked on several signals and a time is due on any listed signal, not on others", async () => {
      const harness = h();
      for (const id of ["on-a", "on-b", "on-other"]) await harness.createClaimed(id);
      for (const id of ["on-a", "on-b", "on-other"]) {
        await harness.park(id, T0 + 1, { atMs: T0 + 1000, signals: ["a", "b"] });
      }
      expect(await harness.claimIds(OWNER_B, T0 + 2)).toEqual([]);
      await harness.signal("on-a", "a", 1, T0 + 3);
      await harness.signal("on-b", "b", 1, T0 + 3);
      await harness.signal("on-other", "c", 1, T0 + 3);
      expect(await harness.claimIds(OWNER_B, T0 + 4)).toEqual(["on-a", "on-b"]);
      expect(await harness.claimIds(OWNER_B, T0 + 1000)).toEqual(["on-other"]);
    });

    it("a listed signal already in the inbox when the run parks makes it due at once", async () => {
      const harness = h();
      await harness.createClaimed("early");
      await harness.signal("early", "b", 1, T0 + 1);
      await harness.park("early", T0 + 2, { signals: ["a", "b"] });
      expect(await harness.claimIds(OWNER_B, T0 + 2)).toEqual(["early"]);
    });

    it("reports the wake set of a parked run in its record", async () => {
      const harness = h();
      await harness.createClaimed("parked");
      await harness.park("parked", T0 + 1, { atMs: T0 + 50, signals: ["a"], children: ["kid"] });
      expect((await harness.run("parked")).wake).toEqual({ atMs: T0 + 50, signals: ["a"], children: ["kid"] });
    });
  });

  describe("child runs", () => {
    it("a commit creates its children in the same write, linked to the parent, due at once", async () => {
      const harness = h();
      await harness.createClaimed("parent");
      await harness.commit("parent", {
        events: [{ type: "child_started", childId: "parent/2", workflow: WORKFLOW }],
        update: { status: "running", release: false },
        nowMs: T0 + 1,
        startChildren: [harness.childRun("parent/2", "parent", T0 + 1)],
      });
      const kid = await harness.run("parent/2");
      expect(kid).toMatchObject({ status: "pending", parentId: "parent", lastSeq: 1 });
      expect(await harness.store.childrenOf("parent", 10)).toEqual(["parent/2"]);
      expect((await harness.store.listRuns({ parent: "parent", limit: 10 })).map((run) => run.id)).toEqual([
        "parent/2",
      ]);
      expect(await harness.claimIds(OWNER_B, T0 + 1, { workflows: [WORKFLOW] })).toEqual(["parent/2"]);
    });

    it("a commit that fails its lease check creates no child", async () => {
      const harness = h();
      await harness.createClaimed("parent");
      await expect(
        harness.commit("parent", {
          owner: OWNER_B,
          update: { status: "running", release: false },
          nowMs: T0 + 1,
          startChildren: [harness.childRun("orphan", "parent", T0 + 1)],
        }),
      ).rejects.toMatchObject({ code: "LEASE_LOST" });
      expect(await harness.store.getRun("orphan")).toBeUndefined();
    });

    it("a child's end makes a parent waiting for it due; a parent waiting for another child stays parked", async () => {
      const harness = h();
      for (const id of ["waits-for-kid", "waits-for-other"]) await harness.createClaimed(id);
      await harness.commit("waits-for-kid", {
        update: { status: "running", release: false },
        nowMs: T0 + 1,
        startChildren: [harness.childRun("kid", "waits-for-kid", T0 + 1)],
      });
      await harness.park("waits-for-kid", T0 + 2, { children: ["kid"] });
      await harness.park("waits-for-other", T0 + 2, { children: ["someone-else"] });
      expect(await harness.claimIds(OWNER_B, T0 + 3, { workflows: ["nothing"] })).toEqual([]);
      await harness.claim(OWNER_A, T0 + 3);
      await harness.complete("kid", T0 + 4);
      expect(await harness.claimIds(OWNER_B, T0 + 5)).toEqual(["waits-for-kid"]);
    });

    it("a parent released waiting for a child that already ended is due at once", async () => {
      const harness = h();
      await harness.createClaimed("parent");
      await harness.commit("parent", {
        update: { status: "running", release: false },
        nowMs: T0 + 1,
        startChildren: [harness.childRun("done-kid", "parent", T0 + 1)],
      });
      await harness.claim(OWNER_B, T0 + 2, { workflows: [WORKFLOW] });
      await harness.complete("done-kid", T0 + 3, "ok", OWNER_B);
      await harness.park("parent", T0 + 4, { children: ["done-kid"] });
      expect(await harness.claimIds(OWNER_B, T0 + 4)).toEqual(["parent"]);
    });

    it("cancelling a parent cancels its unfinished children created to be cancelled with it, and theirs", async () => {
      const harness = h();
      await harness.createClaimed("top");
      await harness.commit("top", {
        update: { status: "running", release: false },
        nowMs: T0 + 1,
        startChildren: [
          harness.childRun("cancelled-kid", "top", T0 + 1),
          harness.childRun("abandoned-kid", "top", T0 + 1, "abandon"),
        ],
      });
      await harness.claim(OWNER_B, T0 + 2, { workflows: [WORKFLOW] });
      await harness.commit("cancelled-kid", {
        owner: OWNER_B,
        update: { status: "running", release: false },
        nowMs: T0 + 2,
        startChildren: [harness.childRun("grandkid", "cancelled-kid", T0 + 2)],
      });
      await harness.store.requestCancel("top", "stop", T0 + 3);
      expect((await harness.run("cancelled-kid")).cancelRequested).toBe(true);
      expect((await harness.run("grandkid")).cancelRequested).toBe(true);
      expect((await harness.run("abandoned-kid")).cancelRequested).toBe(false);
    });

    it("a commit's cancelRuns requests those runs' cancellation in the same write; finished ones are skipped", async () => {
      const harness = h();
      for (const id of ["winner", "loser", "finished"]) await harness.createClaimed(id);
      await harness.complete("finished", T0 + 1);
      await harness.commit("winner", {
        update: { status: "running", release: false },
        nowMs: T0 + 2,
        cancelRuns: [
          { runId: "loser", reason: "lost the race" },
          { runId: "finished", reason: "too late" },
          { runId: "unknown", reason: "never existed" },
        ],
      });
      expect(await harness.run("loser")).toMatchObject({ cancelRequested: true, cancelReason: "lost the race" });
      expect(await harness.run("finished")).toMatchObject({ status: "completed", cancelRequested: false });
    });
  });
}
