// Conformance: blocked-run retries, the workflow registry, closing, and durability across handles.
// Durability is checked through `reopen`, the target's own way to reach the same data again.
import { describe, expect, it } from "vitest";
import {
  expectCode,
  Harness,
  OTHER_WORKFLOW,
  OWNER_A,
  OWNER_B,
  T0,
  WORKFLOW,
  type ConformanceContext,
  served,
} from "./harness.js";

export function describeRegistryAndLifecycle(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("retryBlockedRuns", () => {
    it("makes blocked runs of the listed workflows pending and due at once, and counts them", async () => {
      const harness = h();
      await harness.createClaimed("blocked-1");
      await harness.createClaimed("blocked-2");
      await harness.createClaimed("blocked-other", { workflow: OTHER_WORKFLOW });
      await harness.createClaimed("sleeping");
      for (const id of ["blocked-1", "blocked-2", "blocked-other"]) await harness.block(id, T0 + 1);
      await harness.parkSleeping("sleeping", T0 + 1, T0 + 5_000);

      expect(await harness.store.retryBlockedRuns(served(WORKFLOW), T0 + 10)).toBe(2);
      expect((await harness.run("blocked-1")).status).toBe("pending");
      expect((await harness.run("blocked-other")).status).toBe("blocked");
      expect((await harness.run("sleeping")).status).toBe("sleeping");
      expect(await harness.claimIds(OWNER_B, T0 + 10)).toEqual(["blocked-1", "blocked-2"]);
      expect(await harness.store.retryBlockedRuns(served(WORKFLOW), T0 + 11)).toBe(0);
      expect(await harness.store.retryBlockedRuns(served(), T0 + 11)).toBe(0);
    });
  });

  describe("registerWorkflows and workflowLastSeenAtMs", () => {
    it("remember when an engine serving each workflow last reported in", async () => {
      const { store } = ctx.target();
      expect(await store.workflowLastSeenAtMs(WORKFLOW)).toBeUndefined();
      await store.registerWorkflows(served(WORKFLOW, OTHER_WORKFLOW), T0);
      await store.registerWorkflows(served(WORKFLOW), T0 + 10_000);
      expect(await store.workflowLastSeenAtMs(WORKFLOW)).toBe(T0 + 10_000);
      expect(await store.workflowLastSeenAtMs(OTHER_WORKFLOW)).toBe(T0);
      expect(await store.workflowLastSeenAtMs("never-registered")).toBeUndefined();
    });
  });

  describe("close", () => {
    it("makes later calls reject with StoreError; closing twice is harmless", async () => {
      const harness = h();
      await harness.create("r1");
      await harness.store.close();
      await expectCode(harness.store.getRun("r1"), "STORE_ERROR");
      await expectCode(harness.signal("r1", "go", 1, T0), "STORE_ERROR");
      await harness.store.close();
    });
  });

  describe("durability (needs reopen)", () => {
    it("everything written survives closing the store and opening it again", async ({ skip }) => {
      const target = ctx.target();
      if (target.reopen === undefined) return skip("the target has no reopen()");
      const harness = h();
      await harness.createClaimed("r1");
      await harness.create("r2", { workflow: OTHER_WORKFLOW });
      await harness.signal("r1", "go", "payload", T0 + 1, "s-1");
      await harness.recordStep("r1", T0 + 2);
      await harness.parkSleeping("r1", T0 + 3, T0 + 500);
      await harness.store.requestCancel("r2", "stop", T0 + 4);
      await harness.store.registerWorkflows(served(WORKFLOW), T0 + 5);
      const before = {
        runs: await harness.store.listRuns({ limit: 10 }),
        events: await harness.store.readEvents("r1"),
        signal: await harness.store.nextSignal("r1", "go", 0),
      };
      await harness.store.close();

      const reopened = await target.reopen();
      expect(await reopened.listRuns({ limit: 10 })).toEqual(before.runs);
      expect(await reopened.readEvents("r1")).toEqual(before.events);
      expect(await reopened.nextSignal("r1", "go", 0)).toEqual(before.signal);
      expect(await reopened.workflowLastSeenAtMs(WORKFLOW)).toBe(T0 + 5);
      expect(await reopened.nextDueAtMs(served(WORKFLOW, OTHER_WORKFLOW))).toBe(T0);
    });

    it("two handles see each other's writes and respect each other's leases", async ({ skip }) => {
      const target = ctx.target();
      if (target.reopen === undefined) return skip("the target has no reopen()");
      const first = h();
      const second = new Harness(await target.reopen());
      await first.createClaimed("r1", { owner: OWNER_A });
      expect((await second.run("r1")).status).toBe("running");
      expect(await second.claimIds(OWNER_B, T0 + 1)).toEqual([]);
      await second.signal("r1", "go", 1, T0 + 2, "s-1");
      expect((await first.store.nextSignal("r1", "go", 0))?.signalId).toBe("s-1");
      await second.recordStep("r1", T0 + 3);
      await expectCode(
        first.commit("r1", {
          owner: OWNER_A,
          expectedLastSeq: 1,
          events: [{ type: "step_completed", name: "a", attempt: 1, result: 1 }],
          update: { status: "running", release: false },
          nowMs: T0 + 4,
        }),
        "LEASE_LOST",
      );
      expect(await first.store.readEvents("r1")).toEqual(await second.store.readEvents("r1"));
    });
  });
}
