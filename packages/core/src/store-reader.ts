// RunReader: the read-only interface tools (the CLI, the inspector) use on any store, SQLite or PostgreSQL.
// Paged run lists, counts, the runs `verify` replays and kept generations; no SQL and no writes here.
import type { EventRecord } from "./events.js";
import type {
  BlockedEpisodeRecord,
  PendingSignalRecord,
  RunRecord,
  RunSelection,
  RunStatus,
  ScheduleRecord,
  WaitInfo,
} from "./store.js";
import type { RunTags } from "./tags.js";

/**
 * One line of a run list: a run's row without its (possibly large) input, result and error.
 *
 * @example
 * const { runs } = await reader.runsPage({ statuses: ["waiting"], limit: 20 });
 * for (const run of runs) console.log(run.id, run.status, run.waitingFor?.kind);
 */
export interface RunSummary {
  readonly id: string;
  readonly workflow: string;
  /** The version of the workflow's definition the run started on. */
  readonly version: number;
  /** The run's current generation: 1, plus one per `continueAsNew`. */
  readonly generation: number;
  readonly status: RunStatus;
  readonly waitingFor?: WaitInfo | undefined;
  readonly wakeAtMs?: number | undefined;
  readonly parentId?: string | undefined;
  readonly cancelRequested: boolean;
  /** The run's tags; undefined when it has none. */
  readonly tags?: RunTags | undefined;
  /** The queue the run was started in, if any, and its key there. */
  readonly queue?: string | undefined;
  readonly queueKey?: string | undefined;
  /** The run's priority within its queue (0 unless set). */
  readonly priority?: number | undefined;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly finishedAtMs?: number | undefined;
}

/**
 * Where a page of runs continues: the `(createdAtMs, id)` of the last run of the page before. Keyset paging, so
 * that a deep page costs what the first one does, and runs created meanwhile never shift a page.
 *
 * @example
 * const next: RunPageCursor = { createdAtMs: 1767225600000, id: "order-1001" };
 */
export interface RunPageCursor {
  readonly createdAtMs: number;
  readonly id: string;
}

/**
 * Filters and position of `runsPage`: a RunSelection (statuses, workflow, version, parent, queue, tags, creation
 * window) plus id text. Every filter given must match (an empty `statuses` matches nothing).
 *
 * @example
 * const query: RunPageQuery = { statuses: ["failed", "blocked"], workflow: "order", limit: 50 };
 */
export interface RunPageQuery extends Omit<RunSelection, "finishedBeforeMs"> {
  /** Only runs whose id contains this text, ignoring the case of ASCII letters (a store may fold others too). */
  readonly idContains?: string | undefined;
  /** Start after this run (the `next` of the page before); the first page without it. */
  readonly after?: RunPageCursor | undefined;
  /** At most this many runs: a whole number from 1. */
  readonly limit: number;
}

/**
 * A page of runs and where the next one starts (undefined on the last page).
 *
 * @example
 * let page = await reader.runsPage({ limit: 100 });
 * while (page.next !== undefined) page = await reader.runsPage({ limit: 100, after: page.next });
 */
export interface RunPage<R = RunSummary> {
  readonly runs: readonly R[];
  readonly next?: RunPageCursor | undefined;
}

/**
 * A run `verify` replays: the version says which code replays it.
 *
 * @example
 * const code = catalog.get(run.workflow, run.version);
 */
export interface UnfinishedRunRecord {
  readonly id: string;
  readonly workflow: string;
  readonly version: number;
  readonly status: RunStatus;
}

/**
 * How many runs have each status; statuses without runs are 0.
 *
 * @example
 * const counts: RunStatusCounts = await reader.countRunsByStatus();
 * console.log(counts.waiting, counts.blocked);
 */
export type RunStatusCounts = Record<RunStatus, number>;

/**
 * What `queueStats` reads. Times are epoch ms on the caller's clock (the reader cannot know an engine's
 * rate-limit periods, so the caller says which window of starts to count).
 *
 * @example
 * const nowMs = Date.now();
 * const options: QueueStatsOptions = { nowMs, sinceMs: nowMs - 60_000, keysPerQueue: 5 };
 */
export interface QueueStatsOptions {
  /** What "due" is judged against: queued runs are due at or before it, delayed ones after. Default `Date.now()`. */
  readonly nowMs?: number | undefined;
  /** Count the execution starts recorded after this time. Default: one minute before `nowMs`. */
  readonly sinceMs?: number | undefined;
  /** At most this many keys per queue, the busiest first: a whole number from 0 (0: none). Default 10. */
  readonly keysPerQueue?: number | undefined;
  /** At most this many queues, in code-point order of name: a whole number from 1. Default 100. */
  readonly limit?: number | undefined;
}

/**
 * The runs of one key of a queue (see QueueStats).
 *
 * @example
 * for (const key of stats.keys) console.log(key.key, key.running, key.queued);
 */
export interface QueueKeyStats {
  readonly key: string;
  readonly running: number;
  readonly queued: number;
}

/**
 * One queue as `queueStats` sees it.
 *
 * @example
 * const { queues } = await reader.queueStats();
 * for (const q of queues) console.log(q.name, q.running, q.queued, q.delayed, q.startsSince);
 */
export interface QueueStats {
  readonly name: string;
  /**
   * Runs of the queue with status `running`: executing, or left so by an engine that stopped (until another
   * engine takes the run over once its lease has run out).
   */
  readonly running: number;
  /**
   * Runs of the queue due at or before `nowMs` and not running: what claims take as slots free up (new starts,
   * and runs whose sleep, signal or child is over).
   */
  readonly queued: number;
  /** Pending runs of the queue due after `nowMs`: delayed starts (`startAt`, `delay`). */
  readonly delayed: number;
  /** Execution starts recorded for the queue's rate limits after `sinceMs` (only queues with a rate limit record them). */
  readonly startsSince: number;
  /**
   * The busiest keys of the queue (running + queued, descending; ties in code-point order of key), at most
   * `keysPerQueue`; keys with neither running nor queued runs are left out.
   */
  readonly keys: readonly QueueKeyStats[];
}

/**
 * What `queueStats` returns: the queues and the times their counts were judged by.
 *
 * @example
 * const report: QueueStatsReport = await reader.queueStats({ limit: 20 });
 * if (report.more) console.log("more queues than shown");
 */
export interface QueueStatsReport {
  readonly nowMs: number;
  readonly sinceMs: number;
  readonly queues: readonly QueueStats[];
  /** Whether the store has more queues than `limit`. */
  readonly more: boolean;
}

/**
 * What tools read from a store, on any backend. Read-only: no method writes. `SqliteStore` and `PostgresStore`
 * implement it themselves (`const reader: RunReader = store`); `SqliteRunReader.open(filename)` reads a SQLite
 * file on a read-only connection. `describeRunReaderConformance` (@reprise/store-conformance) checks an
 * implementation.
 *
 * Each method is one read and sees one consistent state of the store; two calls may see different states (a
 * run listed on one page may have finished by the time its events are read). Keyset pages never skip or repeat a
 * run that exists throughout the walk.
 *
 * `getRun`, `readEvents`, `blockedEpisodes`, `pendingSignals` and `listSchedules` are the Store methods of those
 * names.
 *
 * @example
 * const reader: RunReader = await SqliteStore.open({ filename: "reprise.db" });
 * const page = await reader.runsPage({ statuses: ["waiting"], limit: 50 });
 * const more = await reader.runsPage({ statuses: ["waiting"], limit: 50, after: page.next });
 * const counts = await reader.countRunsByStatus("order");
 */
export interface RunReader {
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** As Store.readEvents: the current generation's events, or those of `generation` (`[]` when not kept). */
  readEvents(runId: string, afterSeq?: number, generation?: number): Promise<EventRecord[]>;
  blockedEpisodes(runId: string): Promise<BlockedEpisodeRecord[]>;
  pendingSignals(runId: string, limit: number): Promise<PendingSignalRecord[]>;
  /** Runs matching the query, newest first (`createdAtMs` descending, then `id` descending), after `query.after`. */
  runsPage(query: RunPageQuery): Promise<RunPage>;
  /** How many runs have each status, of one workflow when `workflow` is given. */
  countRunsByStatus(workflow?: string): Promise<RunStatusCounts>;
  /** As Store.countRuns: how many runs match the selection (tags, statuses, ...), per status. */
  countRuns(selection: RunSelection): Promise<RunStatusCounts>;
  /** Names of the workflows that have runs, sorted by code unit, at most `limit`. */
  workflowsWithRuns(limit: number): Promise<string[]>;
  /**
   * Runs not finished (pending, running, sleeping, waiting, blocked), oldest first (`createdAtMs`, then `id`),
   * after `after`, at most `limit`; `next` continues the walk (undefined once there are no more).
   */
  unfinishedRuns(after: RunPageCursor | undefined, limit: number): Promise<RunPage<UnfinishedRunRecord>>;
  /**
   * The earlier generations of a run whose events are still kept, ascending (each readable with
   * `readEvents(runId, 0, generation)`): `[]` for a run that never continued as new, and for an unknown run.
   */
  keptGenerations(runId: string): Promise<number[]>;
  /**
   * The highest version of `workflow` an engine has served on this store (`registerWorkflows`), if any: what a
   * run started by name, without the workflow's code at hand, should start on.
   */
  highestServedVersion(workflow: string): Promise<number | undefined>;
  /** As Store.listSchedules: schedules in code-point order of id, after `afterId`, at most `limit`. */
  listSchedules(afterId: string | undefined, limit: number): Promise<ScheduleRecord[]>;
  /**
   * Every queue runs were created in (code-point order of name, at most `limit`), with its running, queued and
   * delayed runs, its busiest keys and its execution starts since `sinceMs`. One consistent read; its cost grows
   * with the queues' unfinished runs, never with the store's finished ones.
   */
  queueStats(options?: QueueStatsOptions): Promise<QueueStatsReport>;
  close(): Promise<void>;
}

/**
 * Statuses a run can still leave, as `unfinishedRuns` selects them.
 *
 * @example
 * if (UNFINISHED_STATUSES.includes(run.status)) console.log("in flight");
 */
export const UNFINISHED_STATUSES: readonly RunStatus[] = Object.freeze([
  "pending",
  "running",
  "sleeping",
  "waiting",
  "blocked",
]);

/**
 * Every status at 0: what a store fills in from its per-status counts.
 *
 * @example
 * const counts = zeroStatusCounts();
 * counts.waiting = 3;
 */
export function zeroStatusCounts(): RunStatusCounts {
  return { pending: 0, running: 0, sleeping: 0, waiting: 0, completed: 0, failed: 0, cancelled: 0, blocked: 0 };
}
