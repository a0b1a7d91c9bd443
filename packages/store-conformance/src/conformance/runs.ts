// Conformance: creating runs and reading them back (createRun, getRun, getRunOutcome, listRuns, readEvents).
// Checks only what the Store interface promises; ordering ties and storage details are left to each store.
import { describe, expect, it } from "vitest";
import {
  Harness,
  LONG_LEASE_MS,
  OTHER_WORKFLOW,
  OWNER_A,
  OWNER_B,
  RealTime,
  SHORT_LEASE_MS,
  startedRecord,
  T0,
  WORKFLOW,
  type ConformanceContext,
  served,
} from "./harness.js";

export function describeRuns(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("createRun", () => {
    it("stores a pending run with its run_started event and returns the record", async () => {
      const { store } = ctx.target();
      const started = startedRecord(WORKFLOW, { sku: "MUG", qty: 2 }, T0);
      const { created, run } = await store.createRun({
        id: "order-1",
        workflow: WORKFLOW,
        input: started.input,
        startedEvent: started.event,
        nowMs: T0,
      });
      expect(created).toBe(true);
      expect(run).toEqual({
        id: "order-1",
        workflow: WORKFLOW,
        version: 1,
        generation: 1,
        status: "pending",
        input: started.input,
        cancelRequested: false,
        lastSeq: 1,
        createdAtMs: T0,
        updatedAtMs: T0,
        priority: 0,
      });
      for (const field of ["result", "error", "waitingFor", "wakeAtMs", "reason", "cancelReason", "finishedAtMs"]) {
        expect(run[field as keyof typeof run], field).toBeUndefined();
      }
      expect(await store.getRun("order-1")).toEqual(run);
      expect(await store.readEvents("order-1")).toEqual([started.event]);
    });

    it("with an id that exists returns the stored run unchanged (created: false) and writes nothing", async () => {
      const harness = h();
      const first = await harness.create("order-1", { input: "first" });
      const again = startedRecord(OTHER_WORKFLOW, "second", T0 + 5);
      const result = await harness.store.createRun({
        id: "order-1",
        workflow: OTHER_WORKFLOW,
        input: again.input,
        startedEvent: again.event,
        nowMs: T0 + 5,
      });
      expect(result).toEqual({ created: false, run: first });
      expect(await harness.store.readEvents("order-1")).toEqual([startedRecord(WORKFLOW, "first", T0).event]);
      expect(await harness.store.listRuns({ limit: 10 })).toHaveLength(1);
    });

    it("with a lease creates the run claimed by that owner, as a claim would, until the lease expires", async () => {
      const harness = h();
      const time = new RealTime();
      const startedAt = time.now();
      const started = startedRecord(WORKFLOW, "leased", startedAt);
      const { created, run } = await harness.store.createRun({
        id: "order-1",
        workflow: WORKFLOW,
        input: started.input,
        startedEvent: started.event,
        nowMs: startedAt,
        lease: { owner: OWNER_A, leaseMs: SHORT_LEASE_MS },
      });
      expect(created).toBe(true);
      expect(run).toMatchObject({ id: "order-1", status: "running", lastSeq: 1 });
      expect(await harness.store.getRun("order-1")).toEqual(run);
      expect(await harness.claimIds(OWNER_B, time.now())).toEqual([]);
      const renewedAt = await time.wait(SHORT_LEASE_MS / 2);
      expect(await harness.store.renewLeases(OWNER_A, ["order-1"], renewedAt, SHORT_LEASE_MS)).toHaveLength(1);
      await harness.recordStep("order-1", time.now());
      // Past the lease taken at creation, before the renewed one ends.
      expect(await harness.claimIds(OWNER_B, await time.wait(SHORT_LEASE_MS / 2 + 50))).toEqual([]);
      expect(await harness.claimIds(OWNER_B, await time.pastLease())).toEqual(["order-1"]);
    });

    it("with a lease for an id that exists takes no lease and returns the stored run", async () => {
      const harness = h();
      const first = await harness.create("order-1");
      const again = startedRecord(WORKFLOW, "again", T0 + 5);
      const result = await harness.store.createRun({
        id: "order-1",
        workflow: WORKFLOW,
        input: again.input,
        startedEvent: again.event,
        nowMs: T0 + 5,
        lease: { owner: OWNER_B, leaseMs: LONG_LEASE_MS },
      });
      expect(result).toEqual({ created: false, run: first });
      expect(await harness.claimIds(OWNER_A, T0 + 5)).toEqual(["order-1"]);
    });

    it("makes the new run due at once", async () => {
      const harness = h();
      await harness.create("order-1", { nowMs: T0 + 7 });
      expect(await harness.store.nextDueAtMs(served(WORKFLOW))).toBe(T0 + 7);
      expect(await harness.claimIds(OWNER_A, T0 + 7)).toEqual(["order-1"]);
    });
  });

  describe("getRun", () => {
    it("returns undefined for an unknown id", async () => {
      expect(await ctx.target().store.getRun("no-such-run")).toBeUndefined();
    });
  });

  describe("getRunOutcome", () => {
    it("returns undefined for an unknown id", async () => {
      expect(await ctx.target().store.getRunOutcome("no-such-run")).toBeUndefined();
    });

    it("returns the status, result, error and reason that getRun has, and nothing else", async () => {
      const harness = h();
      const outcome = async (runId: string) => {
        const run = await harness.store.getRun(runId);
        const expected = run && { status: run.status, result: run.result, error: run.error, reason: run.reason };
        return { from: await harness.store.getRunOutcome(runId), expected };
      };
      await harness.create("done");
      await harness.create("stuck");
      await harness.create("waiting");
      const pending = await outcome("waiting");
      expect(pending.from).toEqual({ status: "pending" });
      expect(pending.from).toEqual(pending.expected);
      expect(await harness.claimIds(OWNER_A, T0 + 1)).toEqual(["done", "stuck", "waiting"]);
      await harness.complete("done", T0 + 2, { total: 42 });
      await harness.block("stuck", T0 + 2);
      for (const runId of ["done", "stuck", "waiting"]) {
        const { from, expected } = await outcome(runId);
        expect(from).toEqual(expected);
      }
      expect((await outcome("done")).from?.result).toBeDefined();
      expect((await outcome("stuck")).from?.status).toBe("blocked");
      expect((await outcome("stuck")).from?.reason).toMatch(/NonDeterminismError/);
    });
  });

  describe("listRuns", () => {
    it("returns runs newest first, filtered by statuses and workflow, up to limit", async () => {
      const harness = h();
      await harness.create("r1", { nowMs: T0 });
      await harness.create("r2", { nowMs: T0 + 1, workflow: OTHER_WORKFLOW });
      await harness.create("r3", { nowMs: T0 + 2 });
      expect(await harness.claimIds(OWNER_A, T0 + 3, { workflows: [WORKFLOW] })).toEqual(["r1", "r3"]);
      await harness.complete("r3", T0 + 4);
      await harness.commit("r1", {
        update: { status: "pending", release: true, wake: { atMs: T0 + 4 } },
        nowMs: T0 + 4,
      });

      const ids = async (filter: Parameters<typeof harness.store.listRuns>[0]) =>
        (await harness.store.listRuns(filter)).map((run) => run.id);
      expect(await ids({ limit: 100 })).toEqual(["r3", "r2", "r1"]);
      expect(await ids({ limit: 2 })).toEqual(["r3", "r2"]);
      expect(await ids({ limit: 100, statuses: ["pending"] })).toEqual(["r2", "r1"]);
      expect(await ids({ limit: 100, statuses: ["completed", "pending"] })).toEqual(["r3", "r2", "r1"]);
      expect(await ids({ limit: 100, statuses: ["waiting"] })).toEqual([]);
      expect(await ids({ limit: 100, workflow: WORKFLOW })).toEqual(["r3", "r1"]);
      expect(await ids({ limit: 100, workflow: WORKFLOW, statuses: ["pending"] })).toEqual(["r1"]);
      expect(await ids({ limit: 100, workflow: "no-such-workflow" })).toEqual([]);
    });

    it("returns the same records as getRun", async () => {
      const harness = h();
      await harness.create("r1", { nowMs: T0 });
      await harness.create("r2", { nowMs: T0 + 1 });
      await harness.claim(OWNER_A, T0 + 2, { limit: 1 });
      const listed = await harness.store.listRuns({ limit: 10 });
      expect(listed).toEqual([await harness.run("r2"), await harness.run("r1")]);
    });
  });

  describe("readEvents", () => {
    it("returns a run's events in seq order, only those after afterSeq", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.create("other");
      const written = await harness.commit("r1", {
        events: [
          { type: "step_completed", name: "reserve", attempt: 1, result: "rsv-1" },
          { type: "step_completed", name: "charge", attempt: 1, result: "ch-1" },
          { type: "timer_started", wakeAtMs: T0 + 1000 },
        ],
        update: { status: "running", release: false },
        nowMs: T0 + 1,
      });
      const all = await harness.store.readEvents("r1");
      expect(all.map((event) => event.seq)).toEqual([1, 2, 3, 4]);
      expect(all.slice(1)).toEqual(written);
      expect(await harness.store.readEvents("r1", 0)).toEqual(all);
      expect(await harness.store.readEvents("r1", 2)).toEqual(written.slice(1));
      expect(await harness.store.readEvents("r1", 4)).toEqual([]);
      expect(await harness.store.readEvents("no-such-run")).toEqual([]);
    });

    it("returns stored text and times exactly: unicode, quotes, newlines, large payloads, far-future times", async () => {
      const harness = h();
      const input = { name: 'Zoë 🚀 "quoted" \\ back\nslash', big: "x".repeat(300_000) };
      const farFuture = Date.UTC(2200, 0, 1);
      const started = startedRecord(WORKFLOW, input, farFuture);
      await harness.store.createRun({
        id: "r-ü",
        workflow: WORKFLOW,
        input: started.input,
        startedEvent: started.event,
        nowMs: farFuture,
      });
      expect((await harness.run("r-ü")).input).toBe(started.input);
      expect((await harness.claim(OWNER_A, farFuture)).map((run) => run.id)).toEqual(["r-ü"]);
      const written = await harness.commit("r-ü", {
        events: [{ type: "step_completed", name: "naïve ✓", attempt: 1, result: { text: "日本語", n: -0.1 } }],
        update: { status: "running", release: false },
        nowMs: farFuture + 1,
      });
      expect(await harness.store.readEvents("r-ü")).toEqual([started.event, ...written]);
    });
  });
}
