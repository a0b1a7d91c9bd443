// The inspector's read-only schedules API: pages of the store's schedules with their next fire times.
// Reads through RunReader.listSchedules only; never pauses, triggers or changes a schedule.
import type { RunReader, ScheduleRecord } from "@reprise/core";
import { HttpError } from "./responses.js";

/** Schedules per page unless the client asks for fewer or more. */
const DEFAULT_SCHEDULE_PAGE_SIZE = 100;
/** Most schedules in one page. */
const MAX_SCHEDULE_PAGE_SIZE = 500;

/**
 * GET api/schedules: schedules in code-point order of id, each with its next fire time, and where the next page
 * starts. Query: `limit` (1 to 500, default 100) and `after` (the `next` of the page before).
 *
 * @example
 * const { schedules, next } = await listSchedules(reader, new URLSearchParams("limit=50"));
 * const more = next === null ? undefined : await listSchedules(reader, new URLSearchParams({ after: next }));
 */
export async function listSchedules(reader: RunReader, params: URLSearchParams): Promise<Record<string, unknown>> {
  const limitText = params.get("limit");
  const limit = limitText === null || limitText === "" ? DEFAULT_SCHEDULE_PAGE_SIZE : Number(limitText);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_SCHEDULE_PAGE_SIZE) {
    throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_SCHEDULE_PAGE_SIZE} (got '${limitText}')`);
  }
  const after = params.get("after") ?? undefined;
  // One more than asked tells whether another page follows, without a second read.
  const read = await reader.listSchedules(after === "" ? undefined : after, limit + 1);
  const page = read.slice(0, limit);
  return {
    schedules: page.map(scheduleToJson),
    next: read.length > limit ? (page[page.length - 1]?.id ?? null) : null,
    nowMs: Date.now(),
  };
}

/** A schedule as the page reads it: nulls for absent times; the encoded input is left out (it may be large). */
function scheduleToJson(schedule: ScheduleRecord): Record<string, unknown> {
  return {
    id: schedule.id,
    workflow: schedule.workflow,
    cron: schedule.cron,
    timezone: schedule.timezone,
    overlap: schedule.overlap,
    catchUp: schedule.catchUp,
    catchUpLimit: schedule.catchUpLimit,
    paused: schedule.paused,
    nextFireAtMs: schedule.nextFireAtMs ?? null,
    bufferedFireAtMs: schedule.bufferedFireAtMs ?? null,
    lastRunId: schedule.lastRunId ?? null,
    lastFireAtMs: schedule.lastFireAtMs ?? null,
    createdAtMs: schedule.createdAtMs,
    updatedAtMs: schedule.updatedAtMs,
  };
}
