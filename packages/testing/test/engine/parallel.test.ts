// Parallel branches inside a run: all, allSettled, race, sub-flows, nesting, concurrency, cancellation of losers.
// Real SQLite files; every test checks what the log recorded as well as what the workflow saw.
import {
  CancelledError,
  InvalidArgumentError,
  all,
  allSettled,
  awaitSignal,
  race,
  sleep,
  step,
  workflow,
  type HistoryEvent,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { VirtualClock, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

/** A promise with its resolve function, to hold a step open until the test lets it go. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open: (value: T) => void = () => undefined;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

const types = (events: readonly HistoryEvent[]) => events.map((event) => event.type);

describe("all()", () => {
  it("runs the steps of one all() at the same time and returns their results in argument order", async () => {
    const f = await fixture();
    let running = 0;
    let most = 0;
    const both = gate();
    const overlap = async (value: string) => {
      running += 1;
      most = Math.max(most, running);
      if (running === 2) both.open();
      await both.promise;
      running -= 1;
      return value;
    };
    const fanOut = workflow("fan-out", function* () {
      const [user, prefs] = yield* all([step("user", () => overlap("ada")), step("prefs", () => overlap("dark"))]);
      const { a, b } = yield* all({ a: step("a", () => 1), b: step("b", () => "two") });
      return { user, prefs, a, b };
    });
    const engine = f.engine({ workflows: [fanOut] });
    const run = await engine.start(fanOut, undefined, { id: "fan-1" });
    expect(await run.result()).toEqual({ user: "ada", prefs: "dark", a: 1, b: "two" });
    expect(most).toBe(2);
    const history = await engine.history("fan-1");
    expect(types(history).slice(0, 4)).toEqual(["run_started", "branches_started", "step_started", "step_started"]);
    // Identity in yield order: 'user' got seq 3 and 'prefs' seq 4, whatever order they finished in.
    const completed = history.filter((event) => event.type === "step_completed");
    expect(completed.find((event) => event.name === "user")).toMatchObject({ commandSeq: 3 });
    expect(completed.find((event) => event.name === "prefs")).toMatchObject({ commandSeq: 4 });
  });

  it("an empty all returns [] or {} at once, without recording anything", async () => {
    const f = await fixture();
    const empty = workflow("empty-all", function* () {
      const list = yield* all([]);
      const record = yield* all({});
      return { list, record };
    });
    const engine = f.engine({ workflows: [empty] });
    expect(await (await engine.start(empty, undefined, { id: "e-1" })).result()).toEqual({ list: [], record: {} });
    expect(types(await engine.history("e-1"))).toEqual(["run_started", "run_completed"]);
  });

  it("fails fast: the first branch that throws is thrown at the yield*, and a running sibling's signal aborts", async () => {
    const f = await fixture();
    let aborted = false;
    let compensated = false;
    const never = gate();
    const failFast = workflow("fail-fast", function* () {
      try {
        yield* all([
          step("slow", async (ctx) => {
            ctx.signal.addEventListener("abort", () => {
              aborted = true;
              never.open();
            });
            await never.promise;
            return "late";
          }),
          (function* () {
            try {
              yield* sleep({ days: 1 });
            } finally {
              yield* step("undo-sleep-branch", () => {
                compensated = true;
              });
            }
          })(),
          step("boom", () => {
            throw new Error("card declined");
          }),
        ]);
        return "no error";
      } catch (error) {
        return `caught ${(error as Error).message}`;
      }
    });
    const engine = f.engine({ workflows: [failFast], retry: { maxAttempts: 1 } });
    const run = await engine.start(failFast, undefined, { id: "ff-1" });
    expect(await run.result()).toMatch(/caught .*card declined/);
    expect(aborted).toBe(true);
    expect(compensated).toBe(true);
    const history = await engine.history("ff-1");
    // The slow step's result is never recorded: it lost.
    expect(history.some((event) => event.type === "step_completed" && event.name === "slow")).toBe(false);
    expect(history.some((event) => event.type === "timer_fired")).toBe(false);
  });

  it("allSettled waits for every branch and reports each outcome", async () => {
    const f = await fixture();
    const settle = workflow("settle", function* () {
      const results = yield* allSettled([
        step("ok", () => 1),
        step("bad", () => {
          throw new Error("nope");
        }),
      ]);
      return results.map((result) =>
        result.status === "fulfilled" ? `ok:${String(result.value)}` : `err:${(result.error as Error).message}`,
      );
    });
    const engine = f.engine({ workflows: [settle], retry: { maxAttempts: 1 } });
    const result = await (await engine.start(settle, undefined, { id: "s-1" })).result();
    expect(result[0]).toBe("ok:1");
    expect(result[1]).toMatch(/^err:.*nope/);
  });

  it("bounds branches running at once with { concurrency }", async () => {
    const f = await fixture();
    let running = 0;
    let most = 0;
    const bounded = workflow("bounded", function* () {
      return yield* all(
        Array.from({ length: 6 }, (_, i) =>
          step(`item-${i}`, async () => {
            running += 1;
            most = Math.max(most, running);
            await new Promise((resolve) => setTimeout(resolve, 5));
            running -= 1;
            return i;
          }),
        ),
        { concurrency: 2 },
      );
    });
    const engine = f.engine({ workflows: [bounded] });
    expect(await (await engine.start(bounded, undefined, { id: "b-1" })).result()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  it("runs sub-flows: each branch is a sequence of its own, and branches nest", async () => {
    const f = await fixture();
    const items = [1, 2, 3];
    const nested = workflow("nested", function* () {
      const saved = yield* all(
        items.map((id) =>
          (function* () {
            const data = yield* step(`fetch-${id}`, () => id * 10);
            const { first } = {
              first: yield* race({ first: step(`save-${id}`, () => data + 1), late: sleep({ days: 1 }) }),
            };
            return first.key === "first" ? first.value : -1;
          })(),
        ),
      );
      return saved;
    });
    const engine = f.engine({ workflows: [nested] });
    expect(await (await engine.start(nested, undefined, { id: "n-1" })).result()).toEqual([11, 21, 31]);
    expect(engine.stats().replays).toBe(0);
  });

  it("rejects what is not a branch, naming it, before anything is recorded", async () => {
    expect(() => all([Promise.resolve(1) as never])).toThrow(InvalidArgumentError);
    expect(() => all([function* () {} as never])).toThrow(/call the generator function/);
    expect(() => race([])).toThrow(/at least one branch/);
    expect(() => all([step("a", () => 1)], { concurrency: 0 })).toThrow(/concurrency/);
  });
});

describe("race()", () => {
  const shipping = workflow("shipping", function* () {
    const first = yield* race({ shipped: awaitSignal<{ carrier: string }>("shipped"), late: sleep({ days: 3 }) });
    if (first.key === "shipped") return `shipped by ${first.value.carrier}`;
    // The losing wait consumed nothing: a signal sent later is still there for the next awaitSignal.
    const after = yield* awaitSignal<{ carrier: string }>("shipped");
    return `late, then ${after.carrier}`;
  });

  it("the signal wins over the timer, and the timer is withdrawn", async () => {
    const f = await fixture();
    const clock = new VirtualClock(Date.UTC(2030, 0, 1));
    const engine = f.engine({ workflows: [shipping], clock, pollIntervalMs: Infinity });
    const run = await engine.start(shipping, undefined, { id: "r-1" });
    await waitFor(async () => (await engine.getRun("r-1"))?.status === "waiting");
    expect(await engine.getRun("r-1")).toMatchObject({
      wakeAtMs: Date.UTC(2030, 0, 4),
      waitingFor: { kind: "signal", name: "shipped" },
      wake: { atMs: Date.UTC(2030, 0, 4), signals: ["shipped"] },
    });
    await engine.signal("r-1", "shipped", { carrier: "DHL" });
    expect(await run.result()).toBe("shipped by DHL");
    expect(types(await engine.history("r-1"))).not.toContain("timer_fired");
  });

  it("the timer wins over the signal; the losing wait leaves a later signal for the next awaitSignal", async () => {
    const f = await fixture();
    const clock = new VirtualClock(Date.UTC(2030, 0, 1));
    const engine = f.engine({ workflows: [shipping], clock, pollIntervalMs: Infinity });
    const run = await engine.start(shipping, undefined, { id: "r-2" });
    await waitFor(async () => (await engine.getRun("r-2"))?.status === "waiting");
    await clock.advance({ days: 3 });
    await waitFor(async () => (await engine.history("r-2")).some((event) => event.type === "timer_fired"));
    await engine.signal("r-2", "shipped", { carrier: "UPS" });
    expect(await run.result()).toBe("late, then UPS");
    const received = (await engine.history("r-2")).filter((event) => event.type === "signal_received");
    expect(received).toHaveLength(1);
  });

  it("a losing sub-flow gets a CancelledError and its finally block runs a compensating step before race returns", async () => {
    const f = await fixture();
    const order: string[] = [];
    let abortReason: unknown;
    const hold = gate();
    const compensate = workflow("compensate", function* () {
      const winner = yield* race({
        quick: step("quick", async () => {
          await hold.promise;
          return "fast";
        }),
        slow: (function* () {
          try {
            yield* step("reserve", () => order.push("reserved"));
            yield* step("long", async (ctx) => {
              hold.open();
              await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
              abortReason = ctx.signal.reason;
              return "never used";
            });
          } catch (error) {
            order.push(error instanceof CancelledError ? `cancelled:${error.branch ?? ""}` : "other");
            throw error;
          } finally {
            yield* step("release", () => order.push("released"));
          }
        })(),
      });
      order.push(`winner:${String(winner.key)}`);
      return winner.value;
    });
    const engine = f.engine({ workflows: [compensate] });
    expect(await (await engine.start(compensate, undefined, { id: "c-1" })).result()).toBe("fast");
    expect(order).toEqual(["reserved", "cancelled:race.slow", "released", "winner:quick"]);
    expect(abortReason).toBeInstanceOf(Error);
    const history = await engine.history("c-1");
    expect(history.some((event) => event.type === "step_completed" && event.name === "long")).toBe(false);
  });

  it("cancelling the run inside a group: a finished branch stays recorded, running ones abort, finally blocks run", async () => {
    const f = await fixture();
    const undone: string[] = [];
    let aborted = 0;
    const machine = (name: string, hang: boolean) =>
      (function* () {
        const id = yield* step(`allocate-${name}`, async (ctx) => {
          if (!hang) return `${name}-1`;
          await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
          aborted += 1;
          return "never used";
        });
        try {
          yield* awaitSignal("never");
        } finally {
          yield* step(`release-${name}`, () => undone.push(id));
        }
      })();
    const fleet = workflow("fleet-cancel", function* () {
      yield* all([machine("web", false), machine("db", true)]);
    });
    const engine = f.engine({ workflows: [fleet] });
    const run = await engine.start(fleet, undefined, { id: "fc-1" });
    await waitFor(async () => (await engine.history("fc-1")).some((event) => event.type === "signal_wait_started"));
    await engine.cancel("fc-1", { reason: "stop" });
    await expect(run.result()).rejects.toThrow(/cancelled/);
    expect(undone).toEqual(["web-1"]);
    expect(aborted).toBe(1);
    const history = await engine.history("fc-1");
    expect(history.filter((event) => event.type === "cancellation_requested")).toHaveLength(1);
    expect(history.at(-1)?.type).toBe("run_cancelled");
  });
});
