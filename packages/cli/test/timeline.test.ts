// The timeline built from a history: step attempts and their estimated starts, sleeps, signal waits, endings.
// Pure: histories are built by hand with a tiny helper, so each shape of timeline is checked exactly.
import { EVENT_LOG_FORMAT_VERSION, type HistoryEvent, type NewEvent } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { formatTimeline } from "../src/timeline-text.js";
import { buildTimeline } from "../src/timeline.js";

/** A history where each event happens at the given ms offset; seq is filled in. */
function history(...events: [atMs: number, event: NewEvent][]): HistoryEvent[] {
  const started: NewEvent = {
    type: "run_started",
    workflow: "order",
    input: null,
    formatVersion: EVENT_LOG_FORMAT_VERSION,
  };
  return [[0, started] as const, ...events].map(([atMs, event], index) => ({ ...event, seq: index + 1, atMs }));
}

const plain = (_style: unknown, text: string) => text;
const error = { name: "Error", message: "gateway timeout" };

describe("a run's timeline", () => {
  it("groups a step's attempts; a retried attempt starts at its retry time", () => {
    const timeline = buildTimeline(
      history(
        [10, { type: "step_failed", name: "charge", attempt: 1, error, retryAtMs: 510 }],
        [530, { type: "step_failed", name: "charge", attempt: 2, error, retryAtMs: 1530 }],
        [1540, { type: "step_completed", name: "charge", attempt: 3, result: { id: "c-1" } }],
      ),
      5_000,
    );
    expect(timeline.items).toEqual([
      {
        kind: "step",
        seq: 2,
        name: "charge",
        startMs: 0,
        endMs: 1540,
        outcome: "completed",
        result: { id: "c-1" },
        nextAttemptAtMs: 1530,
        attempts: [
          { attempt: 1, startMs: 0, endMs: 10, ok: false, error, retryAtMs: 510 },
          { attempt: 2, startMs: 510, endMs: 530, ok: false, error, retryAtMs: 1530 },
          { attempt: 3, startMs: 1530, endMs: 1540, ok: true, error: undefined, retryAtMs: undefined },
        ],
      },
    ]);
    expect(formatTimeline(timeline, 5_000, plain)).toBe(
      "timeline (offsets from 1970-01-01T00:00:00.000Z)\n" +
        "  +0ms      started\n" +
        "  +0ms      step 'charge' completed in ≤1.54s after 3 attempts → { id: 'c-1' }\n" +
        "                attempt 1 failed after ≤10ms: Error: gateway timeout; retry at +510ms\n" +
        "                attempt 2 failed after ≤20ms: Error: gateway timeout; retry at +1.53s\n" +
        "                attempt 3 ok after ≤10ms\n",
    );
  });

  it("shows a step waiting for its next attempt as retrying", () => {
    const timeline = buildTimeline(
      history([10, { type: "step_failed", name: "charge", attempt: 1, error, retryAtMs: 60_000 }]),
      20_000,
    );
    expect(timeline.items[0]).toMatchObject({
      kind: "step",
      outcome: "retrying",
      endMs: undefined,
      nextAttemptAtMs: 60_000,
    });
    expect(timeline.endMs).toBe(20_000);
    expect(formatTimeline(timeline, 20_000, plain)).toContain(
      "step 'charge' retrying: attempt 2 at +1m 00s (in 40.0s)",
    );
  });

  it("spans sleeps to their deadlines and signal waits to what ended them, with signals as marks", () => {
    const timeline = buildTimeline(
      history(
        [5, { type: "timer_started", wakeAtMs: 1_005 }],
        [1_010, { type: "timer_fired" }],
        [1_011, { type: "signal_wait_started", name: "approve", timeoutAtMs: 61_011 }],
        [3_000, { type: "signal_received", name: "approve", signalId: "s-1", payload: { by: "ada" } }],
        [3_001, { type: "signal_wait_started", name: "shipped" }],
        [9_000, { type: "cancellation_requested", reason: "customer request" }],
        [9_001, { type: "run_cancelled", reason: "customer request" }],
      ),
      100_000,
    );
    expect(timeline.items).toEqual([
      { kind: "sleep", seq: 2, startMs: 5, wakeAtMs: 1_005, firedAtMs: 1_010 },
      { kind: "wait", seq: 4, name: "approve", startMs: 1_011, timeoutAtMs: 61_011, endMs: 3_000, outcome: "received" },
      { kind: "signal", seq: 5, name: "approve", atMs: 3_000, signalId: "s-1", payload: { by: "ada" } },
      {
        kind: "wait",
        seq: 6,
        name: "shipped",
        startMs: 3_001,
        timeoutAtMs: undefined,
        endMs: undefined,
        outcome: "waiting",
      },
      { kind: "cancellation", seq: 7, atMs: 9_000, reason: "customer request" },
      { kind: "end", seq: 8, atMs: 9_001, status: "cancelled", reason: "customer request" },
    ]);
    expect(timeline.endMs).toBe(9_001);
  });
});
