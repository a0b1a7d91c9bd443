// Explains why an unfinished run is not moving when no live engine serves its workflow (getRun/listRuns `reason`).
// Read-only: it asks the store when an engine last reported each workflow, once per workflow.
import { FINISHED_STATUSES, type RunRecord, type Store } from "./store.js";

/** An engine that has not reported in for this long no longer counts as serving its workflows. */
export const WORKER_STALE_AFTER_MS = 30_000;

/**
 * One reason (or undefined) per record: set for unfinished, unblocked runs of workflows that neither this
 * engine (`servedHere`) nor any engine that reported in recently serves.
 */
export async function unservedReasons(
  records: readonly RunRecord[],
  store: Store,
  nowMs: number,
  servedHere: (workflow: string) => boolean,
): Promise<(string | undefined)[]> {
  const lastSeen = new Map<string, Promise<number | undefined>>();
  return Promise.all(
    records.map(async (record) => {
      if (FINISHED_STATUSES.has(record.status) || record.status === "blocked") return undefined;
      if (servedHere(record.workflow)) return undefined;
      if (!lastSeen.has(record.workflow)) lastSeen.set(record.workflow, store.workflowLastSeenAtMs(record.workflow));
      const lastSeenAtMs = await lastSeen.get(record.workflow);
      if (lastSeenAtMs !== undefined && nowMs - lastSeenAtMs < WORKER_STALE_AFTER_MS) return undefined;
      return (
        `No running engine serves workflow '${record.workflow}', so this run is left as it is. It continues as ` +
        `soon as an engine created with createEngine({ workflows: [${record.workflow}] }) opens this store.`
      );
    }),
  );
}
