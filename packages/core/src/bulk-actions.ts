// Bulk actions on runs chosen by a filter: the cancellation loop over the store's bounded batches.
// Never one store round trip per run; each batch is one short write, and a run is marked at most once.
import type { RunSelection, Store } from "./store.js";

/** Runs marked for cancellation per store write by `engine.cancelMany()`. */
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
  for (;;) {
    const { runIds } = await store.requestCancelMany({ selection, reason, nowMs: nowMs(), limit: batchSize });
    marked += runIds.length;
    if (runIds.length > 0) onBatch(runIds);
    // Marked runs are never selected again, so a short batch means none is left.
    if (runIds.length < batchSize) return marked;
  }
}
