// Conformance: who holds leases (registerLeaseHolder, leaseHoldersOn) and expiring the leases of dead holders.
// The store only records holders and expires what it is told to; deciding that a holder is dead is the engine's job.
import type { LeaseHolder } from "@reprise/core";
import { describe, expect, it } from "vitest";
import {
  Harness,
  LONG_LEASE_MS,
  OWNER_A,
  OWNER_B,
  RealTime,
  SHORT_LEASE_MS,
  T0,
  type ConformanceContext,
} from "./harness.js";

const HOST = "conformance-host";

function holder(owner: string, fields: Partial<LeaseHolder> = {}): LeaseHolder {
  return { owner, host: HOST, machineId: "m-1", bootId: "boot-1", pidNamespace: "pid:[1]", pid: 4242, ...fields };
}

export function describeLeaseHolders(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("registerLeaseHolder and leaseHoldersOn", () => {
    it("record each owner's process and list the holders of one host, the latest record per owner", async () => {
      const { store } = ctx.target();
      expect(await store.leaseHoldersOn(HOST)).toEqual([]);
      await store.registerLeaseHolder(holder(OWNER_A, { pid: 1 }), T0);
      await store.registerLeaseHolder(holder(OWNER_A, { pid: 2 }), T0 + 1);
      await store.registerLeaseHolder(holder(OWNER_B, { machineId: undefined, bootId: undefined }), T0);
      await store.registerLeaseHolder(holder("elsewhere", { host: "other-host" }), T0);
      const sorted = (list: LeaseHolder[]) => [...list].sort((a, b) => a.owner.localeCompare(b.owner));
      expect(sorted(await store.leaseHoldersOn(HOST))).toEqual([
        holder(OWNER_A, { pid: 2 }),
        { owner: OWNER_B, host: HOST, pidNamespace: "pid:[1]", pid: 4242 },
      ]);
      expect(await store.leaseHoldersOn("other-host")).toEqual([holder("elsewhere", { host: "other-host" })]);
      expect(await store.leaseHoldersOn("no-such-host")).toEqual([]);
    });
  });

  describe("expireLeasesOf", () => {
    it("makes the runs the owners still hold claimable at once, without changing their logs", async () => {
      const harness = h();
      await harness.store.registerLeaseHolder(holder(OWNER_A), T0);
      await harness.createClaimed("dead-1", { owner: OWNER_A });
      await harness.createClaimed("dead-2", { owner: OWNER_A });
      await harness.recordStep("dead-2", T0 + 1);
      const before = await harness.snapshot("dead-2");
      expect(await harness.claimIds(OWNER_B, T0 + 10)).toEqual([]);

      expect(await harness.store.expireLeasesOf([OWNER_A], T0 + 10)).toBe(2);
      expect(await harness.snapshot("dead-2")).toEqual(before);
      expect(await harness.claimIds(OWNER_B, T0 + 10)).toEqual(["dead-1", "dead-2"]);
      await harness.recordStep("dead-2", T0 + 11, OWNER_B);
    });

    it("never touches leases held by other owners, released runs, or leases the owner no longer holds", async () => {
      const harness = h();
      await harness.createClaimed("alive", { owner: OWNER_B });
      await harness.createClaimed("parked", { owner: OWNER_A });
      const time = new RealTime();
      await harness.createClaimed("moved", { owner: OWNER_A, leaseMs: SHORT_LEASE_MS, nowMs: time.now() });
      await harness.parkSleeping("parked", T0 + 1, T0 + LONG_LEASE_MS);
      // "moved" was taken over by OWNER_B after its lease lapsed: OWNER_A's death must not free it again.
      expect(await harness.claimIds(OWNER_B, await time.pastLease())).toEqual(["moved"]);
      const parked = await harness.snapshot("parked");

      expect(await harness.store.expireLeasesOf([OWNER_A], time.now())).toBe(0);
      expect(await harness.claimIds("engine-c", time.now())).toEqual([]);
      expect(await harness.snapshot("parked")).toEqual(parked);
      await harness.recordStep("alive", time.now(), OWNER_B);
      await harness.recordStep("moved", time.now(), OWNER_B);
      expect(await harness.store.expireLeasesOf([], time.now())).toBe(0);
    });

    it("forgets the dead owners' holder records and keeps everyone else's", async () => {
      const { store } = ctx.target();
      await store.registerLeaseHolder(holder(OWNER_A), T0);
      await store.registerLeaseHolder(holder(OWNER_B), T0);
      await store.expireLeasesOf([OWNER_A], T0 + LONG_LEASE_MS);
      expect((await store.leaseHoldersOn(HOST)).map((known) => known.owner)).toEqual([OWNER_B]);
    });
  });
}
