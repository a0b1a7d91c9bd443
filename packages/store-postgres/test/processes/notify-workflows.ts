// Workflows of the change-notification tests, shared by the test file and the engine it runs in another process.
// Each finishes only if its engine hears of a start, a signal, a cancellation or a child's end without polling.
import { awaitSignal, child, sleep, step, workflow } from "@reprise/core";

/** Greets: one step. Started from one process, executed by another. */
export const greet = workflow("notify-greet", function* (name: string) {
  return yield* step("greet", () => `hello ${name}`);
});

/** Parks until signal "approve" arrives, then returns its payload. */
export const approval = workflow("notify-approval", function* () {
  return yield* awaitSignal<string>("approve");
});

/** A step that runs until its run is cancelled (at most 20 s): the cancellation must reach a running step. */
export const longStep = workflow("notify-long-step", function* () {
  return yield* step("wait-for-abort", (ctx) => {
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => resolve("not cancelled"), 20_000);
      ctx.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new Error("aborted"));
      });
    });
  });
});

/** The child of `parent`: served by another engine than its parent. */
export const doubler = workflow("notify-doubler", function* (n: number) {
  return yield* step("double", () => n * 2);
});

/** Waits for a child that another engine executes, then returns its result. */
export const parent = workflow("notify-parent", function* (n: number) {
  return yield* child(doubler, n);
});

/** Sleeps `ms` (a durable timer), then returns "rested". */
export const napper = workflow("notify-napper", function* (ms: number) {
  yield* sleep(ms);
  return "rested";
});
