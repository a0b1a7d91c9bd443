// Creating a run row with its first event, inside the caller's transaction: for createRun(s) and a commit's children.
// Never decides conflicts: the caller compares workflows and throws RunIdConflictError where the contract says so.
import type { NewRun, RunRecord } from "@reprise/core";
import { noteRunsDue } from "./change-notifications.js";
import { insertEvents } from "./run-events.js";
import { insertRunTags } from "./run-tags.js";
import { newRunRecord, toRecord, type RunRow } from "./run-rows.js";
import type { Statements } from "./statements.js";

/**
 * Inserts a run with its first event, or reads the run that already has its id (`created: false`). A concurrent
 * creator of the same id waits on the unique index until the first one commits, then finds it. `queues` holds the
 * queue names this transaction recorded already (createRuns records each name once, not once per run).
 *
 * @example
 * const { created, run } = await createRunRow(statements, newRun);
 */
export async function createRunRow(
  statements: Statements,
  run: NewRun,
  queues: Set<string> = new Set(),
): Promise<{ created: boolean; run: RunRecord }> {
  const inserted = await statements.get<{ run_key: number }>("insertRun", {
    id: run.id,
    workflow: run.workflow,
    version: run.version ?? 1,
    status: run.lease === undefined ? "pending" : "running",
    input: run.input,
    leaseOwner: run.lease?.owner,
    leaseMs: run.lease?.leaseMs,
    nowMs: run.nowMs,
    parentId: run.parent?.runId,
    cancelWithParent: run.parent?.onParentCancel === "cancel",
    queue: run.queue,
    queueKey: run.queue === undefined ? undefined : run.queueKey,
    priority: run.priority ?? 0,
    // A run created claimed is due now (its lease lapses like any claim); a delayed one is due when it starts.
    dueAtMs: run.lease === undefined ? (run.dueAtMs ?? run.nowMs) : run.nowMs,
  });
  if (inserted === undefined) {
    const existing = await statements.get<RunRow>("getRun", { id: run.id });
    return { created: false, run: toRecord(existing as RunRow) };
  }
  if (run.queue !== undefined && !queues.has(run.queue)) {
    await statements.run("registerQueue", { name: run.queue });
    queues.add(run.queue);
  }
  await insertEvents(statements, inserted.run_key, [run.startedEvent]);
  if (run.tags !== undefined && Object.keys(run.tags).length > 0) {
    await insertRunTags(statements, run.id, run.nowMs, run.tags);
  }
  // A run created claimed is its creator's to start; any other is due for whichever engine serves it.
  if (run.lease === undefined) noteRunsDue(statements, { workflow: run.workflow, atMs: run.dueAtMs, nowMs: run.nowMs });
  return { created: true, run: newRunRecord(run) };
}
