// Moving runs between stores (`reprise copy`): a run's whole stored state as plain data, and the two halves of
// the move. Store-independent: a SQLite export imports into PostgreSQL unchanged, and the reverse. No SQL here.
import type { EventRecord } from "./events.js";
import type { RunPage, RunPageCursor } from "./store-reader.js";
import type { BlockedEpisodeRecord, RunRecord } from "./store.js";

/**
 * A signal in a run's inbox as exported: consumed ones keep the seq of their `signal_received` event, so replay
 * on the target store finds the same inbox it had on the source.
 *
 * @example
 * const signal: ExportedSignal = { signalId: "webhook-42", name: "shipped", payload: "{...}", sentAtMs: 1767225600000 };
 */
export interface ExportedSignal {
  readonly signalId: string;
  readonly name: string;
  /** The payload, still encoded. */
  readonly payload: string;
  readonly sentAtMs: number;
  /** The seq of the `signal_received` event that consumed it; undefined while it waits in the inbox. */
  readonly consumedSeq?: number | undefined;
}

/**
 * Everything a store keeps of one run, as plain data: its record, the events of every generation still kept, its
 * inbox (in delivery order), its blocked episodes and what schedules it. What `exportRuns` reads and
 * `importRuns` writes; values stay encoded text, so nothing is decoded or re-encoded on the way.
 *
 * A lease is never carried over: an imported run is free for any engine on the target to claim when it is due.
 *
 * @example
 * const { runs } = await source.exportRuns(undefined, 100);
 * for (const run of runs) console.log(run.record.id, run.events.length, run.signals.length);
 */
export interface RunExport {
  /** The run's record, as `getRun` returns it. */
  readonly record: RunRecord;
  /** When an engine should pick the run up; undefined while only a signal, a child or a cancellation can move it. */
  readonly dueAtMs?: number | undefined;
  /** Whether cancelling its parent cancels this run (`onParentCancel: "cancel"`). */
  readonly cancelWithParent: boolean;
  /**
   * The lease the run held when it was read, if that lease had not yet expired by the store's lease clock: an
   * engine may still be executing the run on the source. Never imported.
   */
  readonly liveLease?: { readonly owner: string; readonly expiresAtMs: number } | undefined;
  /** The current generation's events, in seq order. */
  readonly events: readonly EventRecord[];
  /** Earlier generations whose events are kept (`continueAsNew`), ascending, each in seq order. */
  readonly earlierGenerations: readonly { readonly generation: number; readonly events: readonly EventRecord[] }[];
  /** The run's inbox, consumed and waiting signals, in the order they were delivered to it. */
  readonly signals: readonly ExportedSignal[];
  /** The episodes during which the run was blocked, in order. */
  readonly blockedEpisodes: readonly BlockedEpisodeRecord[];
}

/**
 * Reading runs out of a store whole: implemented by `SqliteStore`, `SqliteRunReader` (read-only) and
 * `PostgresStore`.
 *
 * @example
 * let page = await source.exportRuns(undefined, 100);
 * while (page.next !== undefined) page = await source.exportRuns(page.next, 100);
 */
export interface RunExporter {
  /**
   * Runs oldest first (`createdAtMs`, then `id`), after `after`, at most `limit` (a whole number from 1), each
   * with its whole stored state; `next` continues the walk (undefined once there are no more). Each page is one
   * consistent read.
   */
  exportRuns(after: RunPageCursor | undefined, limit: number): Promise<RunPage<RunExport>>;
}

/**
 * Writing exported runs into a store: implemented by `SqliteStore` and `PostgresStore`.
 *
 * @example
 * const taken = await target.existingRunIds(page.runs.map((run) => run.record.id));
 * if (taken.length === 0) await target.importRuns(page.runs);
 */
export interface RunImporter {
  /** Which of `runIds` the store already holds, in the order given. */
  existingRunIds(runIds: readonly string[]): Promise<string[]>;
  /**
   * Writes the runs with everything they carry, in one transaction: all of them, or none. Throws
   * RunsAlreadyExistError, writing nothing, when the store already holds any of their ids. A run keeps its id,
   * status, times, events of every generation, inbox and blocked episodes; it holds no lease, so an engine on
   * this store claims it when it is due (a run that was running when exported is due at once). Runs that ended
   * take their places in the store's order of endings (`finishedRunsSince`) in the order given.
   */
  importRuns(runs: readonly RunExport[]): Promise<void>;
}
