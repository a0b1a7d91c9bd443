// Property: whatever the virtual clock does (advance, jump back, jump forward without firing timers), every
// durable timer fires exactly once, never before its recorded deadline, and no step runs twice.
import { createEngine, sleep, step, workflow, type HistoryEvent } from "@reprise/core";
import { decodeEvent } from "@reprise/core/internal";
import { SqliteStore } from "@reprise/store-sqlite";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/virtual-clock.js";

const MINUTE = 60_000;
const SLEEPS_MS = [60 * MINUTE, 30 * MINUTE, 120 * MINUTE, 1];

type Jump =
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "back"; readonly ms: number }
  | { readonly kind: "forward"; readonly ms: number };

const jump: fc.Arbitrary<Jump> = fc.oneof(
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 150 * MINUTE }) }),
  fc.record({ kind: fc.constant("back" as const), ms: fc.integer({ min: 1, max: 180 * MINUTE }) }),
  fc.record({ kind: fc.constant("forward" as const), ms: fc.integer({ min: 1, max: 180 * MINUTE }) }),
);

/** Runs the jump sequence against a workflow of four sleeps, each followed by a step; returns what to check. */
async function scenario(jumps: readonly Jump[]) {
  const clock = new VirtualClock();
  const store = await SqliteStore.open({ filename: ":memory:" });
  const stepRuns: { name: string; atMs: number }[] = [];
  const napper = workflow("napper", function* () {
    for (const [i, ms] of SLEEPS_MS.entries()) {
      yield* sleep(ms);
      yield* step(`after-${i}`, () => stepRuns.push({ name: `after-${i}`, atMs: clock.nowMs() }));
    }
    return "rested";
  });
  const errors: unknown[] = [];
  const engine = createEngine({
    store,
    workflows: [napper],
    clock,
    pollIntervalMs: Number.POSITIVE_INFINITY,
    onError: (error) => errors.push(error),
  });
  try {
    await engine.start(napper, undefined, { id: "nap" });
    await clock.advance(0);
    for (const move of jumps) {
      if (move.kind === "advance") await clock.advance(move.ms);
      else clock.setNow(clock.nowMs() + (move.kind === "back" ? -move.ms : move.ms));
      if (move.kind === "forward") await clock.advance(0); // fire what the jump made due
    }
    const beforeFinal = (await store.readEvents("nap")).map((record) => decodeEvent("nap", record));
    // Jumps may have moved the clock far back: advance until every recorded deadline has passed.
    for (let i = 0; i < 40 && (await engine.getRun("nap"))?.status !== "completed"; i++) {
      await clock.advance(6 * 60 * MINUTE);
    }
    const history = (await store.readEvents("nap")).map((record) => decodeEvent("nap", record));
    return { beforeFinal, history, stepRuns, errors, status: (await engine.getRun("nap"))?.status };
  } finally {
    await engine.close();
    await store.close();
  }
}

/** Pairs each timer_started with the timer_fired events that follow it before the next timer starts. */
function timers(history: readonly HistoryEvent[]): { wakeAtMs: number; fired: number[] }[] {
  const result: { wakeAtMs: number; fired: number[] }[] = [];
  for (const event of history) {
    if (event.type === "timer_started") result.push({ wakeAtMs: event.wakeAtMs, fired: [] });
    if (event.type === "timer_fired") result.at(-1)?.fired.push(event.atMs);
  }
  return result;
}

describe("virtual clock jumps", () => {
  it("never fire a timer twice or before its deadline, in any order of jumps", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jump, { minLength: 1, maxLength: 10 }), async (jumps) => {
        const { beforeFinal, history, stepRuns, errors, status } = await scenario(jumps);
        expect(errors).toEqual([]);
        expect(status).toBe("completed");
        for (const events of [beforeFinal, history]) {
          for (const timer of timers(events)) {
            expect(timer.fired.length).toBeLessThanOrEqual(1);
            for (const firedAtMs of timer.fired) expect(firedAtMs).toBeGreaterThanOrEqual(timer.wakeAtMs);
          }
        }
        expect(timers(history).map((timer) => timer.fired.length)).toEqual(SLEEPS_MS.map(() => 1));
        expect(stepRuns.map((run) => run.name)).toEqual(SLEEPS_MS.map((_, i) => `after-${i}`));
        const wakes = timers(history).map((timer) => timer.wakeAtMs);
        stepRuns.forEach((run, i) => expect(run.atMs).toBeGreaterThanOrEqual(wakes[i] ?? Infinity));
      }),
      { numRuns: 100, seed: 20300101, endOnFailure: true },
    );
  });
});
