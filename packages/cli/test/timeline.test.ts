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
      { kind: "signal", seq: 5, name: "approve", atMs: 3_000, signalId: "s-1", payload: { by: "ada" }, commandSeq: 4 },
      {
        kind: "wait",
        seq: 6,
        name: "shipped",
        startMs: 3_001,
        timeoutAtMs: undefined,
        endMs: 9_000,
        outcome: "withdrawn",
        withdrawnBy: "cancellation",
      },
      { kind: "cancellation", seq: 7, atMs: 9_000, reason: "customer request" },
      { kind: "end", seq: 8, atMs: 9_001, status: "cancelled", reason: "customer request" },
    ]);
    expect(timeline.endMs).toBe(9_001);
  });

  it("draws a sleep that a cancellation overtook as withdrawn, never as a countdown", () => {
    const nowMs = 20_000;
    const timeline = buildTimeline(
      history(
        [10, { type: "timer_started", wakeAtMs: 600_010 }],
        [13_000, { type: "cancellation_requested", reason: "customer request" }],
        [13_001, { type: "run_cancelled", reason: "customer request" }],
      ),
      nowMs,
      { status: "cancelled", reason: "customer request", updatedAtMs: 13_001, finishedAtMs: 13_001 },
    );
    expect(timeline.items[0]).toEqual({
      kind: "sleep",
      seq: 2,
      startMs: 10,
      wakeAtMs: 600_010,
      withdrawnAtMs: 13_000,
      withdrawnBy: "cancellation",
    });
    expect(timeline.live).toBe(false);
    const text = formatTimeline(timeline, nowMs, plain);
    expect(text).toContain(
      "+10ms     sleep 10m 00s until 1970-01-01T00:10:00.010Z; timer withdrawn at +13.0s by the cancellation\n",
    );
    expect(text).not.toMatch(/wakes|sleeping/);
  });

  it("ends a wait and a pending retry with the run, whichever way it ended", () => {
    const wait = buildTimeline(
      history(
        [10, { type: "signal_wait_started", name: "approve", timeoutAtMs: 3_600_010 }],
        [50, { type: "cancellation_requested" }],
        [60, { type: "step_completed", name: "compensate", attempt: 1, result: "refunded" }],
        [70, { type: "run_completed", result: "refunded" }],
      ),
      90_000,
    );
    expect(wait.items[0]).toMatchObject({ kind: "wait", outcome: "withdrawn", endMs: 50, withdrawnBy: "cancellation" });
    expect(formatTimeline(wait, 90_000, plain)).toContain(
      "wait for signal 'approve' (timeout at +1h 00m); withdrawn at +50ms by the cancellation\n",
    );

    const retry = buildTimeline(
      history(
        [10, { type: "step_failed", name: "charge", attempt: 1, error, retryAtMs: 600_000 }],
        [20, { type: "cancellation_requested" }],
        [30, { type: "run_cancelled" }],
      ),
      90_000,
    );
    expect(retry.items[0]).toMatchObject({
      kind: "step",
      outcome: "withdrawn",
      endMs: 20,
      withdrawnBy: "cancellation",
    });
    const text = formatTimeline(retry, 90_000, plain);
    expect(text).toContain(
      "step 'charge' retry withdrawn at +20ms by the cancellation (attempt 2 was due at +10m 00s)",
    );
    expect(text).not.toContain("retrying");

    // A row that says finished closes what the log left open, e.g. a timer when the run failed.
    const failed = buildTimeline(history([10, { type: "timer_started", wakeAtMs: 600_000 }]), 90_000, {
      status: "failed",
      reason: undefined,
      updatedAtMs: 40,
      finishedAtMs: 40,
    });
    expect(failed.items[0]).toMatchObject({ kind: "sleep", withdrawnAtMs: 40, withdrawnBy: "failed" });
    expect(failed.endMs).toBe(40);
    expect(formatTimeline(failed, 90_000, plain)).toContain("timer withdrawn at +40ms when the run failed");
  });

  it("counts down a sleep only while the run is live", () => {
    const events = history([10, { type: "timer_started", wakeAtMs: 600_010 }]);
    const sleeping = buildTimeline(events, 20_000, { status: "sleeping", reason: undefined, updatedAtMs: 10 });
    expect(sleeping.live).toBe(true);
    expect(formatTimeline(sleeping, 20_000, plain)).toContain("; sleeping, wakes in 9m 40s\n");
  });

  it("ends a blocked run's timeline with when it was blocked and why, and holds its deadlines", () => {
    const reason = "NonDeterminismError: Run 'order-1' diverged from its history at seq 3";
    const timeline = buildTimeline(
      history(
        [10, { type: "step_completed", name: "reserve", attempt: 1, result: "R-1" }],
        [20, { type: "signal_wait_started", name: "approve", timeoutAtMs: 3_600_020 }],
      ),
      65_000,
      { status: "blocked", reason, updatedAtMs: 5_000 },
    );
    expect(timeline.live).toBe(false);
    expect(timeline.endMs).toBe(65_000);
    expect(timeline.items.at(-1)).toEqual({ kind: "blocked", seq: 3, atMs: 5_000, reason });
    const text = formatTimeline(timeline, 65_000, plain);
    expect(text).toContain("wait for signal 'approve' (timeout at +1h 00m); on hold while the run is blocked\n");
    expect(text.endsWith(`  +5.00s    blocked since 1970-01-01T00:00:05.000Z (1m 00s ago): ${reason}\n`)).toBe(true);
    expect(text).not.toContain("waiting for");
  });

  it("places a past blocked episode after the event it followed, with its end and reason", () => {
    const reason = "NonDeterminismError: Run 'order-1' diverged from its history at seq 2";
    const events = history(
      [10, { type: "step_completed", name: "reserve", attempt: 1, result: "R-1" }],
      [20, { type: "signal_wait_started", name: "approve", timeoutAtMs: 3_600_020 }],
      [9_000, { type: "signal_received", name: "approve", signalId: "s-1", payload: null }],
      [9_010, { type: "run_completed", result: "done" }],
    );
    const run = {
      status: "completed" as const,
      reason: undefined,
      updatedAtMs: 9_010,
      finishedAtMs: 9_010,
      blockedEpisodes: [{ blockedAtMs: 500, lastSeq: 3, reason, endedAtMs: 8_500, endedBy: "retried" as const }],
    };
    const timeline = buildTimeline(events, 20_000, run);
    expect(timeline.items.map((item) => item.kind)).toEqual(["step", "wait", "blocked", "signal", "end"]);
    expect(timeline.items[2]).toEqual({
      kind: "blocked",
      seq: 3,
      atMs: 500,
      reason,
      endedAtMs: 8_500,
      endedBy: "retried",
    });
    expect(timeline.live).toBe(false);
    expect(formatTimeline(timeline, 20_000, plain)).toContain(
      `  +500ms    blocked until +8.50s (8.00s; retried when an engine serving the workflow started): ${reason}\n` +
        "  +9.00s    signal 'approve' received ← null\n",
    );
  });

  it("starts a current block at its open episode, not at the row's last change, and keeps earlier episodes", () => {
    const reason = "NonDeterminismError: Run 'order-1' diverged from its history at seq 2";
    const timeline = buildTimeline(
      history([10, { type: "signal_wait_started", name: "approve", timeoutAtMs: 3_600_010 }]),
      65_000,
      {
        status: "blocked",
        reason,
        // A cancellation requested while blocked moved the row's updatedAtMs.
        updatedAtMs: 60_000,
        blockedEpisodes: [
          { blockedAtMs: 1_000, lastSeq: 2, reason, endedAtMs: 2_000, endedBy: "retried" },
          { blockedAtMs: 2_050, lastSeq: 2, reason },
        ],
      },
    );
    expect(timeline.items.map((item) => [item.kind, "atMs" in item ? item.atMs : undefined])).toEqual([
      ["wait", undefined],
      ["blocked", 1_000],
      ["blocked", 2_050],
    ]);
    expect(timeline.items.at(-1)).toEqual({ kind: "blocked", seq: 2, atMs: 2_050, reason });
    expect(formatTimeline(timeline, 65_000, plain)).toContain(
      `  +2.05s    blocked since 1970-01-01T00:00:02.050Z (1m 02s ago): ${reason}\n`,
    );
  });
});
