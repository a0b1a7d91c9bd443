// A crashed engine must run nothing more: a regression test for a counterexample the harness itself caused, where
// a run of the crashed engine that was between two store calls still called a step function.
import { allSettled, awaitSignal, child, race, sleep, step, workflow } from "@reprise/core";
import fc from "fast-check";
import { expect, it } from "vitest";
import { checkCrashSafety } from "../src/index.js";

it("a crashed engine calls no more step functions, not even for its runs that were between two store calls", async () => {
  const slow = workflow("slow", function* (n: number) {
    try {
      yield* sleep({ days: n });
      return yield* step("slow-done", () => `slow ${n}`);
    } finally {
      yield* step("slow-cleanup", () => "clean");
    }
  });
  const racer = workflow("racer", function* (input: { n: number }) {
    const first = yield* race({
      kid: child(slow, input.n, { id: "kid" }),
      timer: sleep({ days: 2, hours: 12 }),
      sig: awaitSignal<string>("go"),
    });
    const settled = yield* allSettled([
      step(
        "flaky",
        (ctx) => {
          if (ctx.attempt < 2) throw new Error("flaky");
          return "ok";
        },
        { retry: { maxAttempts: 3, initialInterval: { seconds: 10 } } },
      ),
      step(
        "bad",
        () => {
          throw new Error("bad");
        },
        { retry: { maxAttempts: 2, initialInterval: { seconds: 5 } } },
      ),
      (function* () {
        try {
          yield* sleep({ hours: 1 });
          return yield* step("late", () => "late");
        } finally {
          yield* step("late-finally", () => "f");
        }
      })(),
    ]);
    return { key: first.key, settled: settled.map((result) => result.status) };
  });
  const options = {
    input: fc.record({ n: fc.integer({ min: 1, max: 3 }) }),
    signals: [{ name: "go", payload: "now" }],
    workflows: [slow],
    numRuns: 150,
    maxCrashes: 4,
  };
  // This scenario once reported 'flaky' as run twice without cause: the signal won and the child was cancelled
  // in the same commit; a crash after that commit, then one before the child's own cancellation commit. The
  // crashed engine still started 'flaky' for the parent, which had nothing to flush first and so touched no
  // store. It depends on how the engine interleaves the two runs, and reproduces in a worker of its own.
  const replayed = await checkCrashSafety(racer, {
    ...options,
    seed: -1167102528,
    path: "120:2:0:0:11:14:12:11:13:14:15:13:13:13:13:13",
  });
  expect(replayed.crashes).toBe(2);
});
