// Values nested past MAX_VALUE_DEPTH, and strings that are not well-formed Unicode, on a real engine: the typed
// payload error everywhere, like the size limit; a step result fails the step once, a start or a signal writes nothing.
import {
  MAX_VALUE_DEPTH,
  StepFailedError,
  UnencodableValueError,
  ValueTooDeepError,
  awaitSignal,
  step,
  workflow,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture, storeSnapshot } from "../fixtures.js";

/** Arrays nested `levels` deep: well past the stack's reach when it is thousands. */
function deep(levels: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

const echo = workflow("echo", function* (input: unknown) {
  return input;
});
const waiter = workflow("waiter", function* () {
  return yield* awaitSignal<unknown>("go");
});

describe("values nested too deep", () => {
  it("a step result nested too deep fails the step once, with ValueTooDeepError as its cause", async () => {
    const f = await fixture();
    const attempts: number[] = [];
    const digger = workflow("digger", function* () {
      try {
        yield* step("dig", (ctx) => {
          attempts.push(ctx.attempt);
          return deep(5_000);
        });
        return "stored";
      } catch (error) {
        const cause = (error as StepFailedError).cause;
        return {
          isStepFailed: error instanceof StepFailedError,
          causeIsTooDeep: cause instanceof ValueTooDeepError,
          causeIsUnencodable: cause instanceof UnencodableValueError,
          maxDepth: (cause as ValueTooDeepError).maxDepth,
          message: (error as Error).message,
        };
      }
    });
    const engine = f.engine({ workflows: [digger] });
    const outcome = await (await engine.start(digger, undefined, { id: "dig-1" })).result();
    expect(outcome).toMatchObject({
      isStepFailed: true,
      causeIsTooDeep: true,
      causeIsUnencodable: true,
      maxDepth: MAX_VALUE_DEPTH,
    });
    expect((outcome as { message: string }).message).toContain(
      "Step 'dig' failed after 1 attempt: ValueTooDeepError: The result of step 'dig' cannot be stored: " +
        "a value nested more than 256 levels deep",
    );
    expect(attempts).toEqual([1]);
    const failures = (await engine.history("dig-1")).filter((event) => event.type === "step_failed");
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ attempt: 1 });
    expect(failures[0]).not.toHaveProperty("retryAtMs");
  });

  it("uncaught, a too-deep step result ends the run failed instead of re-running the step", async () => {
    const f = await fixture();
    let calls = 0;
    const digger = workflow("digger-uncaught", function* () {
      yield* step("dig", () => {
        calls += 1;
        return deep(3_000);
      });
    });
    const engine = f.engine({ workflows: [digger] });
    const error = await (await engine.start(digger, undefined, { id: "dig-2" })).result().catch((e: unknown) => e);
    expect((error as Error).name).toBe("RunFailedError");
    expect((error as Error).cause).toBeInstanceOf(StepFailedError);
    expect(((error as Error).cause as Error).cause).toBeInstanceOf(ValueTooDeepError);
    expect((await engine.getRun("dig-2"))?.status).toBe("failed");
    expect(calls).toBe(1);
  });

  it("a start() input or a signal() payload nested too deep throws ValueTooDeepError and writes nothing", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [echo, waiter] });
    await engine.start(waiter, undefined, { id: "w" });
    await waitFor(async () => (await engine.getRun("w"))?.status === "waiting");
    const before = storeSnapshot(f);
    const startError = await engine.start(echo, deep(10_000), { id: "too-deep" }).catch((e: unknown) => e);
    expect(startError).toBeInstanceOf(ValueTooDeepError);
    expect(startError).toMatchObject({ what: "The workflow input", maxDepth: MAX_VALUE_DEPTH });
    const signalError = await engine.signal("w", "go", { tree: deep(10_000) }).catch((e: unknown) => e);
    expect(signalError).toBeInstanceOf(ValueTooDeepError);
    expect((signalError as Error).message).toContain("The payload of signal 'go' cannot be stored");
    expect(storeSnapshot(f)).toEqual(before);
    expect(await engine.getRun("too-deep")).toBeUndefined();
    // A value at the limit is accepted and comes back whole.
    expect(await (await engine.start(echo, deep(MAX_VALUE_DEPTH))).result()).toEqual(deep(MAX_VALUE_DEPTH));
  });
});

describe("strings that are not well-formed Unicode", () => {
  it("a lone surrogate in an input or a payload is refused; in a step result it fails the step once", async () => {
    const f = await fixture();
    let calls = 0;
    const texter = workflow("texter", function* () {
      try {
        yield* step("cut", () => {
          calls += 1;
          return { text: "😀".slice(0, 1) };
        });
        return "stored";
      } catch (error) {
        return (error as Error).message;
      }
    });
    const engine = f.engine({ workflows: [echo, waiter, texter] });
    await engine.start(waiter, undefined, { id: "w" });
    await waitFor(async () => (await engine.getRun("w"))?.status === "waiting");
    const before = storeSnapshot(f);
    const startError = await engine.start(echo, { ["key\udc00"]: 1 }).catch((e: unknown) => e);
    expect(startError).toBeInstanceOf(UnencodableValueError);
    expect((startError as Error).message).toContain("a property name that is not well-formed Unicode");
    await expect(engine.signal("w", "go", ["\ud800"])).rejects.toThrow(
      "a string that is not well-formed Unicode (a lone surrogate at index 0) at value.0",
    );
    expect(storeSnapshot(f)).toEqual(before);
    const message = await (await engine.start(texter, undefined)).result();
    expect(message).toContain("Step 'cut' failed after 1 attempt: UnencodableValueError");
    expect(message).toContain("a lone surrogate at index 0) at value.result.text");
    expect(calls).toBe(1);
  });
});
