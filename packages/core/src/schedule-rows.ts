// How a schedules row maps to the Store contract's ScheduleRecord and back, the same on every store.
// Pure: no statements. `paused` is 0/1 on SQLite and a boolean on PostgreSQL; each store passes its own form.
import type { ScheduleCatchUpPolicy, ScheduleOverlapPolicy, ScheduleRecord, ScheduleState } from "./store.js";

/** A `schedules` row as both stores select it. */
export interface ScheduleRow {
  readonly id: string;
  readonly workflow: string;
  readonly input: string;
  readonly cron: string;
  readonly timezone: string;
  readonly overlap: string;
  readonly catch_up: string;
  readonly catch_up_limit: number;
  readonly paused: number | boolean;
  readonly next_fire_at_ms: number | null;
  readonly buffered_fire_at_ms: number | null;
  readonly last_run_id: string | null;
  readonly last_fire_at_ms: number | null;
  readonly revision: number;
  readonly created_at_ms: number;
  readonly updated_at_ms: number;
}

/**
 * A schedules row as a ScheduleRecord.
 *
 * @example
 * const schedules = rows.map(toScheduleRecord);
 */
export function toScheduleRecord(row: ScheduleRow): ScheduleRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    input: row.input,
    cron: row.cron,
    timezone: row.timezone,
    overlap: row.overlap as ScheduleOverlapPolicy,
    catchUp: row.catch_up as ScheduleCatchUpPolicy,
    catchUpLimit: row.catch_up_limit,
    paused: row.paused === true || row.paused === 1,
    nextFireAtMs: row.next_fire_at_ms ?? undefined,
    bufferedFireAtMs: row.buffered_fire_at_ms ?? undefined,
    lastRunId: row.last_run_id ?? undefined,
    lastFireAtMs: row.last_fire_at_ms ?? undefined,
    revision: row.revision,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
  };
}

/**
 * A ScheduleState as the named parameters of a store's schedule statements, `paused` in the store's own form.
 *
 * @example
 * statement.run(scheduleStateArgs(state, state.paused ? 1 : 0));
 */
export function scheduleStateArgs(state: ScheduleState, paused: number | boolean): Record<string, unknown> {
  return {
    workflow: state.workflow,
    input: state.input,
    cron: state.cron,
    timezone: state.timezone,
    overlap: state.overlap,
    catchUp: state.catchUp,
    catchUpLimit: state.catchUpLimit,
    paused,
    nextFireAtMs: state.nextFireAtMs,
    bufferedFireAtMs: state.bufferedFireAtMs,
    lastRunId: state.lastRunId,
    lastFireAtMs: state.lastFireAtMs,
  };
}
