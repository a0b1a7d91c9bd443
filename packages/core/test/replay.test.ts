// The pure replayer: answers yield* from history, reports the next command, and detects divergence.
import { describe, expect, it } from "vitest";
import {
  CancelledError,
  NonDeterminismError,
  type StepFailedError,
  awaitSignal,
  now,
  sleep,
  step,
  workflow,
  CorruptEventError,
} from "../src/index.js";
import { Replayer } from "../src/internal.js";
import { history } from "./history-builder.js";

const order = workflow("order", function* (sku: string) {
  const reserved = yield* step("reserve", () => `reserved ${sku}`);
  let charged: string;
  try {
    charged = yield* step("charge", () => "charged");
  } catch (error) {
    charged = `refunded after ${(error as StepFailedError).attempts}`;
  }
  yield* sleep({ hours: 1 });
  const shipped = yield* awaitSignal<string>("shipped", { timeout: { days: 1 } });
  return { reserved, charged, shipped: shipped ?? "never" };
});

function replay(events: readonly Parameters<Replayer["apply"]>[0][]): Replayer {
  const replayer = new Replayer("run-1", order);
  for (const event of events) replayer.apply(event);
  return replayer;
}

/** The oldest open command (the one history has started but not answered). */
const firstOpen = (replayer: Replayer) => [...replayer.open.values()][0];

describe("Replayer", () => {
  it("answers each yield* from history and reports the first unanswered command", () => {
    const replayer = replay(history("order", "sku-1").step("reserve", "reserved sku-1").events);
    expect(replayer.state.type).toBe("waiting");
    const next = replayer.next;
    expect(next?.command.kind).toBe("step");
    expect(next?.seq).toBe(3);
    expect(next?.inline).toBe(true);
    expect(next?.command.kind === "step" && next.command.name).toBe("charge");
  });

  it("never calls step functions: recorded results are returned instead", () => {
    let called = false;
    const spy = workflow("spy", function* () {
      return yield* step("side-effect", () => {
        called = true;
        return "live";
      });
    });
    const replayer = new Replayer("run-1", spy);
    for (const event of history("spy")
      .step("side-effect", "recorded")
      .add({ type: "run_completed", result: "recorded" }).events) {
      replayer.apply(event);
    }
    expect(called).toBe(false);
    expect(replayer.state).toEqual({ type: "finished", outcome: { status: "completed", result: "recorded" } });
  });

  it("tracks retries, timers and signal waits that are partly recorded", () => {
    const events = history("order", "s")
      .step("reserve", "r")
      .add({
        type: "step_failed",
        name: "charge",
        attempt: 1,
        error: { name: "Error", message: "503" },
        retryAtMs: 9_000,
      }).events;
    expect(firstOpen(replay(events))).toMatchObject({
      kind: "step",
      attempt: 2,
      retryAtMs: 9_000,
      seq: 3,
    });

    const slept = history("order", "s")
      .step("reserve", "r")
      .step("charge", "c")
      .add({ type: "timer_started", wakeAtMs: 77 });
    expect(firstOpen(replay(slept.events))).toMatchObject({ kind: "sleep", wakeAtMs: 77, seq: 4 });

    slept.add({ type: "timer_fired" }).add({ type: "signal_wait_started", name: "shipped", timeoutAtMs: 99 });
    expect(firstOpen(replay(slept.events))).toMatchObject({ kind: "signal", seq: 6, timeoutAtMs: 99 });
  });

  it("throws a final step failure into the workflow as StepFailedError with the original error as cause", () => {
    const events = history("order", "s")
      .step("reserve", "r")
      .add({ type: "step_failed", name: "charge", attempt: 3, error: { name: "TypeError", message: "declined" } })
      .add({ type: "timer_started", wakeAtMs: 1 })
      .add({ type: "timer_fired" })
      .add({ type: "signal_timed_out", name: "shipped" }).events;
    // signal_timed_out without signal_wait_started is not a valid history for this workflow
    expect(() => replay(events)).toThrow(NonDeterminismError);

    const valid = history("order", "s")
      .step("reserve", "r")
      .add({ type: "step_failed", name: "charge", attempt: 3, error: { name: "TypeError", message: "declined" } })
      .add({ type: "timer_started", wakeAtMs: 1 })
      .add({ type: "timer_fired" })
      .add({ type: "signal_wait_started", name: "shipped", timeoutAtMs: 2 })
      .add({ type: "signal_timed_out", name: "shipped" }).events;
    expect(replay(valid).state).toEqual({
      type: "finished",
      outcome: { status: "completed", result: { reserved: "r", charged: "refunded after 3", shipped: "never" } },
    });
  });

  it("reports divergence with the run, seq, what history holds and what the code yields", () => {
    const events = history("order", "s").step("reserve", "r").step("charge-card", "c").events;
    let error: NonDeterminismError | undefined;
    try {
      replay(events);
    } catch (caught) {
      error = caught as NonDeterminismError;
    }
    expect(error).toBeInstanceOf(NonDeterminismError);
    expect(error).toMatchObject({
      runId: "run-1",
      seq: 3,
      expected: "step_completed 'charge-card'",
      actual: "step 'charge'",
    });
    expect(error?.message).toContain("restore the previous code");
  });

  it("detects a different kind of command at the same position", () => {
    const events = history("order", "s").add({ type: "timer_started", wakeAtMs: 5 }).events;
    expect(() => replay(events)).toThrow(/history has timer_started, but the workflow code now yields step 'reserve'/);
  });

  it("delivers a recorded cancellation as CancelledError at the pending yield*", () => {
    const caught: unknown[] = [];
    const careful = workflow("careful", function* () {
      try {
        yield* awaitSignal("never");
      } catch (error) {
        caught.push(error);
        yield* step("compensate", () => "undone");
      }
      return "ignored";
    });
    const replayer = new Replayer("run-1", careful);
    for (const event of history("careful")
      .add({ type: "signal_wait_started", name: "never" })
      .add({ type: "cancellation_requested", reason: "stop" })
      .step("compensate", "undone").events) {
      replayer.apply(event);
    }
    expect(caught[0]).toBeInstanceOf(CancelledError);
    expect(replayer.cancellationDelivered).toBe(true);
    expect(replayer.state).toEqual({ type: "finished", outcome: { status: "cancelled", reason: "stop" } });
  });

  it("turns a recorded now() into a UTC DateTime", () => {
    let seen: unknown;
    const clocked = workflow("clocked", function* () {
      seen = yield* now();
    });
    const replayer = new Replayer("run-1", clocked);
    for (const event of history("clocked").add({ type: "value_recorded", source: "now", value: Date.UTC(2030, 0, 2) })
      .events) {
      replayer.apply(event);
    }
    expect(String((seen as { toISO(): string }).toISO())).toBe("2030-01-02T00:00:00.000Z");
  });

  it("refuses a gap in the log and a log that belongs to another workflow", () => {
    const events = history("order", "s").events;
    const replayer = new Replayer("run-1", order);
    replayer.apply(events[0]!);
    expect(() => replayer.apply({ type: "timer_fired", seq: 5, atMs: 1 })).toThrow(CorruptEventError);
    expect(() => replayer.apply({ type: "timer_fired", seq: 5, atMs: 1 })).toThrow(/expected seq 2/);
    const other = new Replayer("run-1", order);
    expect(() => other.apply({ ...events[0]!, workflow: "invoice" } as never)).toThrow(/belongs to workflow 'invoice'/);
  });

  it("fails the run when workflow code throws outside a step", () => {
    const broken = workflow("broken", function* () {
      yield* step("ok", () => 1);
      throw new RangeError("bad math");
    });
    const replayer = new Replayer("run-1", broken);
    for (const event of history("broken").step("ok", 1).events) replayer.apply(event);
    const state = replayer.state;
    expect(state.type === "finished" && state.outcome.status).toBe("failed");
    expect(
      state.type === "finished" && state.outcome.status === "failed" && (state.outcome.error as Error).message,
    ).toBe("bad math");
  });
});
