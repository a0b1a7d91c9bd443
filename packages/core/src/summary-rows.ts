// The columns a run list selects and how a row of them becomes a RunSummary, the same on every store.
// Pure: no statements. Each store selects RUN_SUMMARY_COLUMNS its own way and maps the rows here.
import type { RunSummary } from "./store-reader.js";
import type { RunStatus } from "./store.js";
import { toWaitInfo } from "./stored-waits.js";

/**
 * What a run list reads of each run: no input, result or error (they can be large, and a list never shows them).
 *
 * @example
 * const columns = RUN_SUMMARY_COLUMNS.map((column) => `r.${column}`).join(", ");
 */
export const RUN_SUMMARY_COLUMNS = [
  "id",
  "workflow",
  "version",
  "generation",
  "status",
  "wait_kind",
  "wait_name",
  "wake_at_ms",
  "parent_id",
  "cancel_requested",
  "created_at_ms",
  "updated_at_ms",
  "finished_at_ms",
  "tags",
  "queue",
  "queue_key",
  "priority",
] as const;

/** A row of RUN_SUMMARY_COLUMNS; `cancel_requested` is 0/1 on SQLite and a boolean on PostgreSQL. */
export interface RunSummaryRow {
  readonly id: string;
  readonly workflow: string;
  readonly version: number;
  readonly generation: number;
  readonly status: string;
  readonly wait_kind: string | null;
  readonly wait_name: string | null;
  readonly wake_at_ms: number | null;
  readonly parent_id: string | null;
  readonly cancel_requested: number | boolean;
  readonly created_at_ms: number;
  readonly updated_at_ms: number;
  readonly finished_at_ms: number | null;
  readonly tags: string | null;
  readonly queue: string | null;
  readonly queue_key: string | null;
  readonly priority: number;
}

/**
 * A run list's row as a RunSummary.
 *
 * @example
 * const runs = rows.map(toRunSummary);
 */
export function toRunSummary(row: RunSummaryRow): RunSummary {
  return {
    id: row.id,
    workflow: row.workflow,
    version: row.version,
    generation: row.generation,
    status: row.status as RunStatus,
    waitingFor: toWaitInfo(row.wait_kind, row.wait_name),
    wakeAtMs: row.wake_at_ms ?? undefined,
    parentId: row.parent_id ?? undefined,
    cancelRequested: row.cancel_requested === true || row.cancel_requested === 1,
    tags: row.tags === null ? undefined : (JSON.parse(row.tags) as Record<string, string>),
    queue: row.queue ?? undefined,
    queueKey: row.queue_key ?? undefined,
    priority: row.priority,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
    finishedAtMs: row.finished_at_ms ?? undefined,
  };
}
