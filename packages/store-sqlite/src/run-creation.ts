// Creating a run row with its first event, inside the caller's write: for createRun(s) and a commit's children.
// Never decides conflicts: the caller compares workflows and throws RunIdConflictError where the contract says so.
import type { NewRun, RunRecord } from "@reprise/core";
import { insertEvents } from "./run-events.js";
import { insertRunTags } from "./run-tags.js";
import { newRunRecord, toRecord, type RunRow } from "./run-rows.js";
import type { PreparedStatements } from "./statements.js";

/**
 * Inserts a run with its first event, or reads the run that already has its id (`created: false`).
 *
 * @example
 * const { created, run } = createRunRow(statements, newRun);
 */
export function createRunRow(statements: PreparedStatements, run: NewRun): { created: boolean; run: RunRecord } {
  const inserted = statements.run("insertRun", {
    id: run.id,
    workflow: run.workflow,
    version: run.version ?? 1,
    status: run.lease === undefined ? "pending" : "running",
    input: run.input,
    leaseOwner: run.lease?.owner,
    leaseExpiresAtMs: run.lease === undefined ? undefined : run.nowMs + run.lease.leaseMs,
    nowMs: run.nowMs,
    parentId: run.parent?.runId,
    cancelWithParent: run.parent?.onParentCancel === "cancel" ? 1 : 0,
    queue: run.queue,
    queueKey: run.queue === undefined ? undefined : run.queueKey,
    priority: run.priority ?? 0,
    // A run created claimed is due now (its lease lapses like any claim); a delayed one is due when it starts.
    dueAtMs: run.lease === undefined ? (run.dueAtMs ?? run.nowMs) : run.nowMs,
  });
  if (inserted.changes === 0) {
    return { created: false, run: toRecord(statements.get<RunRow>("getRun", { id: run.id }) as RunRow) };
  }
  if (run.queue !== undefined) statements.run("registerQueue", { name: run.queue });
  // run_key is the table's INTEGER PRIMARY KEY, i.e. the rowid SQLite just assigned.
  insertEvents(statements, Number(inserted.lastInsertRowid), [run.startedEvent]);
  if (run.tags !== undefined && Object.keys(run.tags).length > 0)
    insertRunTags(statements, run.id, run.nowMs, run.tags);
  return { created: true, run: newRunRecord(run) };
}
