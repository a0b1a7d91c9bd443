// Explains why an unfinished run is not moving when no live engine serves its workflow at its version (getRun and
// listRuns `reason`). Read-only: it asks the store when an engine last reported each (workflow, version), once each.
import { FINISHED_STATUSES, type RunRecord, type Store } from "./store.js";
import { describeWorkflowVersion, type WorkflowRegistry } from "./workflow-registry.js";

/** An engine that has not reported in for this long no longer counts as serving its workflows. */
export const WORKER_STALE_AFTER_MS = 30_000;

/**
 * One reason (or undefined) per record: set for unfinished, unblocked runs whose workflow, at the version they
 * started on, neither this engine (`servedHere`, undefined while it closes) nor any engine that reported in
 * recently serves. Such a run is never executed with other code: it waits for an engine with its version.
 */
export async function unservedReasons(
  records: readonly RunRecord[],
  store: Store,
  nowMs: number,
  servedHere: WorkflowRegistry | undefined,
): Promise<(string | undefined)[]> {
  const lastSeen = new Map<string, Promise<number | undefined>>();
  return Promise.all(
    records.map(async (record) => {
      if (FINISHED_STATUSES.has(record.status) || record.status === "blocked") return undefined;
      const { workflow, version } = record;
      if (servedHere?.get(workflow, version) !== undefined) return undefined;
      const key = `${version}:${workflow}`;
      if (!lastSeen.has(key)) lastSeen.set(key, store.workflowLastSeenAtMs(workflow, version));
      const lastSeenAtMs = await lastSeen.get(key);
      if (lastSeenAtMs !== undefined && nowMs - lastSeenAtMs < WORKER_STALE_AFTER_MS) return undefined;
      return unservedReason(workflow, version, servedHere?.versionsOf(workflow) ?? []);
    }),
  );
}

function unservedReason(workflow: string, version: number, versionsHere: readonly number[]): string {
  const what = describeWorkflowVersion(workflow, version);
  if (versionsHere.length > 0) {
    return (
      `No running engine serves ${what}, so this run is left as it is: it started on version ${version}, and ` +
      `runs only ever continue on the code of their own version (this engine serves version ` +
      `${versionsHere.join(", ")}). Keep workflow('${workflow}', fn, { version: ${version} }) registered next to ` +
      `the newer version until no run of version ${version} is left.`
    );
  }
  const definition = version === 1 ? workflow : `${workflow}, version ${version}`;
  return (
    `No running engine serves ${what}, so this run is left as it is. It continues as soon as an engine created ` +
    `with createEngine({ workflows: [${definition}] }) opens this store.`
  );
}
