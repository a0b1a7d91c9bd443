// Step errors keep their identity through the log on a real engine: inside the workflow (first run and replay),
// and from run.result() in the caller, including after a restart, with registered classes decoded by instanceof.
import { RunFailedError, StepFailedError, awaitSignal, registerErrorClass, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

class Declined extends Error {
  override name = "Declined";
  code = "insufficient_funds";
  constructor(
    message: string,
    readonly balanceCents: number,
  ) {
    super(message, { cause: new TypeError("gateway said 402") });
  }
}
registerErrorClass(Declined);

/** What the workflow saw of the step's error, in a form that can be compared and returned. */
function seen(error: unknown): Record<string, unknown> {
  const cause = (error as StepFailedError).cause as Declined;
  return {
    stepFailed: error instanceof StepFailedError,
    causeIsDeclined: cause instanceof Declined,
    name: cause.name,
    message: cause.message,
    code: cause.code,
    balanceCents: cause.balanceCents,
    rootIsTypeError: cause.cause instanceof TypeError,
    root: (cause.cause as Error).message,
  };
}

describe("step errors crossing the log", () => {
  it("inside the workflow the StepFailedError's cause is the Declined error with its code, on replay too", async () => {
    const f = await fixture();
    const sightings: Record<string, unknown>[] = [];
    const charge = workflow("charge-caught", function* () {
      let outcome: Record<string, unknown> = {};
      try {
        yield* step("charge", () => {
          throw new Declined("card declined", 1250);
        });
      } catch (error) {
        outcome = seen(error);
        sightings.push(outcome);
      }
      // Parks, and with no replay cache the run is rebuilt from its log when the signal comes.
      yield* awaitSignal("go");
      return outcome;
    });
    const engine = f.engine({ workflows: [charge], cacheSize: 0, retry: { maxAttempts: 1 } });
    const run = await engine.start(charge, undefined, { id: "c-1" });
    await waitFor(async () => (await engine.getRun("c-1"))?.status === "waiting");
    await engine.signal("c-1", "go", null);
    const expected = {
      stepFailed: true,
      causeIsDeclined: true,
      name: "Declined",
      message: "card declined",
      code: "insufficient_funds",
      balanceCents: 1250,
      rootIsTypeError: true,
      root: "gateway said 402",
    };
    expect(await run.result()).toEqual(expected);
    expect(sightings).toEqual([expected, expected]);
  });

  it("run.result() rejects with RunFailedError → StepFailedError → Declined with its code, also from a new engine", async () => {
    const f = await fixture();
    const charge = workflow("charge-uncaught", function* () {
      yield* step("charge", () => {
        throw new Declined("card declined", 99);
      });
    });
    const engine = f.engine({ workflows: [charge], retry: { maxAttempts: 1 } });
    const run = await engine.start(charge, undefined, { id: "c-2" });
    // The same id started again on another engine is the same run: its handle reads the stored outcome.
    const again = await f.engine({ workflows: [charge] }).start(charge, undefined, { id: "c-2" });
    for (const handle of [run, again]) {
      const error = await handle.result().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunFailedError);
      const stepError = (error as RunFailedError).cause as StepFailedError;
      expect(stepError).toBeInstanceOf(StepFailedError);
      expect(stepError).toMatchObject({ stepName: "charge", attempts: 1, code: "STEP_FAILED" });
      const declined = stepError.cause as Declined;
      expect(declined).toBeInstanceOf(Declined);
      expect(declined).toMatchObject({ name: "Declined", code: "insufficient_funds", balanceCents: 99 });
      expect(declined.stack).toContain("values-errors.test.ts");
      expect(declined.cause).toBeInstanceOf(TypeError);
    }
    const info = await f.engine({}).getRun("c-2");
    expect(info?.error).toBeInstanceOf(StepFailedError);
    expect(((info?.error as Error).cause as Declined).code).toBe("insufficient_funds");
  });
});
