// Conformance: commit, the engine's only way to append events: lease guard, atomicity, signals, projection.
// A refused commit must leave the run exactly as it was; an accepted one must write everything it carries.
import type { RunRecord, RunUpdate } from "@reprise/core";
import { describe, expect, it } from "vitest";
import {
  encoded,
  expectCode,
  Harness,
  OWNER_A,
  OWNER_B,
  RealTime,
  records,
  SHORT_LEASE_MS,
  T0,
  type ConformanceContext,
} from "./harness.js";

export function describeCommit(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("commit", () => {
    it("appends the events, advances lastSeq and writes the projection", async () => {
      const harness = h();
      const claimed = await harness.createClaimed("r1");
      const written = await harness.commit("r1", {
        events: [
          { type: "step_completed", name: "reserve", attempt: 1, result: { id: "rsv-1" } },
          { type: "value_recorded", source: "now", value: T0 + 5 },
        ],
        update: { status: "running", release: false },
        nowMs: T0 + 5,
      });
      expect(await harness.store.readEvents("r1", 1)).toEqual(written);
      const run = await harness.run("r1");
      expect(run).toMatchObject({
        status: "running",
        lastSeq: 3,
        createdAtMs: claimed.createdAtMs,
        updatedAtMs: T0 + 5,
      });
      expect(run.input).toBe(claimed.input);
    });

    it("refuses (LeaseLostError) a commit by an engine that does not hold the lease, writing nothing", async () => {
      const harness = h();
      await harness.createClaimed("held", { owner: OWNER_A });
      await harness.create("unclaimed", { workflow: "unserved-workflow" });
      for (const runId of ["held", "unclaimed"]) {
        const before = await harness.snapshot(runId);
        await expectCode(
          harness.commit(runId, {
            owner: OWNER_B,
            events: [{ type: "step_completed", name: "charge", attempt: 1, result: 1 }],
            update: { status: "completed", result: encoded(1), release: true },
            nowMs: T0 + 1,
          }),
          "LEASE_LOST",
        );
        expect(await harness.snapshot(runId)).toEqual(before);
      }
      await expectCode(
        harness.store.commit({
          runId: "no-such-run",
          owner: OWNER_A,
          expectedLastSeq: 1,
          events: records(1, [{ type: "timer_fired" }], T0),
          consumedSignals: [],
          update: { status: "running", release: false },
          nowMs: T0,
        }),
        "LEASE_LOST",
      );
    });

    it("refuses (LeaseLostError) a commit whose expectedLastSeq is not the run's last seq, writing nothing", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.recordStep("r1", T0 + 1);
      const before = await harness.snapshot("r1");
      for (const expectedLastSeq of [1, 3]) {
        await expectCode(
          harness.commit("r1", {
            expectedLastSeq,
            events: [{ type: "step_completed", name: "b", attempt: 1, result: 2 }],
            update: { status: "running", release: false },
            nowMs: T0 + 2,
          }),
          "LEASE_LOST",
        );
      }
      expect(await harness.snapshot("r1")).toEqual(before);
    });

    it("of two racing commits with the same expectedLastSeq, exactly one is written", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      const attempt = (name: string) =>
        harness.commit("r1", {
          expectedLastSeq: 1,
          events: [
            { type: "step_completed", name, attempt: 1, result: name },
            { type: "timer_started", wakeAtMs: T0 + 10 },
          ],
          update: { status: "running", release: false },
          nowMs: T0 + 1,
        });
      const outcomes = await Promise.allSettled([attempt("first"), attempt("second")]);
      const fulfilled = outcomes.filter((outcome) => outcome.status === "fulfilled");
      const rejected = outcomes.filter((outcome) => outcome.status === "rejected");
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ code: "LEASE_LOST" });
      const events = await harness.store.readEvents("r1", 1);
      expect(events).toEqual((fulfilled[0] as PromiseFulfilledResult<unknown>).value);
      expect((await harness.run("r1")).lastSeq).toBe(3);
    });

    it("consumes the signals it names together with its events", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.signal("r1", "go", "first", T0 + 1, "s-1");
      await harness.signal("r1", "go", "second", T0 + 2, "s-2");
      const signal = await harness.store.nextSignal("r1", "go", 0);
      expect(signal?.signalId).toBe("s-1");
      await harness.commit("r1", {
        events: [{ type: "signal_received", name: "go", signalId: "s-1", payload: "first" }],
        consumedSignals: [{ position: signal?.position ?? -1, seq: 2 }],
        update: { status: "running", release: false },
        nowMs: T0 + 3,
      });
      expect((await harness.store.nextSignal("r1", "go", 0))?.signalId).toBe("s-2");
      expect((await harness.run("r1")).lastSeq).toBe(2);
    });

    it("whose signal consumption fails is refused (LeaseLostError) and writes none of its events", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.createClaimed("r2");
      await harness.signal("r1", "go", 1, T0 + 1, "s-1");
      await harness.signal("r2", "go", 2, T0 + 1, "s-2");
      const mine = await harness.store.nextSignal("r1", "go", 0);
      const theirs = await harness.store.nextSignal("r2", "go", 0);
      const consume = (position: number) =>
        harness.commit("r1", {
          events: [
            { type: "signal_received", name: "go", signalId: "s", payload: 1 },
            { type: "step_completed", name: "after", attempt: 1, result: 1 },
          ],
          consumedSignals: [{ position, seq: 3 }],
          update: { status: "completed", result: encoded(1), release: true },
          nowMs: T0 + 2,
        });
      await harness.commit("r1", {
        events: [{ type: "signal_received", name: "go", signalId: "s-1", payload: 1 }],
        consumedSignals: [{ position: mine?.position ?? -1, seq: 2 }],
        update: { status: "running", release: false },
        nowMs: T0 + 2,
      });
      const before = await harness.snapshot("r1");
      // Already consumed by the commit above, and a signal in another run's inbox.
      for (const position of [mine?.position ?? -1, theirs?.position ?? -1]) {
        await expectCode(consume(position), "LEASE_LOST");
        expect(await harness.snapshot("r1")).toEqual(before);
      }
      expect((await harness.store.nextSignal("r2", "go", 0))?.signalId).toBe("s-2");
    });

    it("records the projection of every status: waits, wake-up times, results, errors, reasons", async () => {
      const harness = h();
      const cases: { id: string; update: RunUpdate; expected: Partial<RunRecord> }[] = [
        {
          id: "sleeping-timer",
          update: {
            status: "sleeping",
            waitingFor: { kind: "timer" },
            wakeAtMs: T0 + 500,
            release: true,
            wake: { atMs: T0 + 500 },
          },
          expected: { status: "sleeping", waitingFor: { kind: "timer" }, wakeAtMs: T0 + 500 },
        },
        {
          id: "sleeping-retry",
          update: {
            status: "sleeping",
            waitingFor: { kind: "retry", step: "charge" },
            wakeAtMs: T0 + 700,
            release: true,
            wake: { atMs: T0 + 700 },
          },
          expected: { status: "sleeping", waitingFor: { kind: "retry", step: "charge" }, wakeAtMs: T0 + 700 },
        },
        {
          id: "waiting-timeout",
          update: {
            status: "waiting",
            waitingFor: { kind: "signal", name: "shipped" },
            wakeAtMs: T0 + 900,
            release: true,
            wake: { atMs: T0 + 900, signals: ["shipped"] },
          },
          expected: { status: "waiting", waitingFor: { kind: "signal", name: "shipped" }, wakeAtMs: T0 + 900 },
        },
        {
          id: "waiting-forever",
          update: {
            status: "waiting",
            waitingFor: { kind: "signal", name: "approve" },
            release: true,
            wake: { signals: ["approve"] },
          },
          expected: { status: "waiting", waitingFor: { kind: "signal", name: "approve" }, wakeAtMs: undefined },
        },
        {
          id: "completed",
          update: { status: "completed", result: encoded({ total: 12n }), release: true },
          expected: { status: "completed", result: encoded({ total: 12n }), finishedAtMs: T0 + 3 },
        },
        {
          id: "failed",
          update: { status: "failed", error: encoded({ name: "TypeError", message: "boom" }), release: true },
          expected: { status: "failed", error: encoded({ name: "TypeError", message: "boom" }), finishedAtMs: T0 + 3 },
        },
        {
          id: "cancelled",
          update: { status: "cancelled", reason: "customer left", release: true },
          expected: { status: "cancelled", reason: "customer left", finishedAtMs: T0 + 3 },
        },
        {
          id: "blocked",
          update: {
            status: "blocked",
            reason: "NonDeterminismError: diverged",
            error: encoded({ name: "NonDeterminismError", message: "diverged" }),
            release: true,
          },
          expected: {
            status: "blocked",
            reason: "NonDeterminismError: diverged",
            error: encoded({ name: "NonDeterminismError", message: "diverged" }),
            finishedAtMs: undefined,
          },
        },
        {
          id: "handed-back",
          update: { status: "pending", release: true, wake: { atMs: T0 + 3 } },
          expected: { status: "pending", waitingFor: undefined, wakeAtMs: undefined, finishedAtMs: undefined },
        },
      ];
      for (const { id } of cases) await harness.create(id);
      expect(await harness.claim(OWNER_A, T0 + 1)).toHaveLength(cases.length);
      for (const { id, update, expected } of cases) {
        await harness.commit(id, { events: [], update, nowMs: T0 + 3 });
        const run = await harness.run(id);
        expect(run, id).toMatchObject({ ...expected, lastSeq: 1, updatedAtMs: T0 + 3, createdAtMs: T0 });
        for (const [field, value] of Object.entries(expected)) {
          if (value === undefined) expect(run[field as keyof RunRecord], `${id}.${field}`).toBeUndefined();
        }
        for (const field of ["result", "error", "reason", "waitingFor", "wakeAtMs", "finishedAtMs"] as const) {
          if (!(field in expected)) expect(run[field], `${id}.${field}`).toBeUndefined();
        }
      }
    });

    it("replaces the whole projection: a field the update leaves out is cleared", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.parkSleeping("r1", T0 + 1, T0 + 100);
      expect(await harness.claimIds(OWNER_A, T0 + 100)).toEqual(["r1"]);
      await harness.commit("r1", {
        events: [{ type: "timer_fired" }],
        update: { status: "running", release: false },
        nowMs: T0 + 100,
      });
      const run = await harness.run("r1");
      expect(run.status).toBe("running");
      expect(run.waitingFor).toBeUndefined();
      expect(run.wakeAtMs).toBeUndefined();
    });

    it("without release keeps the lease: the holder commits again, others cannot claim until it expires", async () => {
      const harness = h();
      const time = new RealTime();
      await harness.createClaimed("r1", { leaseMs: SHORT_LEASE_MS, nowMs: time.now() });
      await harness.recordStep("r1", time.now());
      expect(await harness.claimIds(OWNER_B, time.now())).toEqual([]);
      await harness.commit("r1", {
        events: [{ type: "step_completed", name: "b", attempt: 1, result: 2 }],
        update: { status: "running", release: false },
        nowMs: time.now(),
      });
      // The engine died here: once its lease expires, the run (still `running`) is claimable.
      expect(await harness.claimIds(OWNER_B, await time.pastLease())).toEqual(["r1"]);
    });

    it("with release gives up the lease: the holder's next commit is refused; another engine claims it when due", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.commit("r1", {
        events: [{ type: "step_completed", name: "a", attempt: 1, result: 1 }],
        update: { status: "pending", release: true, wake: { atMs: T0 + 5 } },
        nowMs: T0 + 5,
      });
      await expectCode(
        harness.commit("r1", {
          events: [{ type: "step_completed", name: "b", attempt: 1, result: 2 }],
          update: { status: "running", release: false },
          nowMs: T0 + 6,
        }),
        "LEASE_LOST",
      );
      const claimed = await harness.claim(OWNER_B, T0 + 5);
      expect(claimed.map((run) => run.id)).toEqual(["r1"]);
      expect(claimed[0]?.lastSeq).toBe(2);
    });

    it("may carry no events and still update the projection", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.block("r1", T0 + 1);
      expect(await harness.run("r1")).toMatchObject({ status: "blocked", lastSeq: 1 });
      expect(await harness.store.readEvents("r1")).toHaveLength(1);
    });
  });
}
