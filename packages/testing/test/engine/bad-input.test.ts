// Bad input gets a clear, typed error and changes nothing: no new runs, events or signals are written.
import {
  InvalidArgumentError,
  PayloadTooLargeError,
  RunFinishedError,
  RunNotFoundError,
  UnencodableValueError,
  UnknownWorkflowError,
  awaitSignal,
  createEngine,
  step,
  workflow,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture, storeSnapshot } from "../fixtures.js";

const echo = workflow("echo", function* (input: unknown) {
  return input;
});
const waiter = workflow("waiter", function* () {
  return yield* awaitSignal<unknown>("go");
});

describe("bad input", () => {
  it("unknown run ids: getRun is undefined; signal, cancel and history throw RunNotFoundError", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [echo] });
    const before = storeSnapshot(f);
    expect(await engine.getRun("nope")).toBeUndefined();
    await expect(engine.signal("nope", "go", 1)).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(engine.cancel("nope")).rejects.toBeInstanceOf(RunNotFoundError);
    await expect(engine.history("nope")).rejects.toBeInstanceOf(RunNotFoundError);
    const error = await engine.signal("nope", "go", 1).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "RUN_NOT_FOUND", runId: "nope" });
    expect(storeSnapshot(f)).toEqual(before);
  });

  it("signals and cancellations to a finished run throw RunFinishedError", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [echo] });
    await (await engine.start(echo, 1, { id: "done" })).result();
    const before = storeSnapshot(f);
    const error = await engine.signal("done", "go", 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFinishedError);
    expect((error as Error).message).toContain("already finished with status 'completed'");
    await expect(engine.cancel("done")).rejects.toBeInstanceOf(RunFinishedError);
    expect(storeSnapshot(f)).toEqual(before);
  });

  it("a resent signal whose run has since finished is acknowledged as a duplicate", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [waiter] });
    const run = await engine.start(waiter, undefined, { id: "resend" });
    await engine.signal("resend", "go", "first", { id: "webhook-7" });
    expect(await run.result()).toBe("first");
    expect(await engine.signal("resend", "go", "first", { id: "webhook-7" })).toEqual({
      id: "webhook-7",
      duplicate: true,
    });
    await expect(engine.signal("resend", "go", "new", { id: "webhook-8" })).rejects.toBeInstanceOf(RunFinishedError);
  });

  it("starting an unknown workflow by name throws UnknownWorkflowError", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [echo] });
    const before = storeSnapshot(f);
    const error = await engine.start("no-such-workflow", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownWorkflowError);
    expect((error as Error).message).toContain("'no-such-workflow'");
    expect(storeSnapshot(f)).toEqual(before);
  });

  it("oversized inputs and signal payloads throw PayloadTooLargeError", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [echo, waiter], maxPayloadBytes: 1024 });
    await engine.start(waiter, undefined, { id: "w" });
    await waitFor(async () => (await engine.getRun("w"))?.status === "waiting");
    const before = storeSnapshot(f);
    const big = "x".repeat(2000);
    const startError = await engine.start(echo, big).catch((e: unknown) => e);
    expect(startError).toBeInstanceOf(PayloadTooLargeError);
    expect(startError).toMatchObject({ limitBytes: 1024, what: "The workflow input" });
    await expect(engine.signal("w", "go", big)).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(storeSnapshot(f)).toEqual(before);
  });

  it("a signal payload just under the limit is delivered, although its event is larger", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [waiter], maxPayloadBytes: 1024 });
    const run = await engine.start(waiter, undefined, { id: "near-limit" });
    const payload = "z".repeat(1000);
    await engine.signal("near-limit", "go", payload);
    expect(await run.result()).toBe(payload);
  });

  it("an oversized step result fails the step without retries", async () => {
    const f = await fixture();
    const attempts: number[] = [];
    const bloated = workflow("bloated", function* () {
      try {
        yield* step("fetch", (ctx) => {
          attempts.push(ctx.attempt);
          return "y".repeat(5000);
        });
      } catch (error) {
        return (error as Error).message;
      }
      return "stored";
    });
    const engine = f.engine({ workflows: [bloated], maxPayloadBytes: 1024 });
    const message = await (await engine.start(bloated, undefined)).result();
    expect(message).toContain("PayloadTooLargeError");
    expect(attempts).toEqual([1]);
  });

  it("values the codec cannot store are refused before anything is written", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [echo, waiter] });
    await engine.start(waiter, undefined, { id: "w" });
    await waitFor(async () => (await engine.getRun("w"))?.status === "waiting");
    const before = storeSnapshot(f);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(engine.start(echo, { fn: () => 1 })).rejects.toBeInstanceOf(UnencodableValueError);
    await expect(engine.start(echo, cyclic)).rejects.toThrow(/circular reference at value.self/);
    await expect(engine.signal("w", "go", Symbol("s"))).rejects.toBeInstanceOf(UnencodableValueError);
    expect(storeSnapshot(f)).toEqual(before);
  });

  it("malformed ids, names and options throw InvalidArgumentError", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [echo, waiter] });
    await engine.start(waiter, undefined, { id: "w" });
    await waitFor(async () => (await engine.getRun("w"))?.status === "waiting");
    const before = storeSnapshot(f);
    await expect(engine.start(echo, 1, { id: "" })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.start(echo, 1, { id: "x".repeat(201) })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.signal("w", "", 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.signal("w", "go", 1, { id: "" })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.cancel("w", { reason: "r".repeat(1001) })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.listRuns({ status: "sleepy" as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.listRuns({ limit: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.start({ name: "fake" } as never, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => createEngine({ store: f.store, concurrency: 0 })).toThrow(InvalidArgumentError);
    expect(() => createEngine({ store: f.store, retry: { maxAttempts: 0 } })).toThrow(InvalidArgumentError);
    expect(() => createEngine({ store: f.store, workflows: [echo, workflow("echo", function* () {})] })).toThrow(
      /Two different workflows are named 'echo'/,
    );
    expect(() => workflow("", function* () {})).toThrow(InvalidArgumentError);
    expect(() => step("", () => 1)).toThrow(InvalidArgumentError);
    expect(() => awaitSignal("")).toThrow(InvalidArgumentError);
    expect(storeSnapshot(f)).toEqual(before);
  });

  it("a bad retry option on one step fails that step, not the engine", async () => {
    const f = await fixture();
    const odd = workflow("odd", function* () {
      try {
        yield* step("s", () => 1, { retry: { backoffCoefficient: 0.5 } });
      } catch (error) {
        return (error as Error).message;
      }
      return "ran";
    });
    const engine = f.engine({ workflows: [odd] });
    expect(await (await engine.start(odd, undefined)).result()).toContain("retry.backoffCoefficient must be");
  });

  it("a workflow that yields something other than a command fails with a clear error", async () => {
    const f = await fixture();
    const wrong = workflow("wrong", function* () {
      yield Promise.resolve(1);
    });
    const engine = f.engine({ workflows: [wrong] });
    const run = await engine.start(wrong, undefined, { id: "wrong-1" });
    await expect(run.result()).rejects.toThrow(/yielded an object \(Promise\), which is not a Reprise command/);
  });
});
