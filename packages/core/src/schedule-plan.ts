// What firing a due schedule means, as a pure function: which runs start and what the schedule's state becomes.
// Never touches the store or a clock: schedule-firing.ts reads both and writes the plan in one store write.
import type { CronTimes } from "./cron-times.js";
import type { ScheduleRecord, ScheduleState } from "./store.js";

/**
 * A fire time counts as missed (catch-up `none` skips it) once it is this far in the past when an engine first
 * gets to it. An engine that is up fires well within it: its work loop wakes at the fire time.
 */
export const MISSED_FIRE_AFTER_MS = 60_000;

/**
 * The id of the run a schedule starts for a fire time: `<schedule id>@<ISO 8601 UTC>`.
 *
 * @example
 * scheduledRunId("nightly-report", Date.UTC(2026, 11, 2, 2)); // "nightly-report@2026-12-02T02:00:00.000Z"
 */
export function scheduledRunId(scheduleId: string, fireAtMs: number): string {
  return `${scheduleId}@${new Date(fireAtMs).toISOString()}`;
}

/**
 * The id of the run `schedules.trigger()` starts at `nowMs`.
 *
 * @example
 * triggeredRunId("nightly-report", Date.UTC(2026, 11, 1, 16)); // "nightly-report@manual-2026-12-01T16:00:00.000Z"
 */
export function triggeredRunId(scheduleId: string, nowMs: number): string {
  return `${scheduleId}@manual-${new Date(nowMs).toISOString()}`;
}

/** What one firing does: the runs to start (with their fire times) and the schedule's new state. */
export interface FirePlan {
  readonly runs: readonly { readonly runId: string; readonly fireAtMs: number }[];
  readonly state: ScheduleState;
  /** Fire times passed over (catch-up or overlap policy). */
  readonly skipped: number;
}

/**
 * Plans the firing of `schedule` at `nowMs`, or answers undefined when nothing is to be done (nothing due, or only
 * a buffered fire time whose previous run is still unfinished). `previousUnfinished`: the schedule's last run
 * exists and has not finished.
 *
 * @example
 * const plan = planFiring(schedule, CronTimes.parse(schedule.cron, schedule.timezone), clock.nowMs(), false);
 */
export function planFiring(
  schedule: ScheduleRecord,
  cron: CronTimes,
  nowMs: number,
  previousUnfinished: boolean,
): FirePlan | undefined {
  const { times, skipped: missed } = dueFireTimes(schedule, cron, nowMs);
  let running = previousUnfinished;
  let buffered = schedule.bufferedFireAtMs;
  let skipped = missed;
  let lastFireAtMs = schedule.lastFireAtMs;
  const runs: { runId: string; fireAtMs: number }[] = [];
  const startRun = (fireAtMs: number): void => {
    runs.push({ runId: scheduledRunId(schedule.id, fireAtMs), fireAtMs });
    lastFireAtMs = fireAtMs;
    running = true;
  };
  // A fire time held back until the previous run ended goes first: it is older than anything due now.
  if (buffered !== undefined && !running) {
    startRun(buffered);
    buffered = undefined;
  }
  for (const fireAtMs of times) {
    if (schedule.overlap === "allowAll" || !running) startRun(fireAtMs);
    else if (schedule.overlap === "bufferOne" && buffered === undefined) buffered = fireAtMs;
    else skipped += 1;
  }
  const advanced = times.length > 0 || missed > 0;
  if (runs.length === 0 && !advanced) return undefined;
  const last = runs.at(-1);
  const state: ScheduleState = {
    ...stateOf(schedule),
    nextFireAtMs: advanced ? cron.next(nowMs) : schedule.nextFireAtMs,
    bufferedFireAtMs: buffered,
    lastRunId: last === undefined ? schedule.lastRunId : last.runId,
    lastFireAtMs,
  };
  return { runs, state, skipped };
}

/**
 * The due fire times the catch-up policy keeps (oldest first), and how many it passes over. Due: from the stored
 * next fire time up to `nowMs`. Bounded work whatever the downtime: at most `limit + 1` steps forward; beyond
 * that the newest `limit` are found walking back from `nowMs`.
 */
function dueFireTimes(schedule: ScheduleRecord, cron: CronTimes, nowMs: number): { times: number[]; skipped: number } {
  const first = schedule.nextFireAtMs;
  if (first === undefined || first > nowMs || schedule.paused) return { times: [], skipped: 0 };
  const limit = schedule.catchUp === "all" ? schedule.catchUpLimit : 1;
  const forward: number[] = [];
  for (let at: number | undefined = first; at !== undefined && at <= nowMs && forward.length <= limit;) {
    forward.push(at);
    at = cron.next(at);
  }
  let times: number[];
  let skipped: number;
  if (forward.length <= limit) {
    times = forward;
    skipped = 0;
  } else {
    // More than `limit` are due: the newest `limit`, found backwards (their exact count before them is unknown,
    // and does not matter: at least one was passed over).
    times = [];
    for (let at = cron.previous(nowMs); at !== undefined && at >= first && times.length < limit;) {
      times.unshift(at);
      at = cron.previous(at - 1);
    }
    skipped = Math.max(1, forward.length - times.length);
  }
  if (schedule.catchUp === "none") {
    const onTime = times.filter((at) => nowMs - at <= MISSED_FIRE_AFTER_MS).slice(-1);
    return { times: onTime, skipped: skipped + times.length - onTime.length };
  }
  return { times, skipped };
}

/**
 * The state fields of a record (without id, revision and timestamps).
 *
 * @example
 * await store.updateSchedule({ id, expectedRevision: s.revision, state: { ...stateOf(s), paused: true }, nowMs });
 */
export function stateOf(schedule: ScheduleRecord): ScheduleState {
  const { id: _id, revision: _revision, createdAtMs: _created, updatedAtMs: _updated, ...state } = schedule;
  return state;
}
