// A run's history as a timeline: steps with their attempts, sleeps and signal waits as spans, signals as marks.
// Pure: built from decoded events and the current time; `reprise show` prints it and the inspector draws it.
import type { HistoryEvent, RecordedValueSource } from "@reprise/core";

/** One attempt of a step. Its start is estimated: the engine records when attempts end, not when they begin. */
export interface TimelineAttempt {
  readonly attempt: number;
  /** When the attempt began, at the earliest: the previous event, or the retry time it waited for. */
  readonly startMs: number;
  readonly endMs: number;
  readonly ok: boolean;
  readonly error?: { readonly name: string; readonly message: string } | undefined;
  /** When the next attempt was due, for a failure that was retried. */
  readonly retryAtMs?: number | undefined;
}

/** Something that happened in a run, placed in time. `seq` is the seq of its first event. */
export type TimelineItem =
  | {
      readonly kind: "step";
      readonly seq: number;
      readonly name: string;
      readonly startMs: number;
      endMs: number | undefined;
      outcome: "completed" | "failed" | "retrying";
      readonly attempts: TimelineAttempt[];
      result?: unknown;
      nextAttemptAtMs?: number | undefined;
    }
  | {
      readonly kind: "sleep";
      readonly seq: number;
      readonly startMs: number;
      readonly wakeAtMs: number;
      firedAtMs?: number;
    }
  | {
      readonly kind: "wait";
      readonly seq: number;
      readonly name: string;
      readonly startMs: number;
      readonly timeoutAtMs?: number | undefined;
      endMs: number | undefined;
      outcome: "waiting" | "received" | "timed-out";
    }
  | {
      readonly kind: "signal";
      readonly seq: number;
      readonly name: string;
      readonly atMs: number;
      readonly signalId: string;
      readonly payload: unknown;
    }
  | {
      readonly kind: "value";
      readonly seq: number;
      readonly source: RecordedValueSource;
      readonly atMs: number;
      readonly value: unknown;
    }
  | { readonly kind: "cancellation"; readonly seq: number; readonly atMs: number; readonly reason?: string | undefined }
  | {
      readonly kind: "end";
      readonly seq: number;
      readonly atMs: number;
      readonly status: "completed" | "failed" | "cancelled";
      readonly result?: unknown;
      readonly error?: { readonly name: string; readonly message: string } | undefined;
      readonly reason?: string | undefined;
    };

/** A run's timeline: its items in log order, between the run's start and its end (or now). */
export interface Timeline {
  readonly startMs: number;
  /** The last event of a finished run, otherwise the later of the last event and now. */
  readonly endMs: number;
  readonly items: TimelineItem[];
}

/**
 * Builds the timeline of a run from its decoded history.
 *
 * @example
 * const timeline = buildTimeline(await engine.history("order-1"), Date.now());
 * for (const item of timeline.items) if (item.kind === "step") console.log(item.name, item.attempts.length);
 */
export function buildTimeline(events: readonly HistoryEvent[], nowMs: number): Timeline {
  const items: TimelineItem[] = [];
  const first = events[0];
  const startMs = first?.atMs ?? nowMs;
  let previousAtMs = startMs;
  let openStep: Extract<TimelineItem, { kind: "step" }> | undefined;
  let openSleep: Extract<TimelineItem, { kind: "sleep" }> | undefined;
  let openWait: Extract<TimelineItem, { kind: "wait" }> | undefined;
  let finished = false;
  for (const event of events) {
    switch (event.type) {
      case "run_started":
        break;
      case "step_completed":
      case "step_failed": {
        const continuing = openStep?.name === event.name ? openStep : undefined;
        const step = continuing ?? newStep(event.seq, event.name, previousAtMs);
        if (continuing === undefined) items.push(step);
        const retryAtMs = step.attempts.at(-1)?.retryAtMs;
        const attemptStartMs = Math.min(event.atMs, Math.max(previousAtMs, retryAtMs ?? previousAtMs));
        const failed = event.type === "step_failed";
        step.attempts.push({
          attempt: event.attempt,
          startMs: attemptStartMs,
          endMs: event.atMs,
          ok: !failed,
          error: failed ? { name: event.error.name, message: event.error.message } : undefined,
          retryAtMs: failed ? event.retryAtMs : undefined,
        });
        if (!failed) Object.assign(step, { outcome: "completed", endMs: event.atMs, result: event.result });
        else if (event.retryAtMs !== undefined)
          Object.assign(step, { outcome: "retrying", nextAttemptAtMs: event.retryAtMs });
        else Object.assign(step, { outcome: "failed", endMs: event.atMs, nextAttemptAtMs: undefined });
        openStep = step.outcome === "retrying" ? step : undefined;
        break;
      }
      case "timer_started":
        openSleep = { kind: "sleep", seq: event.seq, startMs: event.atMs, wakeAtMs: event.wakeAtMs };
        items.push(openSleep);
        break;
      case "timer_fired":
        if (openSleep !== undefined) openSleep.firedAtMs = event.atMs;
        openSleep = undefined;
        break;
      case "signal_wait_started":
        openWait = {
          kind: "wait",
          seq: event.seq,
          name: event.name,
          startMs: event.atMs,
          timeoutAtMs: event.timeoutAtMs,
          endMs: undefined,
          outcome: "waiting",
        };
        items.push(openWait);
        break;
      case "signal_received":
        if (openWait?.name === event.name) Object.assign(openWait, { endMs: event.atMs, outcome: "received" });
        openWait = undefined;
        items.push({
          kind: "signal",
          seq: event.seq,
          name: event.name,
          atMs: event.atMs,
          signalId: event.signalId,
          payload: event.payload,
        });
        break;
      case "signal_timed_out":
        if (openWait?.name === event.name) Object.assign(openWait, { endMs: event.atMs, outcome: "timed-out" });
        openWait = undefined;
        break;
      case "value_recorded":
        items.push({ kind: "value", seq: event.seq, source: event.source, atMs: event.atMs, value: event.value });
        break;
      case "cancellation_requested":
        items.push({ kind: "cancellation", seq: event.seq, atMs: event.atMs, reason: event.reason });
        break;
      case "run_completed":
        finished = true;
        items.push({ kind: "end", seq: event.seq, atMs: event.atMs, status: "completed", result: event.result });
        break;
      case "run_failed":
        finished = true;
        items.push({
          kind: "end",
          seq: event.seq,
          atMs: event.atMs,
          status: "failed",
          error: { name: event.error.name, message: event.error.message },
        });
        break;
      case "run_cancelled":
        finished = true;
        items.push({ kind: "end", seq: event.seq, atMs: event.atMs, status: "cancelled", reason: event.reason });
        break;
      default:
        // A new event kind fails to compile here until the timeline places it.
        event satisfies never;
    }
    previousAtMs = event.atMs;
  }
  return { startMs, endMs: finished ? previousAtMs : Math.max(previousAtMs, nowMs), items };
}

function newStep(seq: number, name: string, startMs: number): Extract<TimelineItem, { kind: "step" }> {
  return { kind: "step", seq, name, startMs, endMs: undefined, outcome: "retrying", attempts: [] };
}
