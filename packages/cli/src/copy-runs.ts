// Moving every run from one store to another (`reprise copy`): check the whole source first, then copy page by
// page. Works on the store interfaces only (RunExporter on the source, RunImporter on the target), so any pair.
import {
  type RunExport,
  type RunExporter,
  type RunImporter,
  type RunPageCursor,
  type RunReader,
  type ScheduleRecord,
  type Store,
  UNFINISHED_STATUSES,
} from "@reprise/core";
import { CopyInterruptedError } from "./errors.js";

/** Runs read and written per page (one import transaction each). */
export const DEFAULT_COPY_BATCH = 100;

/**
 * What reading the whole source before a copy found: its runs' ids (a page per entry) and the runs an engine
 * still holds (a live lease).
 *
 * @example
 * const check = await checkSource(source);
 * if (check.leased.length > 0) console.error(`${check.leased.length} runs are still held`);
 */
export interface SourceCheck {
  readonly runs: number;
  /** The source's run ids, a page at a time, oldest first. */
  readonly idPages: readonly (readonly string[])[];
  /** Source runs an engine holds right now: id, lease owner and when the lease ends. */
  readonly leased: readonly { readonly id: string; readonly owner: string; readonly expiresAtMs: number }[];
}

/** Schedules read per page. */
const SCHEDULES_PAGE = 500;

/**
 * Every schedule of the source, in id order (they are few: one per recurring job).
 *
 * @example
 * const schedules = await sourceSchedules(source);
 */
export async function sourceSchedules(source: Pick<RunReader, "listSchedules">): Promise<ScheduleRecord[]> {
  const all: ScheduleRecord[] = [];
  for (;;) {
    const page = await source.listSchedules(all.at(-1)?.id, SCHEDULES_PAGE);
    all.push(...page);
    if (page.length < SCHEDULES_PAGE) return all;
  }
}

/**
 * Which of the schedules the target already holds (by id).
 *
 * @example
 * const taken = await takenScheduleIds(target, schedules);
 */
export async function takenScheduleIds(
  target: Pick<Store, "getSchedule">,
  schedules: readonly ScheduleRecord[],
): Promise<string[]> {
  const taken: string[] = [];
  for (const schedule of schedules) if ((await target.getSchedule(schedule.id)) !== undefined) taken.push(schedule.id);
  return taken;
}

/**
 * Creates the schedules in the target with their whole state (paused or not, next and buffered fire times, the
 * last run they started), so that they go on where they were; returns how many. Each starts at revision 1.
 *
 * @example
 * await copySchedules(schedules, target);
 */
export async function copySchedules(
  schedules: readonly ScheduleRecord[],
  target: Pick<Store, "createSchedule">,
): Promise<number> {
  for (const schedule of schedules) {
    const { revision: _revision, createdAtMs, updatedAtMs: _updatedAtMs, ...state } = schedule;
    const { created } = await target.createSchedule({ ...state, nowMs: createdAtMs });
    if (!created) throw new Error(`the target already has a schedule '${schedule.id}'`);
  }
  return schedules.length;
}

/**
 * What a copy wrote.
 *
 * @example
 * console.log(`copied ${summary.runs} runs, ${summary.unfinished} still in flight`);
 */
export interface CopySummary {
  readonly runs: number;
  readonly unfinished: number;
  /** Events of every generation. */
  readonly events: number;
  readonly signals: number;
}

/**
 * Reads the whole source once; writes nothing anywhere.
 *
 * @example
 * const { runs, leased } = await checkSource(source);
 */
export async function checkSource(source: RunExporter, batch = DEFAULT_COPY_BATCH): Promise<SourceCheck> {
  let runs = 0;
  const idPages: string[][] = [];
  const leased: { id: string; owner: string; expiresAtMs: number }[] = [];
  await eachPage(source, batch, async (page) => {
    runs += page.length;
    idPages.push(page.map((run) => run.record.id));
    for (const run of page) {
      if (run.liveLease !== undefined) leased.push({ id: run.record.id, ...run.liveLease });
    }
  });
  return { runs, idPages, leased };
}

/**
 * Which of the source's runs (`checkSource`'s id pages) the target already holds, all of them.
 *
 * @example
 * const taken = await takenRunIds(target, check.idPages);
 */
export async function takenRunIds(target: RunImporter, idPages: SourceCheck["idPages"]): Promise<string[]> {
  const taken: string[] = [];
  for (const ids of idPages) taken.push(...(await target.existingRunIds(ids)));
  return taken;
}

/**
 * Copies every run of `source` into `target`, a page per import (each all or nothing), oldest first. Call
 * `checkSource` and `takenRunIds` first: this stops at the first page that has a run the target holds or one an engine holds.
 * `onPage` is told how many runs are copied so far.
 *
 * @example
 * const summary = await copyRuns(source, target, { onPage: (copied) => console.log(copied) });
 */
export async function copyRuns(
  source: RunExporter,
  target: RunImporter,
  options: { readonly batch?: number; readonly onPage?: (copied: number) => void } = {},
): Promise<CopySummary> {
  let runs = 0;
  let unfinished = 0;
  let events = 0;
  let signals = 0;
  try {
    await eachPage(source, options.batch ?? DEFAULT_COPY_BATCH, async (page) => {
      const held = page.find((run) => run.liveLease !== undefined);
      if (held !== undefined) throw new Error(heldMessage(held));
      await target.importRuns(page);
      runs += page.length;
      for (const run of page) {
        if (UNFINISHED_STATUSES.includes(run.record.status)) unfinished += 1;
        events += run.events.length + run.earlierGenerations.reduce((sum, { events }) => sum + events.length, 0);
        signals += run.signals.length;
      }
      options.onPage?.(runs);
    });
  } catch (error) {
    // Nothing written yet (every import is all or nothing): the error as it is.
    if (runs === 0) throw error;
    throw new CopyInterruptedError(runs, error);
  }
  return { runs, unfinished, events, signals };
}

function heldMessage(run: RunExport): string {
  return `run '${run.record.id}' is held by engine ${run.liveLease?.owner ?? "?"} on the source`;
}

async function eachPage(
  source: RunExporter,
  batch: number,
  visit: (page: readonly RunExport[]) => Promise<void>,
): Promise<void> {
  let after: RunPageCursor | undefined;
  do {
    const page = await source.exportRuns(after, batch);
    if (page.runs.length > 0) await visit(page.runs);
    after = page.next;
  } while (after !== undefined);
}
