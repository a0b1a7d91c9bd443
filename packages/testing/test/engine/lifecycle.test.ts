// Run lifecycle: idempotent start, start by name, cancellation with compensation, inspection, recorded values, close.
import {
  CancelledError,
  RunCancelledError,
  RunIdConflictError,
  UnknownWorkflowError,
  awaitSignal,
  now,
  random,
  sleep,
  step,
  uuid,
  workflow,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { counter, fixture } from "../fixtures.js";

describe("starting runs", () => {
  it("starting with an existing id returns the existing run and starts nothing", async () => {
    const f = await fixture();
    const ran = counter();
    const once = workflow("once", function* (n: number) {
      return yield* step("work", () => ran.bump() * n);
    });
    const engine = f.engine({ workflows: [once] });
    const a = await engine.start(once, 10, { id: "same" });
    const b = await engine.start(once, 99, { id: "same" });
    expect(b.id).toBe(a.id);
    expect(await b.result()).toBe(10);
    expect(ran.count).toBe(1);
    expect((await engine.getRun("same"))?.input).toBe(10);
  });

  it("the same id with another workflow is a RunIdConflictError", async () => {
    const f = await fixture();
    const a = workflow("a", function* () {
      return 1;
    });
    const b = workflow("b", function* () {
      return 2;
    });
    const engine = f.engine({ workflows: [a, b] });
    await engine.start(a, undefined, { id: "shared" });
    const error = await engine.start(b, undefined, { id: "shared" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunIdConflictError);
    expect(error).toMatchObject({ runId: "shared", existingWorkflow: "a", requestedWorkflow: "b" });
    expect(await engine.listRuns()).toHaveLength(1);
  });

  it("a client engine starts by definition, and by name only for workflows some engine serves", async () => {
    const f = await fixture();
    const hello = workflow("hello", function* (name: string) {
      return `hi ${name}`;
    });
    const client = f.engine({ workflows: [] });
    await expect(client.start("hello", "Ada")).rejects.toBeInstanceOf(UnknownWorkflowError);
    expect(await client.listRuns()).toEqual([]);
    const byDefinition = await client.start(hello, "Ada", { id: "h-1" });
    const worker = f.engine({ workflows: [hello] });
    expect(await byDefinition.result()).toBe("hi Ada");
    const byName = await client.start("hello", "Grace", { id: "h-2" });
    expect(await byName.result()).toBe("hi Grace");
    expect((await worker.getRun("h-2"))?.status).toBe("completed");
  });
});

describe("cancellation", () => {
  it("throws CancelledError at the current yield*, runs a compensating step in finally, ends cancelled", async () => {
    const f = await fixture();
    const compensated = counter();
    const booking = workflow("booking", function* () {
      yield* step("reserve", () => "seat 12A");
      try {
        yield* awaitSignal("confirm");
        return "confirmed";
      } finally {
        yield* step("release", () => compensated.bump());
      }
    });
    const engine = f.engine({ workflows: [booking] });
    const run = await engine.start(booking, undefined, { id: "b-1" });
    await waitFor(async () => (await engine.getRun("b-1"))?.status === "waiting");
    await engine.cancel("b-1", { reason: "customer left" });
    const error = await run.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunCancelledError);
    expect(error).toMatchObject({ reason: "customer left" });
    expect(compensated.count).toBe(1);
    const types = (await engine.history("b-1")).map((e) => e.type);
    expect(types).toEqual([
      "run_started",
      "step_completed",
      "signal_wait_started",
      "cancellation_requested",
      "step_completed",
      "run_cancelled",
    ]);
    expect((await engine.getRun("b-1"))?.status).toBe("cancelled");
  });

  it("aborts a running step's signal and delivers the cancellation instead of retrying it", async () => {
    const f = await fixture();
    const attempts = counter();
    let sawAbort = false;
    const long = workflow("long", function* () {
      try {
        yield* step(
          "download",
          (ctx) =>
            new Promise((_, reject) => {
              attempts.bump();
              ctx.signal.addEventListener("abort", () => {
                sawAbort = true;
                reject(new Error("aborted"));
              });
            }),
          { retry: { maxAttempts: 5, initialInterval: 1 } },
        );
      } catch (error) {
        return `caught ${(error as Error).name}: ${error instanceof CancelledError}`;
      }
      return "finished";
    });
    const engine = f.engine({ workflows: [long] });
    const run = await engine.start(long, undefined, { id: "c-1" });
    await waitFor(() => attempts.count === 1);
    await engine.cancel("c-1");
    await expect(run.result()).rejects.toBeInstanceOf(RunCancelledError);
    expect(sawAbort).toBe(true);
    expect(attempts.count).toBe(1);
    const types = (await engine.history("c-1")).map((e) => e.type);
    expect(types).toEqual(["run_started", "cancellation_requested", "run_cancelled"]);
  });

  it("compensation steps after a delivered cancellation are not aborted by lease renewals", async () => {
    const f = await fixture();
    const careful = workflow("careful", function* () {
      try {
        yield* awaitSignal("never");
      } finally {
        yield* step("cleanup", async (ctx) => {
          await new Promise((resolve) => setTimeout(resolve, 200)); // several heartbeats of a 60 ms lease
          return ctx.signal.aborted ? "aborted" : "clean";
        });
      }
    });
    const engine = f.engine({ workflows: [careful], leaseMs: 60 });
    const run = await engine.start(careful, undefined, { id: "cc-1" });
    await waitFor(async () => (await engine.getRun("cc-1"))?.status === "waiting");
    await engine.cancel("cc-1");
    await expect(run.result()).rejects.toBeInstanceOf(RunCancelledError);
    const cleanup = (await engine.history("cc-1")).find((e) => e.type === "step_completed");
    expect(cleanup).toMatchObject({ name: "cleanup", result: "clean", attempt: 1 });
  });

  it("cancelling a sleeping run wakes it at once", async () => {
    const f = await fixture();
    const sleeper = workflow("sleeper", function* () {
      yield* sleep({ days: 7 });
      return "rested";
    });
    const engine = f.engine({ workflows: [sleeper] });
    const run = await engine.start(sleeper, undefined, { id: "s-1" });
    await waitFor(async () => (await engine.getRun("s-1"))?.status === "sleeping");
    await engine.cancel("s-1");
    await engine.cancel("s-1"); // idempotent while in progress
    await expect(run.result()).rejects.toBeInstanceOf(RunCancelledError);
  });
});

describe("inspecting runs", () => {
  it("getRun, listRuns and history describe runs as they progress", async () => {
    const f = await fixture();
    const inspect = workflow("inspect", function* (name: string) {
      yield* step("greet", () => `hello ${name}`);
      return yield* awaitSignal<string>("done");
    });
    const other = workflow("other", function* () {
      return "x";
    });
    const engine = f.engine({ workflows: [inspect, other] });
    expect(await engine.getRun("missing")).toBeUndefined();
    await engine.start(inspect, "Ada", { id: "r-1" });
    await (await engine.start(other, undefined, { id: "r-2" })).result();
    await waitFor(async () => (await engine.getRun("r-1"))?.status === "waiting");

    const info = await engine.getRun("r-1");
    expect(info).toMatchObject({
      id: "r-1",
      workflow: "inspect",
      status: "waiting",
      input: "Ada",
      waitingFor: { kind: "signal", name: "done" },
      cancelRequested: false,
      lastSeq: 3,
    });
    expect(info?.wakeAtMs).toBeUndefined();
    expect(info?.finishedAtMs).toBeUndefined();
    expect((await engine.listRuns({ status: "waiting" })).map((r) => r.id)).toEqual(["r-1"]);
    expect((await engine.listRuns({ workflow: "other" })).map((r) => r.id)).toEqual(["r-2"]);
    expect((await engine.listRuns({ status: ["waiting", "completed"], limit: 1 })).length).toBe(1);
    expect((await engine.listRuns()).map((r) => r.id).sort()).toEqual(["r-1", "r-2"]);

    const done = await engine.getRun("r-2");
    expect(done).toMatchObject({ status: "completed", result: "x" });
    expect(done?.finishedAtMs).toBeGreaterThanOrEqual(done!.createdAtMs);
    const history = await engine.history("r-1");
    expect(history[0]).toMatchObject({ seq: 1, type: "run_started", workflow: "inspect", input: "Ada" });
    expect(history[1]).toMatchObject({
      seq: 2,
      type: "step_completed",
      name: "greet",
      result: "hello Ada",
      attempt: 1,
    });
  });

  it("now(), random() and uuid() are recorded and identical after replay", async () => {
    const f = await fixture();
    const observed: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const values = workflow("values", function* () {
      const at = yield* now();
      const r = yield* random();
      const id = yield* uuid();
      observed.push(JSON.stringify([at.toISO(), at.zoneName, r, id]));
      yield* step("gate", () => gate);
      return [at.toMillis(), r, id] as const;
    });
    const first = f.engine({ workflows: [values], shutdownGraceMs: 0 });
    await first.start(values, undefined, { id: "nv-1" });
    await waitFor(() => observed.length === 1);
    await first.close();
    release();
    const second = f.engine({ workflows: [values] });
    const result = await (await second.start(values, undefined, { id: "nv-1" })).result();
    expect(observed).toHaveLength(2);
    expect(observed[1]).toBe(observed[0]);
    expect((JSON.parse(observed[0]!) as unknown[])[1]).toBe("UTC");
    expect(result[2]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("closing", () => {
  it("close() lets a running step finish within the grace period and records it", async () => {
    const f = await fixture();
    let finishStep: () => void = () => undefined;
    const started = counter();
    const slow = workflow("slow", function* () {
      yield* step("slow", () => {
        started.bump();
        return new Promise<string>((resolve) => (finishStep = () => resolve("done")));
      });
      yield* step("next", () => "never here before close");
      return "ok";
    });
    const engine = f.engine({ workflows: [slow], shutdownGraceMs: 5_000 });
    await engine.start(slow, undefined, { id: "cl-1" });
    await waitFor(() => started.count === 1);
    const closed = engine.close();
    finishStep();
    await closed;
    const history = await engine.history("cl-1");
    expect(history.map((e) => e.type)).toEqual(["run_started", "step_completed"]);
    const info = await engine.getRun("cl-1");
    expect(info?.status).toBe("pending"); // released: ready for any engine to continue
    const successor = f.engine({ workflows: [slow] });
    expect(await (await successor.start(slow, undefined, { id: "cl-1" })).result()).toBe("ok");
    expect(started.count).toBe(1);
  });
});
