// Shaping rows a store reads for `exportRuns` into a RunExport's parts, the same way on every backend.
// Pure functions over plain objects: no statements, no store.
import type { EventRecord } from "./events.js";
import type { ExportedSignal, RunExport } from "./run-transfer.js";
import { waitName } from "./stored-waits.js";
import type { BlockedEpisodeEnd, BlockedEpisodeRecord } from "./store.js";

/**
 * Groups rows by a key, keeping their order within each group.
 *
 * @example
 * const eventsOfRun = groupRows(eventRows, (row) => row.runKey);
 */
export function groupRows<T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [row]);
    else group.push(row);
  }
  return groups;
}

/**
 * An event row (with whatever extra columns a query selected) as a plain EventRecord.
 *
 * @example
 * const events = rows.map(toEventRecord);
 */
export function toEventRecord(row: EventRecord): EventRecord {
  return { seq: row.seq, type: row.type, atMs: row.atMs, data: row.data };
}

/**
 * Archived event rows of one run, ordered by (generation, seq), as one entry per generation.
 *
 * @example
 * const earlier = archivedGenerations(rows); // [{ generation: 1, events: [...] }, { generation: 2, events: [...] }]
 */
export function archivedGenerations(
  rows: readonly (EventRecord & { readonly generation: number })[],
): { generation: number; events: EventRecord[] }[] {
  const generations: { generation: number; events: EventRecord[] }[] = [];
  for (const row of rows) {
    let current = generations.at(-1);
    if (current?.generation !== row.generation) {
      current = { generation: row.generation, events: [] };
      generations.push(current);
    }
    current.events.push(toEventRecord(row));
  }
  return generations;
}

/** A `run_blocks` row as stores select it (`blockedAtMs`, `lastSeq`, ... aliases; NULL for an open episode). */
export interface BlockedEpisodeRow {
  readonly blockedAtMs: number;
  readonly lastSeq: number;
  readonly reason: string;
  readonly endedAtMs: number | null;
  readonly endedBy: string | null;
}

/**
 * A blocked episode's row as the Store contract's BlockedEpisodeRecord.
 *
 * @example
 * const episodes = rows.map(toBlockedEpisode);
 */
export function toBlockedEpisode(row: BlockedEpisodeRow): BlockedEpisodeRecord {
  return {
    blockedAtMs: row.blockedAtMs,
    lastSeq: row.lastSeq,
    reason: row.reason,
    endedAtMs: row.endedAtMs ?? undefined,
    endedBy: row.endedBy === null ? undefined : (row.endedBy as BlockedEpisodeEnd),
  };
}

/** A `signals` row as `exportRuns` selects it (`consumedSeq` NULL while the signal waits in the inbox). */
export interface SignalRow {
  readonly signalId: string;
  readonly name: string;
  readonly payload: string;
  readonly sentAtMs: number;
  readonly consumedSeq: number | null;
}

/**
 * A signal row as a RunExport's ExportedSignal.
 *
 * @example
 * const signals = rows.map(toExportedSignal);
 */
export function toExportedSignal(row: SignalRow): ExportedSignal {
  return {
    signalId: row.signalId,
    name: row.name,
    payload: row.payload,
    sentAtMs: row.sentAtMs,
    consumedSeq: row.consumedSeq ?? undefined,
  };
}

/**
 * The `runs` columns of an exported run that every store writes alike on import: no lease, and everything else as
 * the export has it. Flags are booleans and wake lists arrays (or null): a store converts them to its own types,
 * and adds what it assigns itself (`run_key`, `finished_seq`).
 *
 * @example
 * const row = { ...importedRunColumns(run), cancel_requested: columns.cancel_requested ? 1 : 0 };
 */
export function importedRunColumns(run: RunExport) {
  const { record } = run;
  const list = (values: readonly string[] | undefined) =>
    values !== undefined && values.length > 0 ? [...values] : null;
  return {
    id: record.id,
    workflow: record.workflow,
    version: record.version,
    generation: record.generation,
    status: record.status,
    input: record.input,
    result: record.result ?? null,
    error: record.error ?? null,
    wait_kind: record.waitingFor?.kind ?? null,
    wait_name: waitName(record.waitingFor) ?? null,
    wake_at_ms: record.wakeAtMs ?? null,
    due_at_ms: run.dueAtMs ?? null,
    lease_owner: null,
    lease_expires_at_ms: null,
    reason: record.reason ?? null,
    cancel_requested: record.cancelRequested,
    cancel_reason: record.cancelReason ?? null,
    last_seq: record.lastSeq,
    created_at_ms: record.createdAtMs,
    updated_at_ms: record.updatedAtMs,
    finished_at_ms: record.finishedAtMs ?? null,
    wake_signals: list(record.wake?.signals),
    wake_children: list(record.wake?.children),
    parent_id: record.parentId ?? null,
    cancel_with_parent: run.cancelWithParent,
    queue: record.queue ?? null,
    queue_key: record.queueKey ?? null,
    priority: record.priority ?? 0,
    tags: record.tags !== undefined && Object.keys(record.tags).length > 0 ? JSON.stringify(record.tags) : null,
  };
}
