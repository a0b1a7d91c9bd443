// Conformance: the signal inbox (sendSignal, nextSignal, pendingSignals): durable, de-duplicated by id, FIFO per name.
// A signal wakes only a run that is parked waiting for that name; every other run just keeps it.
import { describe, expect, it } from "vitest";
import {
  encoded,
  expectCode,
  Harness,
  OWNER_A,
  OWNER_B,
  T0,
  WORKFLOW,
  type ConformanceContext,
  served,
} from "./harness.js";

export function describeSignals(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("sendSignal", () => {
    it("stores a signal that nextSignal returns with its id, name, payload and time", async () => {
      const harness = h();
      await harness.create("r1");
      const payload = encoded({ carrier: "DHL", at: new Date(T0) });
      const sent = await harness.store.sendSignal({
        runId: "r1",
        signalId: "webhook-1",
        name: "shipped",
        payload,
        nowMs: T0 + 5,
      });
      expect(sent).toEqual({ duplicate: false });
      const signal = await harness.store.nextSignal("r1", "shipped", 0);
      expect(signal).toMatchObject({ signalId: "webhook-1", name: "shipped", payload, sentAtMs: T0 + 5 });
      expect(typeof signal?.position).toBe("number");
    });

    it("to an unknown run throws RunNotFoundError", async () => {
      const harness = h();
      await expectCode(harness.signal("no-such-run", "go", 1, T0), "RUN_NOT_FOUND");
      expect(await harness.store.nextSignal("no-such-run", "go", 0)).toBeUndefined();
    });

    it("to a finished run throws RunFinishedError and stores nothing", async () => {
      const harness = h();
      for (const id of ["completed", "failed", "cancelled"]) await harness.create(id);
      await harness.claim(OWNER_A, T0);
      await harness.complete("completed", T0 + 1);
      await harness.commit("failed", {
        update: { status: "failed", error: encoded({ name: "Error", message: "x" }), release: true },
        nowMs: T0 + 1,
      });
      await harness.commit("cancelled", { update: { status: "cancelled", release: true }, nowMs: T0 + 1 });
      for (const id of ["completed", "failed", "cancelled"]) {
        await expectCode(harness.signal(id, "go", 1, T0 + 2), "RUN_FINISHED");
        expect(await harness.store.nextSignal(id, "go", 0), id).toBeUndefined();
      }
    });

    it("a resend with a known id to a finished run is a duplicate, not an error", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      expect(await harness.signal("r1", "go", 1, T0 + 1, "sig-late")).toEqual({ duplicate: false });
      await harness.complete("r1", T0 + 2);
      expect(await harness.signal("r1", "go", 1, T0 + 3, "sig-late")).toEqual({ duplicate: true });
      await expectCode(harness.signal("r1", "go", 1, T0 + 3, "sig-new"), "RUN_FINISHED");
    });

    it("with a repeated id is a duplicate, stored once, even after the first was consumed", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.create("r2");
      expect(await harness.signal("r1", "item", "apple", T0 + 1, "sig-1")).toEqual({ duplicate: false });
      expect(await harness.signal("r1", "item", "pear", T0 + 2, "sig-1")).toEqual({ duplicate: true });
      expect(await harness.signal("r2", "item", "plum", T0 + 2, "sig-1")).toEqual({ duplicate: false });
      const first = await harness.store.nextSignal("r1", "item", 0);
      expect(first).toMatchObject({ signalId: "sig-1", payload: encoded("apple") });
      expect(await harness.store.nextSignal("r1", "item", first?.position ?? 0)).toBeUndefined();
      await harness.commit("r1", {
        events: [{ type: "signal_received", name: "item", signalId: "sig-1", payload: "apple" }],
        consumedSignals: [{ position: first?.position ?? -1, seq: 2 }],
        update: { status: "running", release: false },
        nowMs: T0 + 3,
      });
      expect(await harness.signal("r1", "item", "apple", T0 + 4, "sig-1")).toEqual({ duplicate: true });
      expect(await harness.store.nextSignal("r1", "item", 0)).toBeUndefined();
    });

    it("with the same id sent concurrently is stored once", async () => {
      const harness = h();
      await harness.create("r1");
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) => harness.signal("r1", "go", i, T0 + 1, "same-id")),
      );
      expect(results.filter((result) => !result.duplicate)).toHaveLength(1);
      const first = await harness.store.nextSignal("r1", "go", 0);
      expect(await harness.store.nextSignal("r1", "go", first?.position ?? 0)).toBeUndefined();
    });

    it("wakes a run waiting for that name, but not one waiting for another name or sleeping", async () => {
      const harness = h();
      for (const id of ["waiting-go", "waiting-other", "sleeping"]) await harness.createClaimed(id);
      await harness.parkWaiting("waiting-go", T0 + 1, "go");
      await harness.parkWaiting("waiting-other", T0 + 1, "other");
      await harness.parkSleeping("sleeping", T0 + 1, T0 + 10_000);
      for (const id of ["waiting-go", "waiting-other", "sleeping"]) await harness.signal(id, "go", 1, T0 + 50);
      expect(await harness.store.nextDueAtMs(served(WORKFLOW))).toBeLessThanOrEqual(T0 + 50);
      expect(await harness.claimIds(OWNER_B, T0 + 50)).toEqual(["waiting-go"]);
      expect(await harness.claimIds(OWNER_B, T0 + 9_999)).toEqual([]);
    });

    it("to a pending, running or blocked run is stored for its next wait", async () => {
      const harness = h();
      await harness.create("pending", { workflow: "not-claimed" });
      await harness.createClaimed("running");
      await harness.createClaimed("blocked");
      await harness.block("blocked", T0 + 1);
      for (const id of ["pending", "running", "blocked"]) {
        expect(await harness.signal(id, "go", id, T0 + 2)).toEqual({ duplicate: false });
        expect((await harness.store.nextSignal(id, "go", 0))?.payload).toBe(encoded(id));
      }
      expect(await harness.claimIds(OWNER_B, T0 + 2)).toEqual([]);
    });
  });

  describe("nextSignal", () => {
    it("returns the oldest unconsumed signal of a name after afterPosition, first in first out", async () => {
      const harness = h();
      await harness.create("r1");
      await harness.create("r2");
      await harness.signal("r1", "n", 1, T0 + 1, "a1");
      await harness.signal("r2", "n", 99, T0 + 1, "other-run");
      await harness.signal("r1", "m", 10, T0 + 2, "b1");
      await harness.signal("r1", "n", 2, T0 + 3, "a2");
      await harness.signal("r1", "n", 3, T0 + 3, "a3");
      const a1 = await harness.store.nextSignal("r1", "n", 0);
      const a2 = await harness.store.nextSignal("r1", "n", a1?.position ?? 0);
      const a3 = await harness.store.nextSignal("r1", "n", a2?.position ?? 0);
      expect([a1, a2, a3].map((signal) => signal?.signalId)).toEqual(["a1", "a2", "a3"]);
      expect(a1!.position).toBeLessThan(a2!.position);
      expect(a2!.position).toBeLessThan(a3!.position);
      expect(await harness.store.nextSignal("r1", "n", a3?.position ?? 0)).toBeUndefined();
      expect((await harness.store.nextSignal("r1", "m", 0))?.signalId).toBe("b1");
      expect(await harness.store.nextSignal("r1", "unknown", 0)).toBeUndefined();
      expect(await harness.store.nextSignal("no-such-run", "n", 0)).toBeUndefined();
    });
  });
  describe("pendingSignals", () => {
    it("lists a run's unconsumed signals of every name, oldest first, without payloads, up to the limit", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.create("r2");
      await harness.signal("r1", "approve", { by: "ada" }, T0 + 1, "misnamed");
      await harness.signal("r2", "approval", 1, T0 + 1, "other-run");
      await harness.signal("r1", "approval", true, T0 + 2, "taken");
      await harness.signal("r1", "note", "x", T0 + 3, "late");
      const taken = await harness.store.nextSignal("r1", "approval", 0);
      await harness.commit("r1", {
        events: [{ type: "signal_received", name: "approval", signalId: "taken", payload: true }],
        consumedSignals: [{ position: taken?.position ?? -1, seq: 2 }],
        update: { status: "running", release: false },
        nowMs: T0 + 4,
      });
      const pending = await harness.store.pendingSignals("r1", 10);
      expect(pending.map(({ signalId, name, sentAtMs }) => ({ signalId, name, sentAtMs }))).toEqual([
        { signalId: "misnamed", name: "approve", sentAtMs: T0 + 1 },
        { signalId: "late", name: "note", sentAtMs: T0 + 3 },
      ]);
      expect(pending[0]!.position).toBeLessThan(pending[1]!.position);
      expect(pending.every((signal) => !("payload" in signal))).toBe(true);
      expect((await harness.store.pendingSignals("r1", 1)).map((signal) => signal.signalId)).toEqual(["misnamed"]);
      expect(await harness.store.pendingSignals("no-such-run", 10)).toEqual([]);
    });
  });
}
