// SqliteStore: the Store contract on one better-sqlite3 connection (WAL, synchronous=FULL, BEGIN IMMEDIATE).
// Every method is one synchronous transaction, so no await ever splits a write; driver errors become StoreErrors.
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import {
  FINISHED_STATUSES,
  LeaseLostError,
  RunFinishedError,
  RunNotBlockedError,
  RunNotFoundError,
  RepriseError,
  StoreError,
  type BlockedEpisodeRecord,
  type ClaimRequest,
  RunIdConflictError,
  type EventRecord,
  type FinishedRunsPage,
  type LeaseHolder,
  type LeaseStatus,
  type NewRun,
  type NewSignal,
  type ParkedRunBlock,
  type ParkedRunsPage,
  type PendingSignalRecord,
  type RunCommit,
  type RunFilter,
  type RunSelection,
  type CancelManyRequest,
  type PurgeRequest,
  type RunOutcomeRecord,
  type RunRecord,
  type RunStatus,
  type ServedWorkflow,
  type QueueLimits,
  type SignalRecord,
  type Store,
  type RunPage,
  type RunPageCursor,
  type RunPageQuery,
  type QueueStatsOptions,
  type QueueStatsReport,
  type RunReader,
  type RunStatusCounts,
  type UnfinishedRunRecord,
  type RunExport,
  type RunExporter,
  type RunImporter,
  type NewSchedule,
  type ScheduleRecord,
  type ScheduleUpdate,
  type ScheduleUpdateResult,
} from "@reprise/core";
import { toBlockedEpisode } from "@reprise/core/internal";
import { DatabaseFileGuard } from "./database-file-guard.js";
import { GroupCommit } from "./group-commit.js";
import { openBlockedEpisode, writeCommit } from "./run-commit.js";
import { cancelWithChildren } from "./run-cancellation.js";
import { insertEvents } from "./run-events.js";
import { createRunRow } from "./run-creation.js";
import {
  toFinishedRecord,
  toOutcomeRecord,
  toRecord,
  type FinishedRow,
  type OutcomeRow,
  type RunRow,
  type WriteRow,
} from "./run-rows.js";
import { migrate } from "./migrations.js";
import { SqliteRunQueries, checkLimit } from "./run-reader.js";
import { SqliteRunTransfer } from "./run-transfer.js";
import { cancelManyBatch, purgeBatch } from "./run-bulk.js";
import { runColumnList, selectionQuery } from "./run-selection.js";
import { ScheduleRows } from "./schedule-rows.js";
import { PreparedStatements, RUN_COLUMNS } from "./statements.js";
import { QueueClaims } from "./queue-claims.js";
import { resolveSqliteStoreOptions, type SqliteStoreOptions } from "./sqlite-store-options.js";

/** Counters of `SqliteStore.stats()`. */
export interface SqliteStoreStats {
  /** Write transactions committed (BEGIN IMMEDIATE … COMMIT); one carries many writes under load. */
  readonly transactions: number;
  /** Store writes committed: each call of a write method (createRun, commit, sendSignal, claimDueRuns, ...). */
  readonly writes: number;
  /** Writes that threw (e.g. LeaseLostError) and were rolled back without affecting the rest of their batch. */
  readonly failedWrites: number;
  /** SQL statements executed through the prepared-statement cache (reads and writes, not BEGIN/COMMIT). */
  readonly statements: number;
  /**
   * Checks that the database file (and, at most every `fileCheckIntervalMs`, its WAL) is still the file the store
   * opened: one per committed write transaction, never per write; always 0 for ":memory:".
   */
  readonly fileChecks: number;
}

/**
 * The SQLite event log. Several engines, in one process or many, may open the same file.
 *
 * @example
 * const store = await SqliteStore.open({ filename: "reprise.db" });
 * const engine = createEngine({ store, workflows: [greet] });
 * // ...
 * await engine.close();
 * await store.close();
 */
export class SqliteStore implements Store, RunReader, RunExporter, RunImporter {
  readonly filename: string;
  readonly #db: BetterSqlite3.Database;
  readonly #statements: PreparedStatements;
  /** Claims and due times with queues (queue-claims.ts). */
  readonly #queueClaims: QueueClaims;
  readonly #group: GroupCommit;
  /** The RunReader queries tools use (run-reader.ts), on this store's connection. */
  readonly #runQueries: SqliteRunQueries;
  /** Whole runs in and out (run-transfer.ts): `reprise copy`. */
  readonly #transfer: SqliteRunTransfer;
  /** The schedules table's statements (schedule-rows.ts), on this store's connection. */
  readonly #schedules: ScheduleRows;
  /** Checks the files this store opened after each commit; undefined for ":memory:", which has no file to lose. */
  readonly #fileGuard: DatabaseFileGuard | undefined;
  #closed = false;

  private constructor(db: BetterSqlite3.Database, filename: string, fileCheckIntervalMs: number | undefined) {
    this.#db = db;
    this.filename = filename;
    this.#statements = new PreparedStatements(db);
    this.#queueClaims = new QueueClaims(db);
    this.#runQueries = new SqliteRunQueries(db);
    this.#transfer = new SqliteRunTransfer(db, this.#statements);
    this.#schedules = new ScheduleRows(db);
    const guard =
      fileCheckIntervalMs === undefined
        ? undefined
        : DatabaseFileGuard.record(filename, fileCheckIntervalMs, () => this.#checkpointQuietly());
    this.#fileGuard = guard;
    this.#group = new GroupCommit(db, {
      afterCommit: guard === undefined ? undefined : () => guard.afterCommit(),
      afterDiskFull: () => this.#giveBackWalSpace(),
    });
  }

  /** Opens (creating or migrating as needed) a store. Rejects with StoreError for files it cannot use. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const { filename, synchronous, busyTimeoutMs, walAutocheckpointPages, journalSizeLimitBytes, fileCheckIntervalMs } =
      resolveSqliteStoreOptions(options);
    const inMemory = filename === ":memory:";
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Database(filename, { timeout: busyTimeoutMs });
      if (!inMemory) db.pragma("journal_mode = WAL");
      // better-sqlite3 builds SQLite with synchronous=NORMAL for WAL; durable means FULL unless asked otherwise.
      db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
      // The committing connection checkpoints the WAL every walAutocheckpointPages pages and then rewrites it from
      // its start, cut back to journalSizeLimitBytes: the WAL stays about that size instead of keeping the size of
      // the largest transaction it ever held. A smaller interval bounds it tighter but makes commits slower.
      // Measured here, turning checkpoints off or moving them to another thread made commits slower, not faster:
      // a WAL that is recycled after each checkpoint is rewritten in place, while one that keeps growing makes every
      // fsync also commit file-size metadata. See
      // docs/performance.md ("WAL checkpoints") and docs/operations.md ("Disk space and the WAL").
      db.pragma(`wal_autocheckpoint = ${walAutocheckpointPages}`);
      db.pragma(`journal_size_limit = ${journalSizeLimitBytes}`);
      migrate(db, filename);
      // The files' identity is recorded once SQLite has read the file in WAL mode, so that its -wal exists too.
      return new SqliteStore(db, filename, inMemory ? undefined : fileCheckIntervalMs);
    } catch (error) {
      db?.close();
      if (error instanceof RepriseError) throw error;
      throw new StoreError(`Cannot open '${filename}' as a Reprise store: ${describe(error)}`, { cause: error });
    }
  }

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    return this.#write("create a run", () => createRunRow(this.#statements, run));
  }

  async createRuns(runs: readonly NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    if (runs.length === 0) return [];
    // One write: every run or none. A conflict throws inside it, which undoes the write alone (group-commit.ts).
    return this.#write("create runs", () =>
      runs.map((run) => {
        const answer = createRunRow(this.#statements, run);
        if (!answer.created && answer.run.workflow !== run.workflow) {
          throw new RunIdConflictError(run.id, answer.run.workflow, run.workflow);
        }
        return answer;
      }),
    );
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#read("read a run", () => {
      const row = this.#statements.get<RunRow>("getRun", { id: runId });
      return row === undefined ? undefined : toRecord(row);
    });
  }

  async getRunOutcome(runId: string): Promise<RunOutcomeRecord | undefined> {
    return this.#read("read a run's outcome", () => {
      const row = this.#statements.get<OutcomeRow>("getRunOutcome", { id: runId });
      return row === undefined ? undefined : toOutcomeRecord(row);
    });
  }

  async finishedRunsSince(cursor: number, limit: number): Promise<FinishedRunsPage> {
    return this.#read("read the runs that finished", () => {
      const rows =
        limit <= 0 ? [] : this.#statements.all<FinishedRow>("finishedRunsSince", { cursor, limit: Math.floor(limit) });
      const last = rows.at(-1);
      if (last !== undefined) {
        return { runs: rows.map(toFinishedRecord), cursor: last.finished_seq };
      }
      // Nothing after the cursor: with a limit, the latest position is the cursor itself (or older), so only a
      // zero limit ("where is now?") needs to look it up.
      if (limit > 0) return { runs: [], cursor };
      const latest = this.#statements.get<{ latest: number | null }>("latestFinishedSeq", {})?.latest ?? 0;
      return { runs: [], cursor: Math.max(cursor, latest) };
    });
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#read("list runs", () => {
      const { after, limit, ...selection } = filter;
      const query = selectionQuery(selection, { columns: runColumnList(RUN_COLUMNS), after, limit });
      return this.#statements.allDynamic<RunRow>(query.sql, query.parameters).map(toRecord);
    });
  }

  async countRuns(selection: RunSelection): Promise<RunStatusCounts> {
    return this.#read("count runs", () => this.#runQueries.countRuns(selection));
  }

  async requestCancelMany(
    request: CancelManyRequest,
  ): Promise<{ runIds: string[]; last?: { createdAtMs: number; id: string } }> {
    return this.#write("cancel runs", () => cancelManyBatch(this.#statements, request));
  }

  async purgeRuns(request: PurgeRequest): Promise<number> {
    return this.#write("purge finished runs", () => purgeBatch(this.#statements, request));
  }

  async readEvents(runId: string, afterSeq = 0, generation?: number): Promise<EventRecord[]> {
    return this.#read("read events", () => {
      // The type column holds what the engine wrote; decodeEvent validates it like every other field.
      if (generation === undefined) return this.#statements.all<EventRecord>("readEvents", { runId, afterSeq });
      const run = this.#statements.get<{ run_key: number; generation: number }>("runGeneration", { runId });
      if (run === undefined) return [];
      if (run.generation === generation) return this.#statements.all<EventRecord>("readEvents", { runId, afterSeq });
      return this.#statements.all<EventRecord>("readArchivedEvents", { runKey: run.run_key, generation, afterSeq });
    });
  }

  async commit(commit: RunCommit): Promise<void> {
    return this.#write("commit events", () => writeCommit(this.#statements, commit));
  }

  async sendSignal(signal: NewSignal): Promise<{ duplicate: boolean }> {
    return this.#write("store a signal", () => {
      const row = this.#statements.get<WriteRow>("getRunForWrite", { id: signal.runId });
      if (row === undefined) throw new RunNotFoundError(signal.runId);
      if (FINISHED_STATUSES.has(row.status as RunStatus)) {
        // A resend of a signal this run already stored is acknowledged again, even after the run ended:
        // the sender's first acknowledgement may have been lost, and the signal did arrive.
        const known = this.#statements.get("signalExists", { runId: signal.runId, signalId: signal.signalId });
        if (known !== undefined) return { duplicate: true };
        throw new RunFinishedError(signal.runId, row.status, `send signal '${signal.name}' to`);
      }
      const inserted = this.#statements.run("insertSignal", signal).changes === 1;
      if (inserted)
        this.#statements.run("wakeSignalWaiter", { runId: signal.runId, name: signal.name, nowMs: signal.nowMs });
      return { duplicate: !inserted };
    });
  }

  async nextSignal(runId: string, name: string, afterPosition: number): Promise<SignalRecord | undefined> {
    return this.#read("read a signal", () => {
      const row = this.#statements.get<{
        position: number;
        signal_id: string;
        name: string;
        payload: string;
        sent_at_ms: number;
      }>("nextSignal", { runId, name, afterPosition });
      if (row === undefined) return undefined;
      return {
        position: row.position,
        signalId: row.signal_id,
        name: row.name,
        payload: row.payload,
        sentAtMs: row.sent_at_ms,
      };
    });
  }

  async pendingSignals(runId: string, limit: number): Promise<PendingSignalRecord[]> {
    return this.#read("read a run's pending signals", () =>
      this.#statements.all<PendingSignalRecord>("pendingSignals", { runId, limit }),
    );
  }

  async childrenOf(runId: string, limit: number): Promise<string[]> {
    return this.#read("list a run's children", () =>
      this.#statements.all<{ id: string }>("childrenOf", { parentId: runId, limit }).map((row) => row.id),
    );
  }

  async requestCancel(runId: string, reason: string | undefined, nowMs: number): Promise<void> {
    return this.#write("request a cancellation", () => {
      const row = this.#statements.get<WriteRow>("getRunForWrite", { id: runId });
      if (row === undefined) throw new RunNotFoundError(runId);
      if (FINISHED_STATUSES.has(row.status as RunStatus)) throw new RunFinishedError(runId, row.status, "cancel");
      if (row.cancel_requested === 1) return;
      cancelWithChildren(this.#statements, runId, reason, nowMs);
    });
  }

  async claimDueRuns(request: ClaimRequest): Promise<RunRecord[]> {
    if (request.workflows.length === 0 || request.limit <= 0) return [];
    return this.#write("claim due runs", () => {
      const workflows = servedJson(request.workflows);
      // Inside BEGIN IMMEDIATE: no other process writes between counting a queue's runs and taking them.
      const queues = this.#queueClaims.queueNames();
      if (queues.length > 0) return this.#queueClaims.claim(request, queues, workflows);
      return this.#statements
        .all<RunRow>("claimDueRuns", {
          owner: request.owner,
          nowMs: request.nowMs,
          leaseUntilMs: request.nowMs + request.leaseMs,
          limit: request.limit,
          workflows,
        })
        .map(toRecord);
    });
  }

  async setPriority(runIds: readonly string[], priority: number, nowMs: number): Promise<string[]> {
    if (runIds.length === 0) return [];
    return this.#write("change run priorities", () =>
      this.#statements
        .all<{ id: string }>("setPriority", { ids: JSON.stringify(runIds), priority, nowMs })
        .map((row) => row.id),
    );
  }

  async renewLeases(owner: string, runIds: readonly string[], nowMs: number, leaseMs: number): Promise<LeaseStatus[]> {
    if (runIds.length === 0) return [];
    return this.#write("renew leases", () =>
      this.#statements
        .all<{ id: string; cancel_requested: number; cancel_reason: string | null }>("renewLeases", {
          owner,
          runIds: JSON.stringify(runIds),
          leaseUntilMs: nowMs + leaseMs,
        })
        .map((row) => ({
          runId: row.id,
          cancelRequested: row.cancel_requested === 1,
          cancelReason: row.cancel_reason ?? undefined,
        })),
    );
  }

  async releaseLeases(owner: string, runIds: readonly string[], nowMs: number): Promise<void> {
    if (runIds.length === 0) return;
    return this.#write("release leases", () => {
      this.#statements.run("releaseLeases", { owner, runIds: JSON.stringify(runIds), nowMs });
    });
  }

  async registerLeaseHolder(holder: LeaseHolder, nowMs: number): Promise<void> {
    return this.#write("record a lease holder", () => {
      this.#statements.run("registerLeaseHolder", {
        owner: holder.owner,
        host: holder.host,
        machineId: holder.machineId,
        bootId: holder.bootId,
        pidNamespace: holder.pidNamespace,
        pid: holder.pid,
        nowMs,
      });
    });
  }

  async leaseHoldersOn(host: string): Promise<LeaseHolder[]> {
    return this.#read("read the lease holders", () =>
      this.#statements
        .all<{
          owner: string;
          host: string;
          machine_id: string | null;
          boot_id: string | null;
          pid_namespace: string | null;
          pid: number;
        }>("leaseHoldersOn", { host })
        .map((row) => ({
          owner: row.owner,
          host: row.host,
          machineId: row.machine_id ?? undefined,
          bootId: row.boot_id ?? undefined,
          pidNamespace: row.pid_namespace ?? undefined,
          pid: row.pid,
        })),
    );
  }

  async expireLeasesOf(owners: readonly string[], nowMs: number): Promise<number> {
    if (owners.length === 0) return 0;
    return this.#write("expire the leases of dead engines", () => {
      const json = JSON.stringify(owners);
      const expired = this.#statements.run("expireLeasesOf", { owners: json, nowMs }).changes;
      this.#statements.run("forgetLeaseHolders", { owners: json });
      return expired;
    });
  }

  async nextDueAtMs(
    workflows: readonly ServedWorkflow[],
    limits?: { readonly queues: Readonly<Record<string, QueueLimits>>; readonly nowMs: number },
  ): Promise<number | undefined> {
    if (workflows.length === 0) return undefined;
    return this.#read("find the next due run", () => {
      const queues = limits === undefined ? [] : this.#queueClaims.queueNames();
      if (limits !== undefined && queues.length > 0) {
        return this.#queueClaims.nextDueAtMs(queues, limits.queues, limits.nowMs, servedJson(workflows));
      }
      const row = this.#statements.get<{ due_at_ms: number }>("nextDue", { workflows: servedJson(workflows) });
      return row?.due_at_ms;
    });
  }

  async parkedRuns(workflows: readonly ServedWorkflow[], cursor: number, limit: number): Promise<ParkedRunsPage> {
    if (workflows.length === 0 || limit <= 0) return { runs: [], cursor };
    return this.#read("read parked runs", () => {
      const rows = this.#statements.all<RunRow & { run_key: number }>("parkedRuns", {
        workflows: servedJson(workflows),
        cursor,
        limit: Math.floor(limit),
      });
      return { runs: rows.map(toRecord), cursor: rows.at(-1)?.run_key ?? cursor };
    });
  }

  async blockParkedRun(block: ParkedRunBlock): Promise<boolean> {
    return this.#write("block a parked run", () => {
      const { runId: id, expectedLastSeq, reason, error, nowMs } = block;
      const row = this.#statements.get<{ run_key: number }>("blockParkedRun", {
        id,
        expectedLastSeq,
        reason,
        error,
        nowMs,
      });
      if (row === undefined) return false;
      openBlockedEpisode(this.#statements, row.run_key, nowMs, expectedLastSeq, reason);
      return true;
    });
  }

  async retryBlockedRuns(workflows: readonly ServedWorkflow[], nowMs: number): Promise<number> {
    if (workflows.length === 0) return 0;
    return this.#write("retry blocked runs", () => {
      const args = { workflows: servedJson(workflows), nowMs };
      this.#statements.run("closeRetriedBlockedEpisodes", args);
      return this.#statements.run("retryBlockedRuns", args).changes;
    });
  }

  async blockedEpisodes(runId: string): Promise<BlockedEpisodeRecord[]> {
    return this.#read("read a run's blocked episodes", () =>
      this.#statements
        .all<{
          blockedAtMs: number;
          lastSeq: number;
          reason: string;
          endedAtMs: number | null;
          endedBy: string | null;
        }>("blockedEpisodes", { runId })
        .map(toBlockedEpisode),
    );
  }

  // RunReader (see run-reader.ts): what tools read besides the Store methods above.

  async runsPage(query: RunPageQuery): Promise<RunPage> {
    return this.#read("list runs", () => this.#runQueries.runsPage(query));
  }

  async countRunsByStatus(workflow?: string): Promise<RunStatusCounts> {
    return this.#read("count runs", () => this.#runQueries.countRunsByStatus(workflow));
  }

  async workflowsWithRuns(limit: number): Promise<string[]> {
    return this.#read("list workflows", () => this.#runQueries.workflowsWithRuns(limit));
  }

  async unfinishedRuns(after: RunPageCursor | undefined, limit: number): Promise<RunPage<UnfinishedRunRecord>> {
    return this.#read("list unfinished runs", () => this.#runQueries.unfinishedRuns(after, limit));
  }

  async keptGenerations(runId: string): Promise<number[]> {
    return this.#read("list a run's generations", () => this.#runQueries.keptGenerations(runId));
  }

  async highestServedVersion(workflow: string): Promise<number | undefined> {
    return this.#read("read the workflow registry", () => this.#runQueries.highestServedVersion(workflow));
  }

  async queueStats(options?: QueueStatsOptions): Promise<QueueStatsReport> {
    return this.#read("read the queues", () => this.#runQueries.queueStats(options));
  }

  // RunExporter and RunImporter (see run-transfer.ts): whole runs out of and into this store.

  async exportRuns(after: RunPageCursor | undefined, limit: number): Promise<RunPage<RunExport>> {
    const max = checkLimit(limit, "exportRuns");
    // Leases are judged by this host's clock, the clock SQLite engines pass as nowMs.
    return this.#read("export runs", () => this.#transfer.exportRuns(after, max, Date.now()));
  }

  async existingRunIds(runIds: readonly string[]): Promise<string[]> {
    return this.#read("look up run ids", () => this.#transfer.existingRunIds(runIds));
  }

  async importRuns(runs: readonly RunExport[]): Promise<void> {
    if (runs.length === 0) return;
    return this.#write("import runs", () => this.#transfer.importRuns(runs));
  }

  async forceCancelBlocked(
    runId: string,
    event: EventRecord,
    reason: string | undefined,
    nowMs: number,
  ): Promise<void> {
    return this.#write("force-cancel a blocked run", () => {
      const row = this.#statements.get<WriteRow>("getRunForWrite", { id: runId });
      if (row === undefined) throw new RunNotFoundError(runId);
      if (FINISHED_STATUSES.has(row.status as RunStatus)) throw new RunFinishedError(runId, row.status, "cancel");
      if (row.status !== "blocked") throw new RunNotBlockedError(runId, row.status);
      const expectedLastSeq = event.seq - 1;
      const ended = this.#statements.get<{ run_key: number; parent_id: string | null }>("forceCancelRun", {
        id: runId,
        expectedLastSeq,
        lastSeq: event.seq,
        reason,
        nowMs,
      });
      // Still blocked, but its log moved on since the caller read it: the caller must look again.
      if (ended === undefined) throw new LeaseLostError(runId, "forceCancelBlocked");
      insertEvents(this.#statements, ended.run_key, [event]);
      this.#statements.run("closeForceCancelledEpisode", { runKey: ended.run_key, nowMs });
      cancelWithChildren(this.#statements, runId, reason, nowMs);
      if (ended.parent_id !== null) {
        this.#statements.run("wakeParent", { parentId: ended.parent_id, childId: runId, nowMs });
      }
    });
  }

  async registerWorkflows(workflows: readonly ServedWorkflow[], nowMs: number): Promise<void> {
    return this.#write("register workflows", () => {
      for (const { name, version } of workflows) this.#statements.run("registerWorkflow", { name, version, nowMs });
    });
  }

  async workflowLastSeenAtMs(workflow: string, version?: number): Promise<number | undefined> {
    return this.#read("read the workflow registry", () => {
      const row =
        version === undefined
          ? this.#statements.get<{ last_seen_at_ms: number | null }>("workflowLastSeen", { name: workflow })
          : this.#statements.get<{ last_seen_at_ms: number }>("workflowVersionLastSeen", { name: workflow, version });
      return row?.last_seen_at_ms ?? undefined;
    });
  }

  // Schedules (schedule-rows.ts): stored state and compare-and-set writes; the engine computes fire times.

  async createSchedule(schedule: NewSchedule): Promise<{ created: boolean; schedule: ScheduleRecord }> {
    return this.#write("create a schedule", () => this.#schedules.create(schedule));
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    return this.#read("read a schedule", () => this.#schedules.get(id));
  }

  async listSchedules(afterId: string | undefined, limit: number): Promise<ScheduleRecord[]> {
    return this.#read("list schedules", () => this.#schedules.list(afterId, limit));
  }

  async updateSchedule(update: ScheduleUpdate): Promise<ScheduleUpdateResult> {
    return this.#write("update a schedule", () => this.#schedules.update(update, this.#statements));
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return this.#write("delete a schedule", () => this.#schedules.delete(id));
  }

  async dueSchedules(workflows: readonly string[], nowMs: number, limit: number): Promise<ScheduleRecord[]> {
    return this.#read("find due schedules", () => this.#schedules.due(workflows, nowMs, limit));
  }

  async nextScheduleFireAtMs(workflows: readonly string[]): Promise<number | undefined> {
    return this.#read("find the next schedule fire time", () => this.#schedules.nextFireAtMs(workflows));
  }

  /**
   * The connection's durability settings and schema version, as SQLite reports them.
   *
   * @example
   * console.log(store.diagnostics()); // { journalMode: "wal", synchronous: "full", busyTimeoutMs: 5000, schemaVersion: 4 }
   */
  diagnostics(): { journalMode: string; synchronous: string; busyTimeoutMs: number; schemaVersion: number } {
    return this.#read("read settings", () => ({
      journalMode: String(this.#db.pragma("journal_mode", { simple: true })),
      synchronous: SYNCHRONOUS_NAMES[this.#db.pragma("synchronous", { simple: true }) as number] ?? "unknown",
      busyTimeoutMs: this.#db.pragma("busy_timeout", { simple: true }) as number,
      schemaVersion: this.#db.pragma("user_version", { simple: true }) as number,
    }));
  }

  /**
   * What this connection has done so far: committed write transactions, the store writes they carried (one
   * per write method call), writes that failed and were undone, and SQL statements executed. Counts, not
   * times, so tests can guard the cost of a workflow without flaking on a busy machine.
   *
   * @example
   * const before = store.stats();
   * await (await engine.start(order, input)).result();
   * console.log(store.stats().transactions - before.transactions);
   */
  stats(): SqliteStoreStats {
    const { transactions, writes, failedWrites } = this.#group.counters;
    const fileChecks = this.#fileGuard?.checks ?? 0;
    const statements = this.#statements.executed + this.#queueClaims.executed;
    return { transactions, writes, failedWrites, statements, fileChecks };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Writes already queued were promised a transaction; commit them before the connection goes away.
    this.#group.flushNow();
    this.#db.close();
  }

  /**
   * Runs `body` atomically in a BEGIN IMMEDIATE transaction shared with the other writes of this turn of the
   * event loop (group commit); resolves once that transaction committed. See group-commit.ts.
   */
  #write<T>(action: string, body: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError(action));
    return this.#group.enqueue(body, (error) => this.#wrap(action, error));
  }

  #read<T>(action: string, body: () => T): T {
    return this.#guard(action, body);
  }

  #guard<T>(action: string, body: () => T): T {
    if (this.#closed) throw this.#closedError(action);
    // Reads do not stat the files themselves (a write does, after each commit), but once a write found the file
    // gone they fail too: what this connection still sees is no longer what the path holds.
    if (this.#group.lost !== undefined) throw this.#group.lost;
    try {
      return body();
    } catch (error) {
      throw this.#wrap(action, error);
    }
  }

  /** After SQLITE_FULL: copy the WAL into the database file and truncate it to 0 bytes, freeing its space. */
  #giveBackWalSpace(): void {
    if (this.#fileGuard !== undefined) this.#checkpointQuietly();
  }

  /** PRAGMA wal_checkpoint(TRUNCATE); true if every frame was copied. Failing is fine: the next write says why. */
  #checkpointQuietly(): boolean {
    try {
      const [row] = this.#db.pragma("wal_checkpoint(TRUNCATE)") as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      return row !== undefined && row.busy === 0 && row.log === row.checkpointed;
    } catch {
      return false;
    }
  }

  #closedError(action: string): StoreError {
    return new StoreError(`Cannot ${action}: the store '${this.filename}' is closed.`);
  }

  /** Reprise errors pass through; driver errors become StoreErrors that say what was being done. */
  #wrap(action: string, error: unknown): unknown {
    if (error instanceof RepriseError) return error;
    return new StoreError(`Cannot ${action} in '${this.filename}': ${describe(error)}`, { cause: error });
  }
}

/** PRAGMA synchronous reports a number. */
const SYNCHRONOUS_NAMES: Record<number, string> = { 0: "off", 1: "normal", 2: "full", 3: "extra" };

/** SQLite's own words plus its code (SQLITE_BUSY, SQLITE_FULL, ...) and what to do about the common ones. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const hint =
    code === "SQLITE_BUSY"
      ? " (another connection held the write lock for longer than busyTimeoutMs; retry, or raise busyTimeoutMs)"
      : code === "SQLITE_FULL"
        ? " (the disk or the database's size limit is full; free space and the engine resumes)"
        : code === "SQLITE_NOTADB"
          ? " (the file is not a SQLite database)"
          : "";
  return `${error.message}${typeof code === "string" ? ` [${code}]` : ""}${hint}`;
}

/** Served workflows as the JSON array parameter the scheduling statements take: `"<version>:<name>"` keys. */
function servedJson(workflows: readonly ServedWorkflow[]): string {
  return JSON.stringify(workflows.map(({ name, version }) => `${version}:${name}`));
}
