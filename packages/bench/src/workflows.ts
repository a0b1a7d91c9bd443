// The workflows the benchmark runs: as small as possible, so what is measured is the engine, not user code.
// Steps are no-ops unless a case asks for a payload; every definition is a plain public-API workflow.
import { all, awaitSignal, sleep, step, workflow } from "@reprise/core";

/** Three no-op steps: the throughput and latency workload. */
export const threeSteps = workflow("bench-three-steps", function* (n: number) {
  yield* step("one", () => undefined);
  yield* step("two", () => undefined);
  yield* step("three", () => undefined);
  return n;
});

/** The same three no-op steps in one `all`: the throughput workload with the steps of a run side by side. */
export const threeStepsInAll = workflow("bench-three-steps-all", function* (n: number) {
  yield* all([step("one", () => undefined), step("two", () => undefined), step("three", () => undefined)]);
  return n;
});

/** `steps` no-op steps in one `all`, returning how many results came back: one run's fan-out. */
export const fanOut = workflow("bench-fan-out", function* (steps: number) {
  const results = yield* all(Array.from({ length: steps }, (_, i) => step(`step-${i}`, () => undefined)));
  return results.length;
});

/** Three steps that each return a string of `bytes` characters (payload-size scaling). */
export const threeStepsWithPayload = workflow("bench-three-steps-payload", function* (bytes: number) {
  let total = 0;
  for (const name of ["one", "two", "three"]) {
    const text = yield* step(name, () => "x".repeat(bytes));
    total += text.length;
  }
  return total;
});

/** Sleeps for an hour: an idle run that must live in SQLite, not in memory. */
export const sleeper = workflow("bench-sleeper", function* () {
  yield* sleep({ hours: 1 });
  return "woke";
});

/** Waits for a signal: the other kind of idle run, and the signal round trip. */
export const waiter = workflow("bench-waiter", function* () {
  return yield* awaitSignal<number>("go");
});

/** Sleeps one second, then takes one step: timer accuracy under load. */
export const napThenStep = workflow("bench-nap-then-step", function* () {
  yield* sleep({ seconds: 1 });
  return yield* step("after-nap", () => Date.now());
});

/** `steps` steps returning small numbers, then a signal wait: the replay case's long history. */
export const longHistory = workflow("bench-long-history", function* (steps: number) {
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += yield* step(`step-${i}`, () => i);
  const extra = yield* awaitSignal<number>("finish");
  return sum + extra;
});
