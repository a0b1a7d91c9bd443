// Rows of the runs table and their mapping to the Store contract's RunRecord and WaitInfo (both directions).
// Pure functions over plain objects: no statements run here.
import type { FinishedRunRecord, NewRun, RunOutcomeRecord, RunRecord, RunStatus, WakeSet } from "@reprise/core";
import type { RunsTable } from "./schema.js";
import { mayBeProgressOnly, toWaitInfo, waitName } from "@reprise/core/internal";

/** A `runs` row as the store's run queries select it (RUN_COLUMNS: everything but scheduling and lease columns). */
export type RunRow = Omit<
  RunsTable,
  "run_key" | "due_at_ms" | "lease_owner" | "lease_expires_at_ms" | "finished_seq" | "cancel_with_parent"
>;

/** The columns `getRunOutcome` selects: how the run ended, if it has. */
export type OutcomeRow = Pick<RunsTable, "status" | "result" | "error" | "reason">;

/** The columns `finishedRunsSince` selects: a run that ended, with its position in the order of endings. */
export type FinishedRow = Pick<RunsTable, "id" | "status" | "result" | "error" | "reason"> & {
  readonly finished_seq: number;
};

/** The columns a write reads before changing a run: lease, position in the log, and current projection. */
export type WriteRow = { readonly run_key: number } & Pick<
  RunsTable,
  | "status"
  | "lease_owner"
  | "lease_expires_at_ms"
  | "last_seq"
  | "cancel_requested"
  | "wait_kind"
  | "wait_name"
  | "wake_at_ms"
  | "reason"
  | "result"
  | "error"
  | "parent_id"
>;

/** A run row as the Store contract's RunRecord. */
export function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    version: row.version,
    generation: row.generation,
    status: row.status as RunStatus,
    input: row.input,
    result: row.result ?? undefined,
    error: row.error ?? undefined,
    waitingFor: toWaitInfo(row.wait_kind, row.wait_name),
    wakeAtMs: row.wake_at_ms ?? undefined,
    reason: row.reason ?? undefined,
    cancelRequested: row.cancel_requested === 1,
    cancelReason: row.cancel_reason ?? undefined,
    wake: toWakeSet(row),
    parentId: row.parent_id ?? undefined,
    tags: row.tags === null ? undefined : (JSON.parse(row.tags) as Record<string, string>),
    lastSeq: row.last_seq,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
    finishedAtMs: row.finished_at_ms ?? undefined,
    queue: row.queue ?? undefined,
    queueKey: row.queue_key ?? undefined,
    priority: row.priority,
  };
}

/** An outcome row as the Store contract's RunOutcomeRecord. */
export function toOutcomeRecord(row: OutcomeRow): RunOutcomeRecord {
  return {
    status: row.status as RunStatus,
    result: row.result ?? undefined,
    error: row.error ?? undefined,
    reason: row.reason ?? undefined,
  };
}

/** A finished row as the Store contract's FinishedRunRecord. */
export function toFinishedRecord(row: FinishedRow): FinishedRunRecord {
  return { runId: row.id, outcome: toOutcomeRecord(row), position: row.finished_seq };
}

/** The row `insertRun` just wrote, as getRun would read it back (without spending a statement on reading it). */
export function newRunRecord(run: NewRun): RunRecord {
  return toRecord({
    id: run.id,
    workflow: run.workflow,
    status: run.lease === undefined ? "pending" : "running",
    input: run.input,
    result: null,
    error: null,
    wait_kind: null,
    wait_name: null,
    wake_at_ms: null,
    reason: null,
    cancel_requested: 0,
    cancel_reason: null,
    last_seq: 1,
    created_at_ms: run.nowMs,
    updated_at_ms: run.nowMs,
    finished_at_ms: null,
    wake_signals: null,
    wake_children: null,
    parent_id: run.parent?.runId ?? null,
    version: run.version ?? 1,
    generation: 1,
    queue: run.queue ?? null,
    queue_key: run.queue === undefined ? null : (run.queueKey ?? null),
    priority: run.priority ?? 0,
    tags: tagsJson(run.tags) ?? null,
  });
}

/** The stored wake set of a parked run; undefined while it runs (nothing but a cancellation can wake it then). */
function toWakeSet(row: RunRow): WakeSet | undefined {
  if (row.status !== "sleeping" && row.status !== "waiting") return undefined;
  const signals = row.wake_signals === null ? undefined : (JSON.parse(row.wake_signals) as string[]);
  const children = row.wake_children === null ? undefined : (JSON.parse(row.wake_children) as string[]);
  return { atMs: row.wake_at_ms ?? undefined, signals, children };
}

/** A wake set's list as stored: a JSON array, or NULL for none. */
export function jsonList(values: readonly string[] | undefined): string | undefined {
  return values === undefined || values.length === 0 ? undefined : JSON.stringify(values);
}

// Shared by both stores: how a wait is stored, and which commits may skip rewriting the projection.
export { mayBeProgressOnly, toWaitInfo, waitName };

/** A run's tags as stored in `runs.tags`: a JSON object, or undefined (NULL) for none. */
export function tagsJson(tags: Readonly<Record<string, string>> | undefined): string | undefined {
  return tags === undefined || Object.keys(tags).length === 0 ? undefined : JSON.stringify(tags);
}
