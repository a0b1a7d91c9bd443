// RunNotFinishedError says in words what an unfinished run waits for (no raw JSON) and how a test moves it on.
// Covers each kind of wait: a signal with and without a timeout, a durable sleep, a step's retry backoff.
import { awaitSignal, sleep, step, workflow } from "@reprise/core";
import { afterEach, describe, expect, it } from "vitest";
import { createTestEngine, RunNotFinishedError, type TestEngine } from "../src/index.js";

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function notFinished(result: Promise<unknown>): Promise<RunNotFinishedError> {
  const error = await result.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RunNotFinishedError);
  const message = (error as Error).message;
  expect(message).not.toMatch(/[{}]/);
  return error as RunNotFinishedError;
}

describe("RunNotFinishedError", () => {
  it("names the awaited signal and its timeout, says how to send it, and lists stray signals", async () => {
    const approval = workflow("approval", function* () {
      return yield* awaitSignal<boolean>("approval", { timeout: { hours: 2 } });
    });
    t = await createTestEngine({ workflows: [approval] });
    const run = await t.start(approval, undefined, { id: "a-1" });
    await t.signal("a-1", "approve", true);
    const error = await notFinished(run.result());
    expect(error.message).toBe(
      "Run 'a-1' has not finished at virtual time 2030-01-01T00:00:00.000Z: it is waiting for signal 'approval' " +
        "(times out at 2030-01-01T02:00:00.000Z). Its inbox holds signals no awaitSignal() has taken: 'approve'. " +
        "Send it with t.signal('a-1', 'approval', payload) or advance the clock past its timeout with t.advance(...), " +
        "then ask again.",
    );
    expect(error.waitingFor).toEqual({ kind: "signal", name: "approval" });
  });

  it("says 'no timeout' for a signal awaited without one", async () => {
    const forever = workflow("forever", function* () {
      return yield* awaitSignal<boolean>("go");
    });
    t = await createTestEngine({ workflows: [forever] });
    const error = await notFinished((await t.start(forever, undefined, { id: "f-1" })).result());
    expect(error.message).toContain("it is waiting for signal 'go' (no timeout). Send it with t.signal('f-1', 'go',");
  });

  it("says until when a run sleeps", async () => {
    const nap = workflow("nap", function* () {
      yield* sleep({ days: 1 });
    });
    t = await createTestEngine({ workflows: [nap] });
    const error = await notFinished((await t.start(nap, undefined, { id: "n-1" })).result());
    expect(error.message).toContain(
      "it is sleeping until 2030-01-02T00:00:00.000Z. Advance the clock with t.advance(...), then ask again.",
    );
  });

  it("names the step whose retry it waits for, and when", async () => {
    const flaky = workflow("flaky", function* () {
      return yield* step(
        "charge",
        (): string => {
          throw new Error("gateway timeout");
        },
        { retry: { maxAttempts: 3, initialInterval: { minutes: 1 } } },
      );
    });
    t = await createTestEngine({ workflows: [flaky] });
    const error = await notFinished((await t.start(flaky, undefined, { id: "s-1" })).result());
    expect(error.message).toMatch(/it is retrying step 'charge' at 2030-01-01T00:01:00\.\d{3}Z\. Advance the clock/);
  });
});
