// Steps: recorded once, replayed without re-running, retried with durable backoff, failures caught in the workflow.
import { NonRetryableError, StepFailedError, step, workflow, type StepContext, type HistoryEvent } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { counter, fixture } from "../fixtures.js";

describe("steps", () => {
  it("a recorded step is not re-run when the run is replayed by a new engine", async () => {
    const f = await fixture();
    const charged = counter();
    let releaseSecond: () => void = () => undefined;
    const secondMayFinish = new Promise<void>((resolve) => (releaseSecond = resolve));
    const checkout = workflow("checkout", function* (amount: number) {
      const receipt = yield* step("charge", () => ({ id: `r-${charged.bump()}`, amount }));
      const label = yield* step("label", async () => {
        await secondMayFinish;
        return `label for ${receipt.id}`;
      });
      return { receipt, label };
    });

    const first = f.engine({ workflows: [checkout], shutdownGraceMs: 0 });
    const run = await first.start(checkout, 42, { id: "c-1" });
    await waitForHistory(first, "c-1", (events) => events.some((e) => e.type === "step_completed"));
    await first.close(); // abandons the pending 'label' step and releases the lease

    const second = f.engine({ workflows: [checkout] });
    releaseSecond();
    expect(await second.getRun("c-1").then(() => run.id)).toBe("c-1");
    const result = await (await second.start(checkout, 42, { id: "c-1" })).result();
    expect(result).toEqual({ receipt: { id: "r-1", amount: 42 }, label: "label for r-1" });
    expect(charged.count).toBe(1);
    expect(second.stats().replays).toBe(1);
    const types = (await second.history("c-1")).map((e) => e.type);
    expect(types).toEqual(["run_started", "step_completed", "step_completed", "run_completed"]);
  });

  it("a step context has a stable idempotency key across retries, distinct across steps and runs", async () => {
    const f = await fixture();
    const seen: Pick<StepContext, "runId" | "seq" | "attempt" | "idempotencyKey">[] = [];
    const keys = workflow("keys", function* () {
      yield* step(
        "flaky",
        (ctx) => {
          seen.push({ runId: ctx.runId, seq: ctx.seq, attempt: ctx.attempt, idempotencyKey: ctx.idempotencyKey });
          if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`);
          return "ok";
        },
        { retry: { initialInterval: 1, maxAttempts: 3 } },
      );
      yield* step("other", (ctx) => {
        seen.push({ runId: ctx.runId, seq: ctx.seq, attempt: ctx.attempt, idempotencyKey: ctx.idempotencyKey });
      });
    });
    const engine = f.engine({ workflows: [keys] });
    await (await engine.start(keys, undefined, { id: "k-1" })).result();
    await (await engine.start(keys, undefined, { id: "k-2" })).result();

    const k1 = seen.filter((s) => s.runId === "k-1");
    expect(k1.map((s) => s.attempt)).toEqual([1, 2, 3, 1]);
    expect(new Set(k1.slice(0, 3).map((s) => s.idempotencyKey)).size).toBe(1);
    expect(k1[3]?.idempotencyKey).not.toBe(k1[0]?.idempotencyKey);
    const k2 = seen.filter((s) => s.runId === "k-2");
    expect(k2[0]?.idempotencyKey).not.toBe(k1[0]?.idempotencyKey);
    expect(k1[0]?.seq).toBe(2);
  });

  it("retries wait out a recorded exponential backoff before the next attempt", async () => {
    const f = await fixture();
    const attemptTimes: number[] = [];
    const flaky = workflow("flaky", function* () {
      return yield* step(
        "call",
        (ctx) => {
          attemptTimes.push(Date.now());
          if (ctx.attempt < 3) throw new Error("service unavailable");
          return ctx.attempt;
        },
        { retry: { maxAttempts: 4, initialInterval: 40, backoffCoefficient: 2, maxInterval: 1000 } },
      );
    });
    const engine = f.engine({ workflows: [flaky] });
    const run = await engine.start(flaky, undefined, { id: "f-1" });
    expect(await run.result()).toBe(3);

    const failures = (await engine.history("f-1")).filter((e) => e.type === "step_failed");
    expect(failures.map((e) => [e.attempt, e.error.message, e.retryAtMs !== undefined])).toEqual([
      [1, "service unavailable", true],
      [2, "service unavailable", true],
    ]);
    // Backoff is 40 ms, then 80 ms: the recorded retry time is the failure time plus the delay.
    expect(failures.map((e) => (e.retryAtMs ?? 0) - e.atMs)).toEqual([40, 80]);
    expect(attemptTimes[1]! - attemptTimes[0]!).toBeGreaterThanOrEqual(40);
    expect(attemptTimes[2]! - attemptTimes[1]!).toBeGreaterThanOrEqual(80);
  });

  it("an exhausted step throws StepFailedError into the workflow, where it can be caught", async () => {
    const f = await fixture();
    const refunds = counter();
    const order = workflow("order", function* () {
      try {
        yield* step(
          "charge",
          () => {
            const error = new TypeError("card declined");
            throw error;
          },
          { retry: { maxAttempts: 2, initialInterval: 1 } },
        );
        return "charged";
      } catch (error) {
        if (!(error instanceof StepFailedError)) throw error;
        yield* step("refund", () => refunds.bump());
        const cause = error.cause as Error;
        return `${error.message} | ${cause.name}: ${cause.message} | attempts=${error.attempts}`;
      }
    });
    const engine = f.engine({ workflows: [order] });
    const result = await (await engine.start(order, undefined)).result();
    expect(result).toBe(
      "Step 'charge' failed after 2 attempts: TypeError: card declined | TypeError: card declined | attempts=2",
    );
    expect(refunds.count).toBe(1);
  });

  it("NonRetryableError and nonRetryableErrors fail a step on the first attempt", async () => {
    const f = await fixture();
    const attempts = counter();
    const strict = workflow("strict", function* (kind: string) {
      try {
        yield* step(
          "validate",
          () => {
            attempts.bump();
            if (kind === "class") throw new NonRetryableError("bad card number");
            const error = new Error("quota exceeded");
            error.name = "QuotaError";
            throw error;
          },
          { retry: { maxAttempts: 5, initialInterval: 1, nonRetryableErrors: ["QuotaError"] } },
        );
      } catch (error) {
        return (error as StepFailedError).attempts;
      }
      return 0;
    });
    const engine = f.engine({ workflows: [strict] });
    expect(await (await engine.start(strict, "class")).result()).toBe(1);
    expect(await (await engine.start(strict, "name")).result()).toBe(1);
    expect(attempts.count).toBe(2);
  });

  it("an uncaught step failure fails the run with the error recorded", async () => {
    const f = await fixture();
    const doomed = workflow("doomed", function* () {
      yield* step("explode", () => Promise.reject(new RangeError("boom")), { retry: { maxAttempts: 1 } });
    });
    const engine = f.engine({ workflows: [doomed] });
    const run = await engine.start(doomed, undefined, { id: "d-1" });
    await expect(run.result()).rejects.toThrow(/Run 'd-1' failed: StepFailedError: .*RangeError: boom/);
    const info = await engine.getRun("d-1");
    expect(info?.status).toBe("failed");
    expect(info?.error?.name).toBe("StepFailedError");
    expect(info?.error?.message).toContain("RangeError: boom");
    expect((await engine.history("d-1")).at(-1)?.type).toBe("run_failed");
  });

  it("a step result the codec cannot store fails the step once, without retries", async () => {
    const f = await fixture();
    const attempts = counter();
    const leaky = workflow("leaky", function* () {
      try {
        yield* step("handle", () => {
          attempts.bump();
          return { close: () => undefined };
        });
        return "stored";
      } catch (error) {
        return (error as Error).message;
      }
    });
    const engine = f.engine({ workflows: [leaky] });
    const message = await (await engine.start(leaky, undefined)).result();
    expect(message).toContain("Step 'handle' failed after 1 attempt: UnencodableValueError");
    expect(message).toContain("a function at value.result.close");
    expect(attempts.count).toBe(1);
  });

  it("Date, BigInt, Map, Set and undefined come back identical on the first run and after replay", async () => {
    const f = await fixture();
    const value = {
      at: new Date("2030-05-06T07:08:09.010Z"),
      big: 12345678901234567890n,
      map: new Map<string, number>([["a", 1]]),
      set: new Set(["x"]),
      missing: undefined,
    };
    const observed: unknown[] = [];
    let releaseGate: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (releaseGate = resolve));
    const values = workflow("values", function* () {
      const got = yield* step("produce", () => value);
      observed.push(got);
      yield* step("gate", () => gate);
      return got;
    });
    const first = f.engine({ workflows: [values], shutdownGraceMs: 0 });
    await first.start(values, undefined, { id: "v-1" });
    await waitForHistory(first, "v-1", (events) => events.some((e) => e.type === "step_completed"));
    await first.close();
    releaseGate();
    const second = f.engine({ workflows: [values] });
    const result = await (await second.start(values, undefined, { id: "v-1" })).result();
    expect(observed).toHaveLength(2);
    expect(observed[0]).toEqual(value);
    expect(observed[1]).toEqual(observed[0]);
    expect(observed[0]).not.toBe(value); // the workflow receives the stored, decoded value
    expect(result).toEqual(value);
    expect(result.map).toBeInstanceOf(Map);
    expect(typeof result.big).toBe("bigint");
  });
});

async function waitForHistory(
  engine: { history(id: string): Promise<HistoryEvent[]> },
  runId: string,
  done: (events: HistoryEvent[]) => boolean,
): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (done(await engine.history(runId).catch(() => []))) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`history of ${runId} never reached the expected state`);
}
