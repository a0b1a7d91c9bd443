// The hot-path writes group commit can merge: a batch's step commits and run creations become a few multi-row
// statements instead of two or three statements each. Any write these cannot decide falls back to its own body.
import type { NewRun, RunCommit, RunRecord } from "@reprise/core";
import { noteRunsDue } from "./change-notifications.js";
import { mayBeProgressOnly, newRunRecord } from "./run-rows.js";
import type { Statements } from "./statements.js";

/**
 * A write that may be merged with others of its batch. Each touches one run only (its `runId`), and only through
 * the statements below, so writes of different runs commute: a batch may run them together in any order.
 */
export type BulkWrite =
  | { readonly kind: "progress"; readonly runId: string; readonly commit: RunCommit }
  | { readonly kind: "create"; readonly runId: string; readonly run: NewRun };

/**
 * The bulk form of a commit, when it is a running run recording steps and nothing else (the guarded progress
 * update plus event appends); undefined for every other commit.
 *
 * @example
 * const bulk = progressCommit(commit); // { kind: "progress", runId, commit } for a plain step commit
 */
export function progressCommit(commit: RunCommit): BulkWrite | undefined {
  const plain =
    mayBeProgressOnly(commit.update) &&
    commit.consumedSignals.length === 0 &&
    (commit.startChildren?.length ?? 0) === 0 &&
    (commit.cancelRuns?.length ?? 0) === 0 &&
    commit.continueAsNew === undefined &&
    commit.tags === undefined;
  return plain ? { kind: "progress", runId: commit.runId, commit } : undefined;
}

/**
 * The bulk form of createRun.
 *
 * @example
 * const bulk = runCreation(newRun); // { kind: "create", runId: newRun.id, run: newRun }
 */
export function runCreation(run: NewRun): BulkWrite | undefined {
  // A tagged run also writes its tag rows, which the merged INSERT does not: it takes its own body.
  if (run.tags !== undefined && Object.keys(run.tags).length > 0) return undefined;
  return { kind: "create", runId: run.id, run };
}

/** What a merged write got: done with its value, or left to its own body (its guard failed, or the id exists). */
export type BulkOutcome = { readonly done: true; readonly value: unknown } | { readonly done: false };

/**
 * Runs writes of distinct runs together: one INSERT for the new runs, one guarded UPDATE for the progress
 * commits, one INSERT for all their events. Returns, per write in order, its value or that it was not done
 * (nothing of it was written then; the caller runs its own body, which reports why).
 *
 * @example
 * const outcomes = await runBulk(statements, [runCreation(a), progressCommit(commit)!]);
 */
export async function runBulk(statements: Statements, writes: readonly BulkWrite[]): Promise<BulkOutcome[]> {
  const keys = new Map<string, number>();
  const creations = writes.filter((write) => write.kind === "create").map((write) => write.run);
  if (creations.length > 0) {
    const created = await statements.all<{ id: string; run_key: number }>("insertRunsMany", {
      ids: creations.map((run) => run.id),
      workflows: creations.map((run) => run.workflow),
      versions: creations.map((run) => run.version ?? 1),
      statuses: creations.map((run) => (run.lease === undefined ? "pending" : "running")),
      inputs: creations.map((run) => run.input),
      leaseOwners: creations.map((run) => run.lease?.owner ?? null),
      // Leases are judged by the database's clock, as in createRunRow.
      leaseMs: creations.map((run) => run.lease?.leaseMs ?? null),
      nowMs: creations.map((run) => run.nowMs),
      parentIds: creations.map((run) => run.parent?.runId ?? null),
      cancelWithParents: creations.map((run) => run.parent?.onParentCancel === "cancel"),
    });
    for (const row of created) keys.set(row.id, row.run_key);
    // As createRunRow does: a run created unclaimed is due at once, for whichever engine serves it.
    for (const run of creations) {
      if (keys.has(run.id) && run.lease === undefined) noteRunsDue(statements, { workflow: run.workflow });
    }
  }
  const progress = writes.filter((write) => write.kind === "progress").map((write) => write.commit);
  if (progress.length > 0) {
    const moved = await statements.all<{ id: string; run_key: number }>("recordProgressMany", {
      ids: progress.map((commit) => commit.runId),
      owners: progress.map((commit) => commit.owner),
      expectedLastSeqs: progress.map((commit) => commit.expectedLastSeq),
      lastSeqs: progress.map((commit) => commit.expectedLastSeq + commit.events.length),
      nowMs: progress.map((commit) => commit.nowMs),
    });
    for (const row of moved) keys.set(row.id, row.run_key);
  }
  const events = { runKeys: [] as number[], seqs: [] as number[], types: [] as string[], atMs: [] as number[] };
  const data: string[] = [];
  for (const write of writes) {
    const runKey = keys.get(write.runId);
    if (runKey === undefined) continue;
    for (const event of write.kind === "create" ? [write.run.startedEvent] : write.commit.events) {
      events.runKeys.push(runKey);
      events.seqs.push(event.seq);
      events.types.push(event.type);
      events.atMs.push(event.atMs);
      data.push(event.data);
    }
  }
  if (data.length > 0) await statements.run("insertEventsMany", { ...events, data });
  return writes.map((write): BulkOutcome => {
    if (!keys.has(write.runId)) return { done: false };
    if (write.kind === "progress") return { done: true, value: undefined };
    const value: { created: boolean; run: RunRecord } = { created: true, run: newRunRecord(write.run) };
    return { done: true, value };
  });
}
