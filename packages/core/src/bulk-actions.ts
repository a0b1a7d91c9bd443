// Bulk actions on runs chosen by a filter: the cancellation and re-prioritising loops over the store's bounded
// batches, and what a bulk rerun starts for each finished run. Never one store round trip per run; each batch is one short write.
import { MAX_ID_LENGTH } from "./argument-checks.js";
import type { RunInfo } from "./run-info.js";
import type { StartManyItem } from "./start-many.js";
import type { RunSelection, Store } from "./store.js";
import type { RunPage, RunPageCursor } from "./store-reader.js";
import { MAX_TAGS } from "./tags.js";

/**
 * Runs marked for cancellation per store write by `engine.cancelMany()`.
 *
 * @example
 * const writes = Math.ceil(matching / CANCEL_BATCH_SIZE) + 1;
 */
export const CANCEL_BATCH_SIZE = 500;

/**
 * Requests the cancellation of every unfinished run matching `selection`, `batchSize` runs per store write, and
 * calls `onBatch` with the ids of each batch (to deliver it to runs executing in this process). Resolves with how
 * many runs it marked.
 *
 * @example
 * const marked = await cancelMatching(store, { tags: { customer: "7" } }, "customer left", () => clock.nowMs());
 */
export async function cancelMatching(
  store: Store,
  selection: RunSelection,
  reason: string | undefined,
  nowMs: () => number,
  onBatch: (runIds: readonly string[]) => void = () => {},
  batchSize = CANCEL_BATCH_SIZE,
): Promise<number> {
  let marked = 0;
  let after: { createdAtMs: number; id: string } | undefined;
  for (;;) {
    const batch = await store.requestCancelMany({ selection, reason, nowMs: nowMs(), limit: batchSize, after });
    const { runIds } = batch;
    marked += runIds.length;
    if (runIds.length > 0) onBatch(runIds);
    // Keyset: the next batch starts after this one's last run instead of skipping the marked runs again.
    after = batch.last ?? after;
    // Marked runs are never selected again, so a short batch means none is left.
    if (runIds.length < batchSize) return marked;
  }
}

/**
 * Runs re-prioritised per store write by `engine.setPriorityMany()`.
 *
 * @example
 * const writes = Math.ceil(queued / PRIORITY_BATCH_SIZE);
 */
export const PRIORITY_BATCH_SIZE = 500;

/**
 * Sets `priority` on every unfinished queued run of the pages `nextPage` walks (the caller's filtered, keyset
 * walk of unfinished runs), one store write per page; resolves with how many runs changed. A priority never moves
 * a run in that walk's order (newest first), so the walk neither skips nor repeats a run.
 *
 * @example
 * const changed = await reprioritise(store, (after) => engine.listRunsPage({ ...filter, after, limit: 500 }), 1, now);
 */
export async function reprioritise(
  store: Store,
  nextPage: (after: RunPageCursor | undefined) => Promise<RunPage<RunInfo>>,
  priority: number,
  nowMs: () => number,
): Promise<number> {
  let changed = 0;
  let after: RunPageCursor | undefined;
  do {
    const page = await nextPage(after);
    const queued = page.runs.filter((run) => run.queue !== undefined).map((run) => run.id);
    if (queued.length > 0) changed += (await store.setPriority(queued, priority, nowMs())).length;
    after = page.next;
  } while (after !== undefined);
  return changed;
}

/**
 * Runs started per store write by `engine.rerunMany()`.
 *
 * @example
 * const writes = Math.ceil(failed / RERUN_BATCH_SIZE);
 */
export const RERUN_BATCH_SIZE = 500;

/**
 * What `engine.rerunMany()` did: the ids of the reruns (started now, or already there from an earlier call), and
 * the runs it could not rerun, with why.
 *
 * @example
 * const { runIds, skipped } = await engine.rerunMany({ status: "failed", tags: { customer: "7" } });
 */
export interface RerunManyResult {
  readonly runIds: readonly string[];
  readonly skipped: readonly { readonly runId: string; readonly reason: string }[];
}

/**
 * The run that reruns `run`: same workflow, version and input, its tags plus `rerunOf`, and the id
 * `<id>-rerun-1`, so that a second bulk rerun finds it instead of starting another. A string says why the run
 * cannot be rerun.
 *
 * @example
 * const item = rerunItem(failedRun); // { workflow: "order", input, id: "order-7-rerun-1", version: 1, tags }
 */
export function rerunItem(run: RunInfo): StartManyItem | string {
  if (run.corrupt !== undefined)
    return `its stored ${run.corrupt.map((damage) => damage.column).join(", ")} cannot be decoded`;
  const id = `${run.id}-rerun-1`;
  if (id.length > MAX_ID_LENGTH) return `its rerun's id would be longer than ${MAX_ID_LENGTH} characters`;
  // The rerun carries the original's tags, and where there is room, which run it repeats.
  const room = Object.keys(run.tags).length < MAX_TAGS || "rerunOf" in run.tags;
  const tags = room ? { ...run.tags, rerunOf: run.id } : run.tags;
  return { workflow: run.workflow, input: run.input, id, version: run.version, tags };
}
