// Shaping rows a store reads for `exportRuns` into a RunExport's parts, the same way on every backend.
// Pure functions over plain objects: no statements, no store.
import type { EventRecord } from "./events.js";
import type { ExportedSignal } from "./run-transfer.js";
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
