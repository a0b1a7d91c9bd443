// Conformance: requestCancel marks a run durably, once, and wakes it only if it is parked.
// Delivery (the cancellation_requested event) is the engine's job, so nothing here appends events.
import { describe, expect, it } from "vitest";
import { expectCode, Harness, OWNER_A, OWNER_B, T0, type ConformanceContext } from "./harness.js";

export function describeCancellation(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("requestCancel", () => {
    it("marks the run with its reason and appends no event; later requests keep the first reason", async () => {
      const harness = h();
      await harness.create("r1");
      await harness.create("r2");
      await harness.store.requestCancel("r1", "customer left", T0 + 1);
      await harness.store.requestCancel("r1", "second reason", T0 + 2);
      await harness.store.requestCancel("r2", undefined, T0 + 1);
      expect(await harness.run("r1")).toMatchObject({ cancelRequested: true, cancelReason: "customer left" });
      expect((await harness.run("r2")).cancelRequested).toBe(true);
      expect((await harness.run("r2")).cancelReason).toBeUndefined();
      expect(await harness.store.readEvents("r1")).toHaveLength(1);
    });

    it("throws RunNotFoundError for an unknown run and RunFinishedError for a finished one", async () => {
      const harness = h();
      await harness.createClaimed("done");
      await harness.complete("done", T0 + 1);
      await expectCode(harness.store.requestCancel("no-such-run", "x", T0 + 2), "RUN_NOT_FOUND");
      const before = await harness.snapshot("done");
      await expectCode(harness.store.requestCancel("done", "x", T0 + 2), "RUN_FINISHED");
      expect(await harness.snapshot("done")).toEqual(before);
      expect(before.run?.cancelRequested).toBe(false);
    });

    it("wakes sleeping and waiting runs at once", async () => {
      const harness = h();
      await harness.createClaimed("sleeping");
      await harness.createClaimed("retrying");
      await harness.createClaimed("waiting");
      await harness.parkSleeping("sleeping", T0 + 1, T0 + 3_600_000);
      await harness.commit("retrying", {
        events: [
          {
            type: "step_failed",
            name: "charge",
            attempt: 1,
            error: { name: "Error", message: "503" },
            retryAtMs: T0 + 9e6,
          },
        ],
        update: {
          status: "sleeping",
          waitingFor: { kind: "retry", step: "charge" },
          wakeAtMs: T0 + 9e6,
          release: true,
          wake: { atMs: T0 + 9e6 },
        },
        nowMs: T0 + 1,
      });
      await harness.parkWaiting("waiting", T0 + 1, "approve");
      expect(await harness.claimIds(OWNER_B, T0 + 10)).toEqual([]);
      for (const id of ["sleeping", "retrying", "waiting"]) await harness.store.requestCancel(id, "stop", T0 + 10);
      expect(await harness.claimIds(OWNER_B, T0 + 10)).toEqual(["retrying", "sleeping", "waiting"]);
    });

    it("does not wake a blocked run, and does not break a live lease", async () => {
      const harness = h();
      await harness.createClaimed("blocked");
      await harness.block("blocked", T0 + 1);
      await harness.createClaimed("held", { owner: OWNER_A });
      await harness.store.requestCancel("blocked", "stop", T0 + 2);
      await harness.store.requestCancel("held", "stop", T0 + 2);
      expect((await harness.run("blocked")).cancelRequested).toBe(true);
      expect(await harness.claimIds(OWNER_B, T0 + 2)).toEqual([]);
      expect(await harness.store.renewLeases(OWNER_A, ["held"], T0 + 3, 1_000)).toEqual([
        { runId: "held", cancelRequested: true, cancelReason: "stop" },
      ]);
    });

    it("stays recorded after the run ends cancelled", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.store.requestCancel("r1", "stop", T0 + 1);
      await harness.commit("r1", {
        events: [
          { type: "cancellation_requested", reason: "stop" },
          { type: "run_cancelled", reason: "stop" },
        ],
        update: { status: "cancelled", reason: "stop", release: true },
        nowMs: T0 + 2,
      });
      expect(await harness.run("r1")).toMatchObject({
        status: "cancelled",
        cancelRequested: true,
        cancelReason: "stop",
        reason: "stop",
        finishedAtMs: T0 + 2,
      });
    });
  });
}
