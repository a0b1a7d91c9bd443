// The start-up check of parked runs: replays each sleeping or waiting run of the served workflows with this
// engine's code, without executing anything, and blocks the ones it no longer replays before a timer wakes them.
import type { Replayer } from "./replay.js";
import { blockedRecord, replayLog } from "./replay-log.js";
import type { EngineStats } from "./execution-context.js";
import type { RunRecord, Store } from "./store.js";
import type { WorkflowRegistry } from "./workflow-registry.js";

/** Parked runs read per page; the check yields to the engine's other work between pages. */
export const PARKED_CHECK_PAGE_SIZE = 100;

/** What the check needs from its engine. */
export interface ParkedRunCheckContext {
  readonly store: Store;
  readonly workflows: WorkflowRegistry;
  /** The engine's counters: each check is a replay like a cache miss's. */
  readonly stats: EngineStats;
  readonly maxPayloadBytes: number;
  nowMs(): number;
  /**
   * Runs parked later than this were parked by engines running while this one was starting (this one among
   * them), with code that just replayed them: only runs parked before the engine started are checked.
   */
  readonly parkedBeforeMs: number;
  /** The engine is closing (stop), or executes this run itself now (skip it). */
  isClosing(): boolean;
  isExecuting(runId: string): boolean;
  /** A run was blocked; `replayer` is kept (cache) for a run that replays fine. */
  onBlocked(run: RunRecord, reason: string, error: Error): void;
  onReplayed(replayer: Replayer): void;
}

/**
 * Walks every parked run of the served workflows, oldest first, page by page, and blocks those whose history
 * the code no longer replays; returns how many it checked and blocked. A run that moved on meanwhile is left
 * alone (its own execution replays it). Nothing is executed and nothing is appended to any log.
 *
 * @example
 * const { checked, blocked } = await checkParkedRuns(context);
 */
export async function checkParkedRuns(context: ParkedRunCheckContext): Promise<{ checked: number; blocked: number }> {
  let cursor = 0;
  let checked = 0;
  let blocked = 0;
  for (;;) {
    if (context.isClosing()) break;
    // A store may answer synchronously (SqliteStore does): without a real turn of the event loop between pages,
    // checking 100,000 runs would hold it for seconds, and the engine could not start or wake anything meanwhile.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const page = await context.store.parkedRuns(context.workflows.served, cursor, PARKED_CHECK_PAGE_SIZE);
    if (page.runs.length === 0) break;
    cursor = page.cursor;
    for (const run of page.runs) {
      if (context.isClosing()) break;
      if (context.isExecuting(run.id) || run.updatedAtMs > context.parkedBeforeMs) continue;
      checked += 1;
      if (await checkOne(context, run)) blocked += 1;
    }
  }
  return { checked, blocked };
}

async function checkOne(context: ParkedRunCheckContext, run: RunRecord): Promise<boolean> {
  const definition = context.workflows.get(run.workflow, run.version);
  if (definition === undefined) return false;
  const records = await context.store.readEvents(run.id);
  context.stats.replays += 1;
  context.stats.eventsReplayed += records.length;
  const replayed = replayLog(run.id, definition, records);
  if ("replayer" in replayed) {
    context.onReplayed(replayed.replayer);
    return false;
  }
  const { reason, error } = blockedRecord(replayed.blocking, context.maxPayloadBytes);
  const expectedLastSeq = records.at(-1)?.seq ?? 0;
  const done = await context.store.blockParkedRun({
    runId: run.id,
    expectedLastSeq,
    reason,
    error,
    nowMs: context.nowMs(),
  });
  if (done) context.onBlocked(run, reason, replayed.blocking);
  return done;
}
