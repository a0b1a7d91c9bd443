// Child workflows: child() and startChild(), typed failures, cancellation cascade, stable ids, other engines.
// Real SQLite files; parents and children are checked through getRun, listRuns and their histories.
import {
  ChildCancelledError,
  ChildFailedError,
  RunIdConflictError,
  awaitSignal,
  child,
  race,
  sleep,
  startChild,
  step,
  workflow,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { FaultyStore, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const charge = workflow("charge", function* (input: { amount: number }) {
  if (input.amount < 0) throw new Error(`cannot charge ${input.amount}`);
  return yield* step("capture", () => ({ receipt: `r-${input.amount}` }));
});

describe("child workflows", () => {
  it("child() returns the child's result; the child names its parent and the parent lists it", async () => {
    const f = await fixture();
    const checkout = workflow("checkout", function* () {
      const paid = yield* child(charge, { amount: 5 });
      const named = yield* child(charge, { amount: 7 }, { id: "charge-42" });
      return [paid.receipt, named.receipt];
    });
    const engine = f.engine({ workflows: [checkout, charge] });
    const run = await engine.start(checkout, undefined, { id: "co-1" });
    expect(await run.result()).toEqual(["r-5", "r-7"]);
    const parent = await engine.getRun("co-1");
    expect(parent?.children).toEqual(["co-1/2", "charge-42"]);
    expect((await engine.getRun("co-1/2"))?.parentId).toBe("co-1");
    expect((await engine.listRuns({ parent: "co-1" })).map((r) => r.id).sort()).toEqual(["charge-42", "co-1/2"]);
    const started = (await engine.history("co-1")).filter((e) => e.type === "child_started");
    expect(started.map((e) => (e.type === "child_started" ? e.childId : ""))).toEqual(["co-1/2", "charge-42"]);
  });

  it("a failed child throws ChildFailedError with the child's id and error; a cancelled one ChildCancelledError", async () => {
    const f = await fixture();
    const slowChild = workflow("slow-child", function* () {
      yield* awaitSignal("never");
    });
    const parent = workflow("parent", function* () {
      const seen: string[] = [];
      try {
        yield* child(charge, { amount: -1 });
      } catch (error) {
        if (error instanceof ChildFailedError) seen.push(`failed ${error.childId}: ${(error.cause as Error).message}`);
      }
      try {
        yield* child(slowChild, undefined, { id: "slow-1" });
      } catch (error) {
        if (error instanceof ChildCancelledError) seen.push(`cancelled ${error.childId}: ${error.reason ?? ""}`);
      }
      return seen;
    });
    const engine = f.engine({ workflows: [parent, charge, slowChild], retry: { maxAttempts: 1 } });
    const run = await engine.start(parent, undefined, { id: "p-1" });
    await waitFor(async () => (await engine.getRun("slow-1"))?.status === "waiting");
    await engine.cancel("slow-1", { reason: "ops" });
    expect(await run.result()).toEqual(["failed p-1/2: cannot charge -1", "cancelled slow-1: ops"]);
  });

  it("cancelling the parent cancels its unfinished children, their finally blocks run; abandon opts out", async () => {
    const f = await fixture();
    const cleaned: string[] = [];
    const worker = workflow("worker", function* (name: string) {
      try {
        yield* awaitSignal("never");
      } finally {
        yield* step("cleanup", () => cleaned.push(name));
      }
    });
    const boss = workflow("boss", function* () {
      yield* startChild(worker, "detached-but-cancelled", { id: "w-started" });
      yield* startChild(worker, "abandoned", { id: "w-abandoned", onParentCancel: "abandon" });
      return yield* child(worker, "awaited", { id: "w-awaited" });
    });
    const engine = f.engine({ workflows: [boss, worker] });
    const run = await engine.start(boss, undefined, { id: "boss-1" });
    await waitFor(async () => (await engine.getRun("w-awaited"))?.status === "waiting");
    await engine.cancel("boss-1");
    await expect(run.result()).rejects.toThrow(/cancelled/);
    await waitFor(async () => (await engine.getRun("w-started"))?.status === "cancelled");
    await waitFor(async () => (await engine.getRun("w-awaited"))?.status === "cancelled");
    expect(cleaned.sort()).toEqual(["awaited", "detached-but-cancelled"]);
    expect((await engine.getRun("w-abandoned"))?.status).toBe("waiting");
  });

  it("startChild returns a handle at once; handle.result() waits for the child later", async () => {
    const f = await fixture();
    const report = workflow("report", function* (day: string) {
      yield* awaitSignal("data");
      return `report for ${day}`;
    });
    const nightly = workflow("nightly", function* () {
      const handle = yield* startChild(report, "2030-01-01");
      const noted = yield* step("note", () => `started ${handle.id}`);
      return [noted, yield* handle.result()];
    });
    const engine = f.engine({ workflows: [nightly, report] });
    const run = await engine.start(nightly, undefined, { id: "n-1" });
    await waitFor(async () => (await engine.getRun("n-1"))?.status === "waiting");
    expect((await engine.getRun("n-1"))?.waitingFor).toEqual({ kind: "child", id: "n-1/2" });
    await engine.signal("n-1/2", "data");
    expect(await run.result()).toEqual(["started n-1/2", "report for 2030-01-01"]);
  });

  it("a child id another workflow holds is a typed error in the parent, not a hang", async () => {
    const f = await fixture();
    const other = workflow("other", function* () {
      return 1;
    });
    const parent = workflow("conflict-parent", function* () {
      try {
        yield* child(charge, { amount: 1 }, { id: "taken" });
        return "started";
      } catch (error) {
        return error instanceof RunIdConflictError ? "conflict" : `other: ${String(error)}`;
      }
    });
    const engine = f.engine({ workflows: [parent, charge, other] });
    await (await engine.start(other, undefined, { id: "taken" })).result();
    expect(await (await engine.start(parent, undefined, { id: "cp-1" })).result()).toBe("conflict");
  });

  it("a child run by a second engine that serves only the child's workflow wakes the parent", async () => {
    const f = await fixture();
    const checkout = workflow("checkout-2", function* () {
      return (yield* child(charge, { amount: 9 })).receipt;
    });
    const parentEngine = f.engine({ workflows: [checkout] });
    const childEngine = f.engine({ workflows: [charge] });
    const run = await parentEngine.start(checkout, undefined, { id: "c2-1" });
    expect(await run.result()).toBe("r-9");
    expect(childEngine.stats().stepAttempts).toBe(1);
    expect(parentEngine.stats().stepAttempts).toBe(0);
  });

  it("a losing child in a race is cancelled", async () => {
    const f = await fixture();
    const slow = workflow("slow", function* () {
      yield* sleep({ days: 10 });
      return "slow done";
    });
    const racer = workflow("racer", function* () {
      const first = yield* race({ kid: child(slow, undefined, { id: "slow-kid" }), quick: step("quick", () => "q") });
      return first.key;
    });
    const engine = f.engine({ workflows: [racer, slow] });
    expect(await (await engine.start(racer, undefined, { id: "rc-1" })).result()).toBe("quick");
    await waitFor(async () => (await engine.getRun("slow-kid"))?.status === "cancelled");
  });

  for (const timing of ["before", "after"] as const) {
    it(`the commit creating a child fails (${timing} it reaches the store): there is still exactly one child`, async () => {
      const f = await fixture();
      const faulty = new FaultyStore(f.store);
      const parent = workflow("one-child", function* () {
        return (yield* child(charge, { amount: 3 })).receipt;
      });
      const engine = f.engine({ workflows: [parent, charge], store: faulty, leaseMs: 200 });
      faulty.inject({ at: 1, methods: ["commit"], timing });
      const run = await engine.start(parent, undefined, { id: "oc-1" });
      expect(await run.result()).toBe("r-3");
      expect((await engine.listRuns({ parent: "oc-1" })).map((r) => r.id)).toEqual(["oc-1/2"]);
      const started = (await engine.history("oc-1")).filter((event) => event.type === "child_started");
      expect(started).toHaveLength(1);
      // The failed commit was reported; the run recovered once its lease lapsed.
      expect(f.backgroundErrors.splice(0).length).toBeGreaterThan(0);
    });
  }

  it("a child that finishes while the parent's engine is down: the parent finishes once an engine is back", async () => {
    const f = await fixture();
    const report = workflow("late-report", function* () {
      return `report ${String(yield* awaitSignal<number>("data"))}`;
    });
    const parent = workflow("waits-for-report", function* () {
      return yield* child(report, undefined, { id: "lr-1" });
    });
    const childEngine = f.engine({ workflows: [report] });
    const first = f.engine({ workflows: [parent] });
    await first.start(parent, undefined, { id: "wr-1" });
    await waitFor(async () => (await first.getRun("wr-1"))?.status === "waiting");
    await first.close();
    await childEngine.signal("lr-1", "data", 7);
    await waitFor(async () => (await childEngine.getRun("lr-1"))?.status === "completed");
    const second = f.engine({ workflows: [parent] });
    const handle = await second.start(parent, undefined, { id: "wr-1" });
    expect(await handle.result()).toBe("report 7");
  });

  it("a child finishing in the same engine wakes its parent without waiting for a poll", async () => {
    const f = await fixture();
    const quick = workflow("quick-child", function* () {
      return yield* awaitSignal<string>("go");
    });
    const parent = workflow("quick-parent", function* () {
      return yield* child(quick, undefined, { id: "qc-1" });
    });
    // No polling at all: only the child's end can wake the parent here.
    const engine = f.engine({ workflows: [parent, quick], pollIntervalMs: Infinity });
    const run = await engine.start(parent, undefined, { id: "qp-1" });
    await waitFor(async () => (await engine.getRun("qp-1"))?.status === "waiting");
    await engine.signal("qc-1", "go", "now");
    expect(await run.result()).toBe("now");
  });
});
