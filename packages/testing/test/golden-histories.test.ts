// Golden histories: runs recorded from real executions (test/golden/*.json) must replay against today's code.
// An altered history, or code that changed what it yields, must raise NonDeterminismError; steps never run.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CorruptEventError,
  InvalidArgumentError,
  NonDeterminismError,
  all,
  awaitSignal,
  createEngine,
  now,
  sleep,
  step,
  uuid,
  workflow,
} from "@reprise/core";
import { DateTime } from "luxon";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  decodeHistory,
  HistoryFormatError,
  recordHistory,
  replayHistory,
  type RecordedHistory,
  type ReplayedState,
} from "../src/replay-history.js";
import { temporaryStore } from "../src/temporary-store.js";
import {
  goldenFleet,
  goldenInvoice,
  goldenOrder,
  stepCalls,
  type GoldenMachine,
  type GoldenOrder,
} from "./golden/workflows.js";

const golden = join(dirname(fileURLToPath(import.meta.url)), "golden");
const load = (name: string): RecordedHistory => JSON.parse(readFileSync(join(golden, name), "utf8")) as RecordedHistory;
const text = (name: string): string => readFileSync(join(golden, name), "utf8");

/** A deep copy to alter in memory; the files stay untouched. */
const copy = (history: RecordedHistory): RecordedHistory => structuredClone(history);
/** The `json` part of an event's stored data, for altering fields. */
const fields = (history: RecordedHistory, seq: number): Record<string, unknown> =>
  (history.events.find((event) => event.seq === seq)?.data as { json: Record<string, unknown> }).json;

function divergence(fn: () => unknown): NonDeterminismError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(NonDeterminismError);
  return thrown as NonDeterminismError;
}

beforeEach(() => {
  stepCalls.count = 0;
});
afterEach(() => {
  expect(stepCalls.count, "replay must never call a step function").toBe(0);
});

describe("golden histories replay against today's code", () => {
  it("a completed order (retried charge, signal, timer) replays to the recorded result", () => {
    const history = load("order-completed.json");
    const state = replayHistory(goldenOrder, text("order-completed.json"));
    const recorded = decodeHistory(history).at(-1);
    expect(recorded?.type).toBe("run_completed");
    expect(state).toEqual({
      type: "finished",
      outcome: { status: "completed", result: recorded?.type === "run_completed" ? recorded.result : null },
    });
    const result = (state as Extract<ReplayedState, { type: "finished" }>).outcome as {
      result: Record<string, unknown>;
    };
    expect(result.result).toMatchObject({ carrier: "DHL", placedAt: "2030-01-01T00:00:00.000Z" });
    expect((result.result.charge as { amountCents: unknown }).amountCents).toBe(5750n);
    expect((result.result.charge as { at: unknown }).at).toEqual(new Date("2030-01-01T00:00:00.000Z"));
    expect(result.result.items).toEqual(
      new Map([
        ["MUG-BLUE", 2],
        ["TEA-EARL-GREY", 1],
      ]),
    );
  });

  it("a cancelled order replays its compensation steps and ends cancelled", () => {
    const state = replayHistory(goldenOrder, load("order-cancelled.json"));
    expect(state).toEqual({
      type: "finished",
      outcome: { status: "cancelled", reason: "customer changed their mind" },
    });
  });

  it("a failed invoice (signal timeout, non-retryable step) replays to the recorded failure", () => {
    const state = replayHistory(goldenInvoice, load("invoice-failed.json"));
    expect(state.type).toBe("finished");
    const outcome = (state as Extract<ReplayedState, { type: "finished" }>).outcome;
    expect(outcome.status).toBe("failed");
    expect(String((outcome as { error: unknown }).error)).toContain("nobody approved invoice INV-7");
  });

  it("an order recorded in flight replays to its pending wait for `shipped`", () => {
    const state = replayHistory(goldenOrder, load("order-in-flight.json"));
    expect(state.type).toBe("waiting");
    const pending = (state as Extract<ReplayedState, { type: "waiting" }>).pending;
    expect(pending).toMatchObject({ kind: "signal", seq: 8, waitStarted: true });
    expect(pending.command.kind === "signal" && pending.command.name).toBe("shipped");
  });

  it("recorded values keep their types: Date, BigInt, Map, and now() as a DateTime", () => {
    const events = decodeHistory(text("order-completed.json"));
    const charge = events.find((event) => event.type === "step_completed" && event.name === "charge");
    expect(charge?.type === "step_completed" && charge.result).toMatchObject({
      amountCents: 5750n,
      at: new Date("2030-01-01T00:00:00.000Z"),
    });
    const observed: unknown[] = [];
    const probe = workflow("golden-order", function* () {
      observed.push(yield* now(), yield* uuid());
      yield* step("reserve", () => undefined);
    });
    replayHistory(probe, events.slice(0, 4));
    expect(DateTime.isDateTime(observed[0])).toBe(true);
    expect((observed[0] as DateTime).toMillis()).toBe(Date.UTC(2030, 0, 1));
    expect(observed[1]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("histories that disagree with the code", () => {
  it("a step renamed in the recorded history raises NonDeterminismError naming seq, history and code", () => {
    const altered = copy(load("order-completed.json"));
    fields(altered, 7).name = "charge-card";
    const error = divergence(() => replayHistory(goldenOrder, altered));
    expect(error).toMatchObject({
      runId: "order-completed",
      seq: 7,
      expected: "step_completed 'charge-card'",
      actual: "step 'charge'",
    });
  });

  it("a signal renamed in the recorded history raises NonDeterminismError", () => {
    const altered = copy(load("order-cancelled.json"));
    fields(altered, 8).name = "delivered";
    expect(divergence(() => replayHistory(goldenOrder, altered))).toMatchObject({ seq: 8 });
  });

  it("a compensation step missing from a cancelled history raises NonDeterminismError at the end", () => {
    const altered = copy(load("order-cancelled.json"));
    const events = altered.events.filter((event) => event.seq !== 11);
    const renumbered = events.map((event, index) => ({ ...event, seq: index + 1 }));
    const error = divergence(() => replayHistory(goldenOrder, { ...altered, events: renumbered }));
    expect(error).toMatchObject({ seq: 11, expected: "run_cancelled", actual: "step 'refund'" });
  });

  it("code that inserts a step before recorded ones raises NonDeterminismError", () => {
    const orderV2 = workflow("golden-order", function* (order: GoldenOrder) {
      yield* now();
      yield* uuid();
      yield* step("check-fraud", () => order.orderId); // new in v2: breaks every run past this point
      yield* step("reserve", () => 1);
    });
    const error = divergence(() => replayHistory(orderV2, load("order-in-flight.json")));
    expect(error).toMatchObject({ seq: 4, expected: "step_completed 'reserve'", actual: "step 'check-fraud'" });
  });

  it("code that only changes step bodies, durations and timeouts still replays", () => {
    const orderV2 = workflow("golden-order", function* (order: GoldenOrder) {
      yield* now();
      yield* uuid();
      yield* step("reserve", () => ({ id: "rewritten", units: 0 }));
      const charge = yield* step("charge", () => ({ id: "x" }), { retry: { maxAttempts: 9 } });
      const shipment = yield* awaitSignal<{ carrier: string }>("shipped", { timeout: { days: 5 } });
      yield* sleep({ days: 1 });
      yield* step("follow-up", () => "new text");
      return { orderId: order.orderId, charge, carrier: shipment?.carrier };
    });
    const state = replayHistory(orderV2, load("order-completed.json"));
    expect(state).toMatchObject({ type: "finished", outcome: { status: "completed", result: { carrier: "DHL" } } });
  });

  it("a history with a removed event is corrupt (a gap), not a divergence", () => {
    const altered = copy(load("order-completed.json"));
    const gap = { ...altered, events: altered.events.filter((event) => event.seq !== 5) };
    expect(() => replayHistory(goldenOrder, gap)).toThrow(CorruptEventError);
  });

  it("malformed documents and the wrong workflow are refused with clear errors", () => {
    expect(() => replayHistory(goldenOrder, "not json")).toThrow(HistoryFormatError);
    expect(() => replayHistory(goldenOrder, "{}")).toThrow(/"format" is not "reprise-history"/);
    expect(() => replayHistory(goldenOrder, { ...load("order-completed.json"), version: 2 as 1 })).toThrow(/version 2/);
    expect(() => replayHistory(goldenOrder, { ...load("order-completed.json"), events: [] })).toThrow(/no events/);
    const broken = copy(load("order-completed.json"));
    (broken.events[2] as { data: unknown }).data = "{not superjson";
    expect(() => replayHistory(goldenOrder, broken)).toThrow(/events\[2\] \(seq 3\) cannot be decoded/);
    expect(() => replayHistory(goldenInvoice, load("order-completed.json"))).toThrow(InvalidArgumentError);
  });
});

describe("event format 2 golden histories: parallel branches, races and children", () => {
  it("a fleet provisioned in parallel replays to its recorded result, with identity in yield order", () => {
    const state = replayHistory(goldenFleet, text("fleet-completed.json"));
    expect(state.type).toBe("finished");
    const outcome = (state as Extract<ReplayedState, { type: "finished" }>).outcome;
    expect(outcome).toEqual({
      status: "completed",
      result: {
        ips: [
          { ip: "10.0.0.3", approvedBy: "ada" },
          { ip: "10.0.0.2", approvedBy: "nobody" },
          { ip: "10.0.0.5", approvedBy: "nobody" },
        ],
        inventory: 3,
      },
    });
    expect(decodeHistory(text("fleet-completed.json"))[0]).toMatchObject({ type: "run_started", formatVersion: 2 });
  });

  it("a fleet recorded in flight replays to its open races: signal waits and timers, two branches at once", () => {
    const state = replayHistory(goldenFleet, text("fleet-in-flight.json"));
    expect(state.type).toBe("waiting");
    const { open, next } = state as Extract<ReplayedState, { type: "waiting" }>;
    expect(next).toBeUndefined();
    expect(open.map((entry) => [entry.seq, entry.kind, entry.path])).toEqual([
      [14, "signal", "all.ips > all[1] > race.approved"],
      [15, "sleep", "all.ips > all[1] > race.timeout"],
      [20, "signal", "all.ips > all[2] > race.approved"],
      [21, "sleep", "all.ips > all[2] > race.timeout"],
    ]);
  });

  it("a signal renamed inside a branch of the history diverges, naming the branch path", () => {
    const altered = copy(load("fleet-in-flight.json"));
    fields(altered, 14).name = "approve-database";
    const error = divergence(() => replayHistory(goldenFleet, altered));
    expect(error.seq).toBe(14);
    expect(error.actual).toBe("all.ips > all[1] > race.approved > awaitSignal 'approve-db'");
  });

  it("code whose branch yields another step diverges at that branch, naming it", () => {
    const renamed = workflow("golden-fleet", function* (machines: readonly GoldenMachine[]) {
      return yield* all({
        ips: all(
          machines.map(() => step("other", () => 1)),
          { concurrency: 2 },
        ),
        inventory: step("inventory", () => machines.length),
      });
    });
    const error = divergence(() => replayHistory(renamed, text("fleet-in-flight.json")));
    expect(error.actual).toBe("all.ips > all[0] > step 'other'");
  });
});

describe("recordHistory", () => {
  it("records the same document from an engine and from its store, and it replays", async () => {
    const tmp = await temporaryStore();
    const engine = createEngine({ store: tmp.store, workflows: [goldenInvoice], onError: () => undefined });
    try {
      const run = await engine.start(goldenInvoice, { number: "INV-9", cents: 1 }, { id: "inv-9" });
      await engine.signal(run.id, "approved", { by: "Grace" });
      expect(await run.result()).toEqual({ number: "INV-9", approvedBy: "Grace" });
      const fromEngine = await recordHistory(engine, "inv-9");
      const fromStore = await recordHistory(tmp.store, "inv-9");
      expect(fromStore).toEqual(fromEngine);
      expect(fromEngine).toMatchObject({ format: "reprise-history", version: 1, workflow: "golden-invoice" });
      expect(JSON.parse(JSON.stringify(fromEngine))).toEqual(fromEngine);
      const state = replayHistory(goldenInvoice, JSON.stringify(fromEngine));
      expect(state).toEqual({ type: "finished", outcome: { status: "completed", result: await run.result() } });
      await expect(recordHistory(engine, "missing")).rejects.toMatchObject({ code: "RUN_NOT_FOUND" });
    } finally {
      await engine.close();
      await tmp.cleanup();
    }
  });
});
