// Conformance: when runs are due and how they are claimed (release semantics, claimDueRuns, nextDueAtMs).
// Due times are inclusive: a run due at t is claimable at t, never at t - 1 (virtual clocks rely on both).
import { describe, expect, it } from "vitest";
import {
  encoded,
  Harness,
  OTHER_WORKFLOW,
  OWNER_A,
  OWNER_B,
  LONG_LEASE_MS,
  RealTime,
  SHORT_LEASE_MS,
  T0,
  WORKFLOW,
  type ConformanceContext,
  served,
} from "./harness.js";

const FAR_FUTURE = T0 + 10 * 365 * 24 * 3600_000;

export function describeScheduling(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("due time after a commit", () => {
    it("a run released with dueAtMs is due at dueAtMs, not before", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.parkSleeping("r1", T0 + 1, T0 + 500);
      expect(await harness.store.nextDueAtMs(served(WORKFLOW))).toBe(T0 + 500);
      expect(await harness.claimIds(OWNER_B, T0 + 499)).toEqual([]);
      expect(await harness.claimIds(OWNER_B, T0 + 500)).toEqual(["r1"]);
    });

    it("a run released without dueAtMs is never due by time alone", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.parkWaiting("r1", T0 + 1, "approve");
      expect(await harness.store.nextDueAtMs(served(WORKFLOW))).toBeUndefined();
      expect(await harness.claimIds(OWNER_B, FAR_FUTURE)).toEqual([]);
    });

    it("a run parked waiting for a signal that is already in its inbox is due at once", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.createClaimed("r2");
      await harness.signal("r1", "shipped", { carrier: "DHL" }, T0 + 1);
      await harness.signal("r2", "shipped", { carrier: "UPS" }, T0 + 1);
      await harness.parkWaiting("r1", T0 + 2, "shipped");
      await harness.parkWaiting("r2", T0 + 2, "shipped", T0 + 60_000);
      expect(await harness.claimIds(OWNER_B, T0 + 2)).toEqual(["r1", "r2"]);
    });

    it("a signal of another name in the inbox does not make a waiting run due", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.signal("r1", "cancelled-by-shop", true, T0 + 1);
      await harness.parkWaiting("r1", T0 + 2, "shipped", T0 + 1_000);
      expect(await harness.claimIds(OWNER_B, T0 + 999)).toEqual([]);
      expect(await harness.claimIds(OWNER_B, T0 + 1_000)).toEqual(["r1"]);
    });

    it("a run parked after its cancellation was requested is due at once", async () => {
      const harness = h();
      await harness.createClaimed("sleeper");
      await harness.createClaimed("waiter");
      await harness.store.requestCancel("sleeper", "stop", T0 + 1);
      await harness.store.requestCancel("waiter", undefined, T0 + 1);
      await harness.parkSleeping("sleeper", T0 + 2, FAR_FUTURE);
      await harness.parkWaiting("waiter", T0 + 2, "approve");
      expect(await harness.claimIds(OWNER_B, T0 + 2)).toEqual(["sleeper", "waiter"]);
    });

    it("finished and blocked runs are never due", async () => {
      const harness = h();
      for (const id of ["completed", "failed", "cancelled", "blocked"]) await harness.create(id);
      expect(await harness.claim(OWNER_A, T0)).toHaveLength(4);
      await harness.complete("completed", T0 + 1);
      await harness.commit("failed", {
        events: [{ type: "run_failed", error: { name: "Error", message: "boom" } }],
        update: { status: "failed", error: encoded({ name: "Error", message: "boom" }), release: true },
        nowMs: T0 + 1,
      });
      await harness.commit("cancelled", {
        events: [{ type: "run_cancelled", reason: "stop" }],
        update: { status: "cancelled", reason: "stop", release: true },
        nowMs: T0 + 1,
      });
      await harness.block("blocked", T0 + 1);
      expect(await harness.store.nextDueAtMs(served(WORKFLOW))).toBeUndefined();
      expect(await harness.claimIds(OWNER_B, FAR_FUTURE)).toEqual([]);
    });
  });

  describe("claimDueRuns", () => {
    it("claims only runs of the listed workflows", async () => {
      const harness = h();
      await harness.create("order", { workflow: WORKFLOW });
      await harness.create("invoice", { workflow: OTHER_WORKFLOW });
      expect(await harness.claimIds(OWNER_A, T0, { workflows: [OTHER_WORKFLOW] })).toEqual(["invoice"]);
      expect(await harness.claimIds(OWNER_A, T0, { workflows: ["unknown"] })).toEqual([]);
      expect(await harness.claimIds(OWNER_A, T0, { workflows: [] })).toEqual([]);
      expect((await harness.run("order")).status).toBe("pending");
    });

    it("marks claimed runs running and returns their current records", async () => {
      const harness = h();
      const created = await harness.create("r1", { input: { sku: "MUG" } });
      await harness.store.requestCancel("r1", "changed my mind", T0 + 1);
      const [claimed] = await harness.claim(OWNER_A, T0 + 2);
      expect(claimed).toMatchObject({
        id: "r1",
        workflow: WORKFLOW,
        status: "running",
        input: created.input,
        lastSeq: 1,
        cancelRequested: true,
        cancelReason: "changed my mind",
        createdAtMs: T0,
      });
      expect((await harness.run("r1")).status).toBe("running");
    });

    it("respects a live lease, also against the owner itself", async () => {
      const harness = h();
      await harness.createClaimed("r1", { owner: OWNER_A, leaseMs: 1_000 });
      expect(await harness.claimIds(OWNER_B, T0 + 999)).toEqual([]);
      expect(await harness.claimIds(OWNER_A, T0 + 500)).toEqual([]);
    });

    it("takes over a run whose lease expired; the old holder's commits are refused and its renewals drop it", async () => {
      const harness = h();
      const time = new RealTime();
      await harness.createClaimed("r1", { owner: OWNER_A, leaseMs: SHORT_LEASE_MS, nowMs: time.now() });
      const [taken] = await harness.claim(OWNER_B, await time.pastLease(), { leaseMs: LONG_LEASE_MS });
      expect(taken).toMatchObject({ id: "r1", status: "running" });
      expect(await harness.store.renewLeases(OWNER_A, ["r1"], time.now(), 1_000)).toEqual([]);
      const before = await harness.snapshot("r1");
      const refused = await harness
        .commit("r1", {
          owner: OWNER_A,
          events: [{ type: "step_completed", name: "a", attempt: 1, result: 1 }],
          update: { status: "running", release: false },
          nowMs: time.now(),
        })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: "LEASE_LOST" });
      expect(await harness.snapshot("r1")).toEqual(before);
      await harness.commit("r1", {
        owner: OWNER_B,
        events: [{ type: "step_completed", name: "a", attempt: 1, result: 1 }],
        update: { status: "running", release: false },
        nowMs: time.now(),
      });
    });

    it("claims at most limit runs, the earliest due first", async () => {
      const harness = h();
      for (let i = 4; i >= 0; i--) await harness.create(`r${i}`, { nowMs: T0 + i });
      expect(await harness.claimIds(OWNER_A, T0 + 10, { limit: 2 })).toEqual(["r0", "r1"]);
      expect(await harness.claimIds(OWNER_A, T0 + 10, { limit: 2 })).toEqual(["r2", "r3"]);
      expect(await harness.claimIds(OWNER_A, T0 + 10, { limit: 2 })).toEqual(["r4"]);
      expect(await harness.claimIds(OWNER_A, T0 + 10, { limit: 2 })).toEqual([]);
    });

    it("never hands one run to two concurrent claimers", async () => {
      const harness = h();
      const ids = Array.from({ length: 20 }, (_, i) => `r${String(i).padStart(2, "0")}`);
      for (const id of ids) await harness.create(id);
      const owners = ["e1", "e2", "e3", "e4"];
      const claimedBy = new Map<string, string[]>();
      for (let round = 0; round < 5; round++) {
        const batches = await Promise.all(owners.map((owner) => harness.claim(owner, T0 + 1, { limit: 3 })));
        batches.forEach((batch, i) => {
          for (const run of batch) claimedBy.set(run.id, [...(claimedBy.get(run.id) ?? []), owners[i] as string]);
        });
      }
      expect([...claimedBy.keys()].sort()).toEqual(ids);
      for (const [id, claimers] of claimedBy) expect(claimers, id).toHaveLength(1);
    });
  });

  describe("nextDueAtMs", () => {
    it("is the earliest due time among runs of the listed workflows", async () => {
      const harness = h();
      await harness.createClaimed("late");
      await harness.createClaimed("early");
      await harness.parkSleeping("late", T0 + 1, T0 + 900);
      await harness.parkSleeping("early", T0 + 1, T0 + 300);
      await harness.create("other", { workflow: OTHER_WORKFLOW, nowMs: T0 + 2 });
      expect(await harness.store.nextDueAtMs(served(WORKFLOW))).toBe(T0 + 300);
      expect(await harness.store.nextDueAtMs(served(WORKFLOW, OTHER_WORKFLOW))).toBe(T0 + 2);
      expect(await harness.store.nextDueAtMs(served("unknown"))).toBeUndefined();
      expect(await harness.store.nextDueAtMs(served())).toBeUndefined();
    });

    it("never reports a run held by a live lease as due before the lease ends", async () => {
      const harness = h();
      await harness.createClaimed("r1", { leaseMs: 1_000 });
      const next = await harness.store.nextDueAtMs(served(WORKFLOW));
      if (next !== undefined) expect(next).toBeGreaterThanOrEqual(T0 + 1_000);
      expect(await harness.claimIds(OWNER_B, next ?? T0 + 999)).toEqual(next === undefined ? [] : ["r1"]);
    });
  });
}
