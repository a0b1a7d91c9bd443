// checkCrashSafety must pass for a well-behaved workflow and must find real bugs: clock and randomness reads in
// workflow code, module state changed by steps, and a store that loses its last append when the process crashes.
import { awaitSignal, random, sleep, step, workflow } from "@reprise/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCrashSafety } from "../src/index.js";
import { openLossyStore } from "./lossy-store.js";
import { failure } from "./crash-failure.js";

const order = workflow("order", function* (input: { sku: string; qty: number }) {
  const reservation = yield* step("reserve", (ctx) => `res-${input.sku}-${ctx.idempotencyKey}`);
  const charge = yield* step(
    "charge",
    (ctx) => {
      if (ctx.attempt < 2) throw new Error("gateway timeout");
      return { id: `ch-${ctx.idempotencyKey}`, cents: input.qty * 1250 };
    },
    { retry: { maxAttempts: 3, initialInterval: { seconds: 30 } } },
  );
  const shipped = yield* awaitSignal<{ carrier: string }>("shipped", { timeout: { days: 2 } });
  if (shipped === undefined) {
    yield* step("refund", () => `refunded ${charge.id}`);
    return { status: "refunded", reservation };
  }
  yield* sleep({ days: 7 });
  const lucky = (yield* random()) < 0.5;
  yield* step("follow-up", () => `asked ${input.sku}`);
  return { status: "delivered", carrier: shipped.carrier, lucky, reservation, charge };
});

describe("checkCrashSafety", () => {
  it("passes for a workflow with retries, a signal with a timeout, a long sleep and random()", async () => {
    const report = await checkCrashSafety(order, {
      input: fc.record({ sku: fc.string({ maxLength: 5 }), qty: fc.integer({ min: 1, max: 5 }) }),
      signals: [{ name: "shipped", payload: fc.constant({ carrier: "DHL" }) }],
      numRuns: 40,
    });
    expect(report.scenarios).toBe(40);
    expect(report.crashes).toBeGreaterThanOrEqual(40); // every scenario crashed at least once
    expect(report.stepReruns).toBeGreaterThan(0); // and some crashes fell between a side effect and its commit
  });

  it("passes in exhaustive mode, trying every single crash point", async () => {
    const report = await checkCrashSafety(order, {
      input: { sku: "mug", qty: 2 },
      signals: [{ name: "shipped", payload: { carrier: "UPS" }, atTick: 1 }],
      exhaustive: true,
    });
    expect(report.crashes).toBe(report.scenarios);
    expect(report.scenarios).toBeGreaterThanOrEqual(10); // before and after each of the run's commits
  });

  it("names Math.random() in workflow code and its replacement, without needing a crash", async () => {
    const coinFlip = workflow("coin-flip", function* () {
      yield* step("prepare", () => "ready");
      if (Math.random() < 0.5) yield* step("heads", () => "h");
      else yield* step("tails", () => "t");
      yield* step("finish", () => "done");
    });
    const error = await failure(checkCrashSafety(coinFlip, { input: undefined, numRuns: 60 }));
    expect(error.message).toContain(
      "problem: workflow code is non-deterministic: Workflow 'coin-flip' called Math.random() in workflow code",
    );
    expect(error.message).toContain("Use `yield* random()` from @reprise/core");
    expect(error.seed).toBeTypeOf("number");
  });

  it("with detection off, finds a branch on Math.random() through a crash and names the likely cause", async () => {
    const coinFlip = workflow("coin-flip", function* () {
      yield* step("prepare", () => "ready");
      if (Math.random() < 0.5) yield* step("heads", () => "h");
      else yield* step("tails", () => "t");
      yield* step("finish", () => "done");
    });
    const error = await failure(
      checkCrashSafety(coinFlip, { input: undefined, numRuns: 60, detectNondeterminism: false }),
    );
    expect(error.message).toMatch(/crashed (before|after) committing/);
    expect(error.message).toMatch(/'(heads|tails)'/);
    expect(error.message).toContain("problem: workflow code is non-deterministic: ");
    expect(error.message).toContain("use now(), random(), uuid() from @reprise/core");
  });

  it("names Date.now() in workflow code and its replacement", async () => {
    const clockReader = workflow("clock-reader", function* () {
      yield* step("prepare", () => "ready");
      const branch = Date.now() % 2 === 0 ? "even" : "odd";
      yield* step(branch, () => branch);
    });
    const error = await failure(checkCrashSafety(clockReader, { input: undefined, numRuns: 60 }));
    expect(error.message).toContain("Workflow 'clock-reader' called Date.now() in workflow code");
    expect(error.message).toContain("Use `yield* now()` from @reprise/core");
  });

  it("with detection off, finds a branch on Date.now() through a crash", async () => {
    const clockReader = workflow("clock-reader", function* () {
      yield* step("prepare", () => "ready");
      const branch = Date.now() % 2 === 0 ? "even" : "odd";
      yield* step(branch, () => branch);
    });
    const error = await failure(
      checkCrashSafety(clockReader, { input: undefined, numRuns: 60, detectNondeterminism: false }),
    );
    expect(error.message).toMatch(/'(even|odd)'/);
    expect(error.message).toContain("workflow code is non-deterministic: ");
  });

  it("finds a workflow that reads module state a step changed", async () => {
    let processed = 0;
    const counter = workflow("counter", function* () {
      yield* step("process", () => {
        processed += 1;
      });
      yield* sleep({ minutes: 5 });
      if (processed % 2 === 1) yield* step("odd-batch", () => "odd");
      else yield* step("even-batch", () => "even");
    });
    const error = await failure(checkCrashSafety(counter, { input: undefined, numRuns: 30 }));
    expect(error.message).toMatch(/'(odd|even)-batch'/);
    expect(error.message).toContain("workflow code is non-deterministic: ");
    expect(error.message).toContain("or module state that a step changes");
  });

  it("finds a store that loses its last acknowledged append when the process crashes", async () => {
    const steady = workflow("steady", function* () {
      const a = yield* step("a", () => "A");
      const b = yield* step("b", () => "B");
      const c = yield* step("c", () => "C");
      return a + b + c;
    });
    const error = await failure(checkCrashSafety(steady, { input: undefined, numRuns: 30, openStore: openLossyStore }));
    expect(error.message).toMatch(/ran \d time\(s\) instead of 1, although no crash fell between its side effect/);
  });

  it("a reported counterexample replays from its seed and path", async () => {
    const steady = workflow("steady-2", function* () {
      yield* step("a", () => "A");
      yield* step("b", () => "B");
    });
    const options = { input: undefined, numRuns: 30, openStore: openLossyStore };
    const first = await failure(checkCrashSafety(steady, options));
    expect(first.message).toContain(`seed: ${first.seed}`);
    expect(first.path).toBeTypeOf("string");
    const again = await failure(checkCrashSafety(steady, { ...options, seed: first.seed, path: first.path }));
    const problem = (message: string) => message.split("\n").filter((line) => line.includes("problem:"));
    expect(problem(again.message)).toEqual(problem(first.message));
  });
});
