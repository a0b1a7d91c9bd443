// Conformance: keeping and giving up leases (renewLeases, releaseLeases).
// A lease is identified by its owner string, never by the connection or handle that took it.
import { describe, expect, it } from "vitest";
import {
  expectCode,
  Harness,
  OWNER_A,
  OWNER_B,
  RealTime,
  SHORT_LEASE_MS,
  T0,
  type ConformanceContext,
} from "./harness.js";

export function describeLeases(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("renewLeases", () => {
    it("extends only the caller's own leases and reports each one it still holds", async () => {
      const harness = h();
      await harness.createClaimed("mine", { owner: OWNER_A });
      await harness.createClaimed("theirs", { owner: OWNER_B });
      const statuses = await harness.store.renewLeases(OWNER_A, ["mine", "theirs", "no-such-run"], T0 + 1, 1_000);
      expect(statuses).toEqual([{ runId: "mine", cancelRequested: false }]);
      expect(await harness.store.renewLeases(OWNER_A, [], T0 + 1, 1_000)).toEqual([]);
    });

    it("keeps other engines out until the renewed lease expires", async () => {
      const harness = h();
      const time = new RealTime();
      await harness.createClaimed("r1", { leaseMs: SHORT_LEASE_MS, nowMs: time.now() });
      const renewedAt = await time.wait(SHORT_LEASE_MS / 2);
      expect(await harness.store.renewLeases(OWNER_A, ["r1"], renewedAt, SHORT_LEASE_MS)).toHaveLength(1);
      // Past the first lease's end, well before the renewed one's.
      expect(await harness.claimIds(OWNER_B, await time.wait(SHORT_LEASE_MS / 2 + 50))).toEqual([]);
      expect(await harness.claimIds(OWNER_B, await time.pastLease())).toEqual(["r1"]);
    });

    it("reports a requested cancellation with its reason", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.store.requestCancel("r1", "customer request", T0 + 1);
      expect(await harness.store.renewLeases(OWNER_A, ["r1"], T0 + 2, 1_000)).toEqual([
        { runId: "r1", cancelRequested: true, cancelReason: "customer request" },
      ]);
    });

    it("drops runs the caller released or finished, and does not take them back", async () => {
      const harness = h();
      await harness.createClaimed("parked");
      await harness.createClaimed("done");
      await harness.parkSleeping("parked", T0 + 1, T0 + 100);
      await harness.complete("done", T0 + 1);
      expect(await harness.store.renewLeases(OWNER_A, ["parked", "done"], T0 + 2, 60_000)).toEqual([]);
      expect(await harness.claimIds(OWNER_B, T0 + 100)).toEqual(["parked"]);
    });
  });

  describe("releaseLeases", () => {
    it("hands runs back, due at once, without recording anything", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.recordStep("r1", T0 + 1);
      const before = await harness.snapshot("r1");
      await harness.store.releaseLeases(OWNER_A, ["r1"], T0 + 10);
      expect(await harness.store.readEvents("r1")).toEqual(before.events);
      expect((await harness.run("r1")).lastSeq).toBe(2);
      await expectCode(
        harness.commit("r1", {
          owner: OWNER_A,
          events: [{ type: "step_completed", name: "b", attempt: 1, result: 2 }],
          update: { status: "running", release: false },
          nowMs: T0 + 11,
        }),
        "LEASE_LOST",
      );
      expect(await harness.claimIds(OWNER_B, T0 + 10)).toEqual(["r1"]);
    });

    it("ignores runs the caller does not hold", async () => {
      const harness = h();
      await harness.createClaimed("r1", { owner: OWNER_A });
      await harness.store.releaseLeases(OWNER_B, ["r1", "no-such-run"], T0 + 1);
      expect(await harness.claimIds("engine-c", T0 + 1)).toEqual([]);
      await harness.complete("r1", T0 + 2, "still mine");
      expect((await harness.run("r1")).status).toBe("completed");
      await harness.store.releaseLeases(OWNER_A, [], T0 + 3);
    });
  });
}
