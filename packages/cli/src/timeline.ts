// A run's history as a timeline: steps with their attempts, sleeps and signal waits as spans, signals as marks.
// Pure: built from decoded events, the run's row and the current time; `reprise show` prints it, the inspector draws it.
import {
  FINISHED_STATUSES,
  type BlockedEpisodeEnd,
  type HistoryEvent,
  type RecordedValueSource,
  type RunInfo,
} from "@reprise/core";

/**
 * What ended a sleep, a signal wait or a pending retry before it could finish: a cancellation delivered at it,
 * or the run's end (`completed`, `failed`, `cancelled`).
 *
 * @example
 * if (item.kind === "sleep" && item.withdrawnBy === "cancellation") console.log("the sleep was cut short");
 */
export type WithdrawnBy = "cancellation" | "completed" | "failed" | "cancelled";

/**
 * The part of a run's row the timeline needs: whether it is finished or blocked, since when, and the episodes
 * during which it was blocked (`getRun` gives them).
 *
 * @example
 * const run: TimelineRun = { status: "blocked", reason: "NonDeterminismError: ...", updatedAtMs: Date.now() };
 */
export type TimelineRun = Pick<RunInfo, "status" | "reason" | "updatedAtMs" | "finishedAtMs" | "blockedEpisodes">;

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
      /** `withdrawn`: a retry was due when a cancellation or the run's end came first. */
      outcome: "completed" | "failed" | "retrying" | "withdrawn";
      readonly attempts: TimelineAttempt[];
      result?: unknown;
      nextAttemptAtMs?: number | undefined;
      withdrawnBy?: WithdrawnBy;
    }
  | {
      readonly kind: "sleep";
      readonly seq: number;
      readonly startMs: number;
      readonly wakeAtMs: number;
      firedAtMs?: number;
      /** Set when the timer never fired: a cancellation or the run's end came first. */
      withdrawnAtMs?: number;
      withdrawnBy?: WithdrawnBy;
    }
  | {
      readonly kind: "wait";
      readonly seq: number;
      readonly name: string;
      readonly startMs: number;
      readonly timeoutAtMs?: number | undefined;
      endMs: number | undefined;
      outcome: "waiting" | "received" | "timed-out" | "withdrawn";
      withdrawnBy?: WithdrawnBy;
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
    }
  | {
      /**
       * An episode during which the run was blocked (it waited for code matching its history): a past one, with
       * `endedAtMs`, or the current one. Blocking writes nothing to the log, so this comes from the store's
       * record of blocked episodes (`getRun`'s `blockedEpisodes`); `seq` is that of the last event before it. A
       * run blocked before the store kept episodes has none: its current block then starts when the run's row
       * last changed (the block, unless a cancel was requested since).
       */
      readonly kind: "blocked";
      readonly seq: number;
      readonly atMs: number;
      readonly reason: string;
      /** When the episode ended; undefined while the run is still blocked. */
      readonly endedAtMs?: number | undefined;
      readonly endedBy?: BlockedEpisodeEnd | undefined;
    };

/** A run's timeline: its items in log order, between the run's start and its end (or now). */
export interface Timeline {
  readonly startMs: number;
  /** The last event of a finished run, otherwise the later of the last event and now. */
  readonly endMs: number;
  /**
   * The run can still move on by itself: it is neither finished nor blocked. Only then do open deadlines
   * (a sleep's wake-up, a signal's timeout, a retry) count down.
   */
  readonly live: boolean;
  readonly items: TimelineItem[];
}

/**
 * Builds the timeline of a run from its decoded history and, when given, its row (`getRun`): a sleep, wait or
 * retry that a cancellation or the run's end overtook is marked withdrawn, past blocked episodes are placed
 * after the event they followed, and a blocked run ends in a `blocked` item.
 *
 * @example
 * const timeline = buildTimeline(await engine.history("order-1"), Date.now(), await engine.getRun("order-1"));
 * for (const item of timeline.items) if (item.kind === "step") console.log(item.name, item.attempts.length);
 */
export function buildTimeline(events: readonly HistoryEvent[], nowMs: number, run?: TimelineRun): Timeline {
  const items: TimelineItem[] = [];
  const first = events[0];
  const startMs = first?.atMs ?? nowMs;
  let previousAtMs = startMs;
  let openStep: Extract<TimelineItem, { kind: "step" }> | undefined;
  let openSleep: Extract<TimelineItem, { kind: "sleep" }> | undefined;
  let openWait: Extract<TimelineItem, { kind: "wait" }> | undefined;
  let finished = false;
  /** Closes whatever the run was waiting on when a cancellation or the run's end overtook it. */
  const withdrawOpen = (atMs: number, by: WithdrawnBy) => {
    if (openSleep !== undefined) Object.assign(openSleep, { withdrawnAtMs: atMs, withdrawnBy: by });
    if (openWait !== undefined) Object.assign(openWait, { endMs: atMs, outcome: "withdrawn", withdrawnBy: by });
    if (openStep !== undefined) Object.assign(openStep, { endMs: atMs, outcome: "withdrawn", withdrawnBy: by });
    openSleep = undefined;
    openWait = undefined;
    openStep = undefined;
  };
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
        withdrawOpen(event.atMs, "cancellation");
        items.push({ kind: "cancellation", seq: event.seq, atMs: event.atMs, reason: event.reason });
        break;
      case "run_completed":
        finished = true;
        withdrawOpen(event.atMs, "completed");
        items.push({ kind: "end", seq: event.seq, atMs: event.atMs, status: "completed", result: event.result });
        break;
      case "run_failed":
        finished = true;
        withdrawOpen(event.atMs, "failed");
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
        withdrawOpen(event.atMs, "cancelled");
        items.push({ kind: "end", seq: event.seq, atMs: event.atMs, status: "cancelled", reason: event.reason });
        break;
      default:
        // A new event kind fails to compile here until the timeline places it.
        event satisfies never;
    }
    previousAtMs = event.atMs;
  }
  // The row is written with the log, so a finished row without its ending event is a log cut short; still end it.
  if (run !== undefined && FINISHED_STATUSES.has(run.status) && !finished) {
    finished = true;
    previousAtMs = Math.max(previousAtMs, run.finishedAtMs ?? run.updatedAtMs);
    withdrawOpen(previousAtMs, run.status as WithdrawnBy);
  }
  const blocked = run?.status === "blocked";
  const episodes = run?.blockedEpisodes ?? [];
  for (const episode of episodes) {
    if (episode.endedAtMs === undefined) continue;
    // After every item that began at or before the event the episode followed.
    const at = items.findIndex((item) => item.seq > episode.lastSeq);
    items.splice(at === -1 ? items.length : at, 0, {
      kind: "blocked",
      seq: episode.lastSeq,
      atMs: episode.blockedAtMs,
      reason: episode.reason,
      endedAtMs: episode.endedAtMs,
      endedBy: episode.endedBy,
    });
  }
  if (blocked) {
    const open = episodes.at(-1)?.endedAtMs === undefined ? episodes.at(-1) : undefined;
    items.push({
      kind: "blocked",
      seq: events.at(-1)?.seq ?? 0,
      atMs: open?.blockedAtMs ?? Math.max(run.updatedAtMs, previousAtMs),
      reason: run.reason ?? open?.reason ?? "no reason recorded",
    });
  }
  return {
    startMs,
    endMs: finished ? previousAtMs : Math.max(previousAtMs, nowMs),
    live: !finished && !blocked,
    items,
  };
}

function newStep(seq: number, name: string, startMs: number): Extract<TimelineItem, { kind: "step" }> {
  return { kind: "step", seq, name, startMs, endMs: undefined, outcome: "retrying", attempts: [] };
}
