// PostgresStore: the Store contract on a pg.Pool through Kysely, in one PostgreSQL schema.
// Every write method is one transaction (retried whole on a deadlock); driver errors become StoreErrors.
import {
  FINISHED_STATUSES,
  LeaseLostError,
  RepriseError,
  RunFinishedError,
  RunIdConflictError,
  RunNotBlockedError,
  RunNotFoundError,
  StoreError,
  type BlockedEpisodeRecord,
  type ChangeSubscription,
  type ClaimRequest,
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
  type StoreChange,
  type RunPage,
  type RunPageCursor,
  type RunPageQuery,
  type QueueStatsOptions,
  type QueueStatsReport,
  type RunReader,
  type RunStatusCounts,
  type RunExport,
  type RunExporter,
  type RunImporter,
  type UnfinishedRunRecord,
  type NewSchedule,
  type ScheduleRecord,
  type ScheduleUpdate,
  type ScheduleUpdateResult,
} from "@reprise/core";
import { toBlockedEpisode } from "@reprise/core/internal";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { ChangeListener, type ListenConnection } from "./change-listener.js";
import { changeChannel, noteRunsDue, noteRunsWoken, sendNotedChanges } from "./change-notifications.js";
import { PostgresUnreachableError } from "./errors.js";
import { progressCommit, runCreation, type BulkWrite } from "./bulk-writes.js";
import { claimWithQueues, nextDueWithQueues } from "./queue-claims.js";
import { cancelManyBatch, purgeBatch } from "./run-bulk.js";
import { runColumnList, selectionQuery } from "./run-selection.js";
import { GroupCommit } from "./group-commit.js";
import { checkSchema, migrate } from "./migrations.js";
import { createStorePool, describePgError, describeTarget, isUnreachable } from "./pool.js";
import {
  resolvePostgresStoreOptions,
  type PostgresStoreOptions,
  type ResolvedPostgresStoreOptions,
} from "./postgres-store-options.js";
import { cancelWithChildren } from "./run-cancellation.js";
import { openBlockedEpisode, recordRunEnd, writeCommit } from "./run-commit.js";
import { createRunRow } from "./run-creation.js";
import { checkLimit } from "./run-reader.js";
import { existingRunIds, exportRuns, importRuns } from "./run-transfer.js";
import { insertEvents } from "./run-events.js";
import {
  toFinishedRecord,
  toOutcomeRecord,
  toRecord,
  type FinishedRow,
  type OutcomeRow,
  type RunRow,
  type WriteRow,
} from "./run-rows.js";
import { PostgresRunQueries } from "./run-reader.js";
import { ScheduleRows } from "./schedule-rows.js";
import type { Database } from "./schema.js";
import { queriesFor, RUN_COLUMNS, Statements, type Queries } from "./statements.js";

/** Counters of `PostgresStore.stats()`. */
export interface PostgresStoreStats {
  /** Write transactions committed; with group commit, one carries every write of its batch. */
  readonly transactions: number;
  /** Store writes committed: each call of a write method (createRun, commit, sendSignal, claimDueRuns, ...). */
  readonly writes: number;
  /** Writes that threw (e.g. LeaseLostError) or whose transaction did not commit, undone without the others. */
  readonly failedWrites: number;
  /** The store's own SQL statements (reads and writes), not counting BEGIN, COMMIT and savepoints. */
  readonly statements: number;
  /** Messages to the server the store waited for one by one: statements plus BEGIN, COMMIT and savepoints. */
  readonly roundTrips: number;
}

/** SQLSTATEs after which a write's transaction was rolled back and may simply run again. */
const RETRYABLE = new Set(["40P01", "40001"]); // deadlock_detected, serialization_failure
/** How often a write runs at most when PostgreSQL keeps picking it as a deadlock's victim. */
const MAX_ATTEMPTS = 5;

/**
 * The PostgreSQL event log. Any number of engines, in one process or many, may open the same schema.
 *
 * @example
 * const store = await PostgresStore.open({ connectionString: process.env.DATABASE_URL, schema: "reprise" });
 * const engine = createEngine({ store, workflows: [order] });
 * // ...
 * await engine.close();
 * await store.close();
 */
export class PostgresStore implements Store, RunReader, RunExporter, RunImporter {
  /** The PostgreSQL schema holding this store's tables. */
  readonly schema: string;
  /** `host:port/database` of the server (never credentials), for messages. */
  readonly target: string;
  readonly #db: Kysely<Database>;
  readonly #queries: Queries;
  readonly #reads: Statements;
  /** The RunReader queries tools use (run-reader.ts), in this store's schema. */
  readonly #runQueries: PostgresRunQueries;
  /** The schedules table's statements (schedule-rows.ts), in this store's schema. */
  readonly #schedules: ScheduleRows;
  /** Operations started and not yet settled: close() lets them finish before it ends the pool. */
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Batches writes into shared transactions; undefined with `groupCommit: false`. */
  readonly #group: GroupCommit | undefined;
  /** Counters of reads, and of writes when each has a transaction of its own; see stats(). */
  readonly #counters = { transactions: 0, writes: 0, failedWrites: 0, statements: 0, roundTrips: 0 };
  #closed = false;
  /** The LISTENing connection behind watchChanges, opened with its first subscriber. */
  readonly #listener: ChangeListener;

  private constructor(
    db: Kysely<Database>,
    schema: string,
    target: string,
    groupCommit: boolean,
    connectListener: () => Promise<ListenConnection>,
  ) {
    this.#db = db;
    this.schema = schema;
    this.target = target;
    this.#queries = queriesFor(schema);
    this.#reads = new Statements(db, this.#queries, this.#counters);
    this.#group = groupCommit ? new GroupCommit(db, this.#queries) : undefined;
    this.#runQueries = new PostgresRunQueries(db, schema);
    this.#schedules = new ScheduleRows(schema);
    this.#listener = new ChangeListener({
      connect: connectListener,
      channel: changeChannel(schema),
      applicationName: `reprise changes ${schema}`,
      target,
    });
  }

  /**
   * Connects, creates or migrates the schema as needed, and returns the store. Rejects with
   * PostgresUnreachableError when the server cannot be used, SchemaTooNewError / NotAStoreSchemaError for a
   * schema it must not write to, InvalidArgumentError for bad options.
   *
   * @example
   * const store = await PostgresStore.open({ connectionString: "postgres://app@localhost:5432/app" });
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const resolved = resolvePostgresStoreOptions(options);
    const target = describeTarget(resolved.connectionString);
    const { pool } = createStorePool(resolved);
    // Kysely's destroy() ends the pool: ours, or (for a caller's pool) a wrapper whose end() does nothing.
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    try {
      if (resolved.migrate) await migrate(db, resolved.schema);
      else await checkSchema(db, resolved.schema);
      return new PostgresStore(db, resolved.schema, target, resolved.groupCommit, () => connectListener(resolved));
    } catch (error) {
      await db.destroy().catch(() => {});
      if (error instanceof RepriseError) throw error;
      if (isUnreachable(error)) throw new PostgresUnreachableError(target, describePgError(error), { cause: error });
      throw new StoreError(
        `Cannot open PostgreSQL schema '${resolved.schema}' at ${target} as a Reprise store: ${describePgError(error)}`,
        { cause: error },
      );
    }
  }

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    // A queued or delayed run is written on its own: the merged insert (bulk-writes.ts) has no queue columns.
    const bulk = run.queue === undefined && run.dueAtMs === undefined ? runCreation(run) : undefined;
    return this.#write("create a run", (s) => createRunRow(s, run), bulk);
  }

  async createRuns(runs: readonly NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    if (runs.length === 0) return [];
    // One transaction: every run or none. A conflict throws inside it, which rolls all of them back.
    return this.#write("create runs", async (s) => {
      const answers: { created: boolean; run: RunRecord }[] = [];
      const queues = new Set<string>();
      for (const run of runs) {
        const answer = await createRunRow(s, run, queues);
        if (!answer.created && answer.run.workflow !== run.workflow) {
          throw new RunIdConflictError(run.id, answer.run.workflow, run.workflow);
        }
        answers.push(answer);
      }
      return answers;
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#read("read a run", async (s) => {
      const row = await s.get<RunRow>("getRun", { id: runId });
      return row === undefined ? undefined : toRecord(row);
    });
  }

  async getRunOutcome(runId: string): Promise<RunOutcomeRecord | undefined> {
    return this.#read("read a run's outcome", async (s) => {
      const row = await s.get<OutcomeRow>("getRunOutcome", { id: runId });
      return row === undefined ? undefined : toOutcomeRecord(row);
    });
  }

  async finishedRunsSince(cursor: number, limit: number): Promise<FinishedRunsPage> {
    return this.#read("read the runs that finished", async (s) => {
      const rows =
        limit <= 0 ? [] : await s.all<FinishedRow>("finishedRunsSince", { cursor, limit: Math.floor(limit) });
      const last = rows.at(-1);
      if (last !== undefined) return { runs: rows.map(toFinishedRecord), cursor: last.finished_seq };
      // Nothing after the cursor: with a limit, the latest position is the cursor itself (or older), so only a
      // zero limit ("where is now?") needs to look it up.
      if (limit > 0) return { runs: [], cursor };
      const latest = (await s.get<{ latest: number }>("latestFinishedSeq", {}))?.latest ?? 0;
      return { runs: [], cursor: Math.max(cursor, latest) };
    });
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#read("list runs", async (s) => {
      // Its shape depends on the filter, so it is built per call; tools list runs, the engine's hot paths do not.
      const { after, limit, ...selection } = filter;
      const query = selectionQuery(this.schema, selection, { columns: runColumnList(RUN_COLUMNS), after, limit });
      return (await s.dynamic<RunRow>(query.sql, query.parameters)).map(toRecord);
    });
  }

  async countRuns(selection: RunSelection): Promise<RunStatusCounts> {
    return this.#read("count runs", () => this.#runQueries.countRuns(selection));
  }

  async requestCancelMany(
    request: CancelManyRequest,
  ): Promise<{ runIds: string[]; last?: { createdAtMs: number; id: string } }> {
    return this.#write("cancel runs", (s) => cancelManyBatch(s, request));
  }

  async purgeRuns(request: PurgeRequest): Promise<number> {
    return this.#write("purge finished runs", (s) => purgeBatch(s, request));
  }

  async readEvents(runId: string, afterSeq = 0, generation?: number): Promise<EventRecord[]> {
    return this.#read("read events", async (s) => {
      // The type column holds what the engine wrote; decodeEvent validates it like every other field.
      if (generation === undefined) return s.all<EventRecord>("readEvents", { runId, afterSeq });
      const run = await s.get<{ run_key: number; generation: number }>("runGeneration", { runId });
      if (run === undefined) return [];
      if (run.generation === generation) return s.all<EventRecord>("readEvents", { runId, afterSeq });
      return s.all<EventRecord>("readArchivedEvents", { runKey: run.run_key, generation, afterSeq });
    });
  }

  async commit(commit: RunCommit): Promise<void> {
    return this.#write("commit events", (s) => writeCommit(s, commit), progressCommit(commit));
  }

  async sendSignal(signal: NewSignal): Promise<{ duplicate: boolean }> {
    return this.#write("store a signal", async (s) => {
      // Locked: signals of one run get positions in commit order, and a commit parking the run waits or is waited for.
      const row = await s.get<WriteRow>("getRunForWrite", { id: signal.runId });
      if (row === undefined) throw new RunNotFoundError(signal.runId);
      if (FINISHED_STATUSES.has(row.status as RunStatus)) {
        // A resend of a signal this run already stored is acknowledged again, even after the run ended:
        // the sender's first acknowledgement may have been lost, and the signal did arrive.
        const known = await s.get("signalExists", { runId: signal.runId, signalId: signal.signalId });
        if (known !== undefined) return { duplicate: true };
        throw new RunFinishedError(signal.runId, row.status, `send signal '${signal.name}' to`);
      }
      const inserted = (await s.run("insertSignal", signal)) === 1;
      if (inserted) {
        const woke = await s.run("wakeSignalWaiter", { runId: signal.runId, name: signal.name, nowMs: signal.nowMs });
        // A parked waiter is now due; otherwise an engine may be executing the run and waiting for it in memory.
        if (woke > 0) noteRunsDue(s);
        else noteRunsWoken(s, [signal.runId]);
      }
      return { duplicate: !inserted };
    });
  }

  async nextSignal(runId: string, name: string, afterPosition: number): Promise<SignalRecord | undefined> {
    return this.#read("read a signal", async (s) => {
      const row = await s.get<{
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
    if (limit <= 0) return [];
    return this.#read("read a run's pending signals", (s) =>
      s.all<PendingSignalRecord>("pendingSignals", { runId, limit: Math.floor(limit) }),
    );
  }

  async childrenOf(runId: string, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    return this.#read("list a run's children", async (s) =>
      (await s.all<{ id: string }>("childrenOf", { parentId: runId, limit: Math.floor(limit) })).map((row) => row.id),
    );
  }

  async requestCancel(runId: string, reason: string | undefined, nowMs: number): Promise<void> {
    return this.#write("request a cancellation", async (s) => {
      const row = await s.get<WriteRow>("getRunForWrite", { id: runId });
      if (row === undefined) throw new RunNotFoundError(runId);
      if (FINISHED_STATUSES.has(row.status as RunStatus)) throw new RunFinishedError(runId, row.status, "cancel");
      if (row.cancel_requested) return;
      await cancelWithChildren(s, runId, reason, nowMs);
    });
  }

  async claimDueRuns(request: ClaimRequest): Promise<RunRecord[]> {
    if (request.workflows.length === 0 || request.limit <= 0) return [];
    return this.#write("claim due runs", async (s) => {
      const queues = (await s.all<{ name: string }>("listQueues", {})).map((row) => row.name);
      if (queues.length > 0) return claimWithQueues(s, request, queues, servedArgs(request.workflows));
      return (
        await s.all<RunRow>("claimDueRuns", {
          owner: request.owner,
          nowMs: request.nowMs,
          leaseMs: request.leaseMs,
          limit: Math.floor(request.limit),
          ...servedArgs(request.workflows),
        })
      ).map(toRecord);
    });
  }

  async setPriority(runIds: readonly string[], priority: number, nowMs: number): Promise<string[]> {
    if (runIds.length === 0) return [];
    return this.#write("change run priorities", async (s) => {
      const rows = await s.all<{ id: string }>("setPriority", { ids: runIds, priority, nowMs });
      if (rows.length > 0) noteRunsDue(s);
      return rows.map((row) => row.id);
    });
  }

  async renewLeases(owner: string, runIds: readonly string[], nowMs: number, leaseMs: number): Promise<LeaseStatus[]> {
    if (runIds.length === 0) return [];
    return this.#write("renew leases", async (s) =>
      (
        await s.all<{ id: string; cancel_requested: boolean; cancel_reason: string | null }>("renewLeases", {
          owner,
          runIds,
          leaseMs,
        })
      ).map((row) => ({
        runId: row.id,
        cancelRequested: row.cancel_requested,
        cancelReason: row.cancel_reason ?? undefined,
      })),
    );
  }

  async releaseLeases(owner: string, runIds: readonly string[], nowMs: number): Promise<void> {
    if (runIds.length === 0) return;
    return this.#write("release leases", async (s) => {
      if ((await s.run("releaseLeases", { owner, runIds, nowMs })) > 0) noteRunsDue(s);
    });
  }

  async registerLeaseHolder(holder: LeaseHolder, nowMs: number): Promise<void> {
    return this.#write("record a lease holder", async (s) => {
      await s.run("registerLeaseHolder", {
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
    return this.#read("read the lease holders", async (s) =>
      (
        await s.all<{
          owner: string;
          host: string;
          machine_id: string | null;
          boot_id: string | null;
          pid_namespace: string | null;
          pid: number;
        }>("leaseHoldersOn", { host })
      ).map((row) => ({
        owner: row.owner,
        host: row.host,
        machineId: row.machine_id ?? undefined,
        bootId: row.boot_id ?? undefined,
        pidNamespace: row.pid_namespace ?? undefined,
        pid: row.pid,
      })),
    );
  }

  /** Expires the leases now by the database's clock, which decides every lease here (`_nowMs` is not used). */
  async expireLeasesOf(owners: readonly string[], _nowMs: number): Promise<number> {
    if (owners.length === 0) return 0;
    return this.#write("expire the leases of dead engines", async (s) => {
      const expired = await s.run("expireLeasesOf", { owners });
      if (expired > 0) noteRunsDue(s);
      await s.run("forgetLeaseHolders", { owners });
      return expired;
    });
  }

  async nextDueAtMs(
    workflows: readonly ServedWorkflow[],
    limits?: { readonly queues: Readonly<Record<string, QueueLimits>>; readonly nowMs: number },
  ): Promise<number | undefined> {
    if (workflows.length === 0) return undefined;
    return this.#read("find the next due run", async (s) => {
      if (limits !== undefined) {
        const queues = (await s.all<{ name: string }>("listQueues", {})).map((row) => row.name);
        if (queues.length > 0) return nextDueWithQueues(s, queues, limits.queues, limits.nowMs, servedArgs(workflows));
      }
      const row = await s.get<{ due_at_ms: number }>("nextDue", servedArgs(workflows));
      return row?.due_at_ms;
    });
  }

  async retryBlockedRuns(workflows: readonly ServedWorkflow[], nowMs: number): Promise<number> {
    if (workflows.length === 0) return 0;
    return this.#write("retry blocked runs", async (s) => {
      // One statement makes the runs pending and closes their open episodes (data-modifying CTEs).
      const row = await s.get<{ count: number }>("retryBlockedRuns", { ...servedArgs(workflows), nowMs });
      const count = Number(row?.count ?? 0);
      if (count > 0) for (const { name } of workflows) noteRunsDue(s, { workflow: name });
      return count;
    });
  }

  // RunReader (see run-reader.ts): what tools read besides the Store methods.

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
    return this.#track("read the queues", () => this.#runQueries.queueStats(options));
  }

  // RunExporter and RunImporter (see run-transfer.ts): whole runs out of and into this schema, for `reprise copy`.

  async exportRuns(after: RunPageCursor | undefined, limit: number): Promise<RunPage<RunExport>> {
    const max = checkLimit(limit, "exportRuns");
    return this.#track("export runs", () =>
      // REPEATABLE READ: the page's statements all read one snapshot, so a run and its events agree.
      this.#db
        .transaction()
        .setIsolationLevel("repeatable read")
        .execute((trx) => exportRuns(trx, this.schema, after, max)),
    );
  }

  async existingRunIds(runIds: readonly string[]): Promise<string[]> {
    return this.#track("look up run ids", () => existingRunIds(this.#db, this.schema, runIds));
  }

  async importRuns(runs: readonly RunExport[]): Promise<void> {
    if (runs.length === 0) return;
    // A transaction of its own, not a group commit batch: it may be large, and it is all or nothing.
    await this.#track("import runs", () =>
      this.#db.transaction().execute(async (trx) => {
        await importRuns(trx, this.schema, runs);
        this.#counters.transactions += 1;
      }),
    );
  }

  async blockedEpisodes(runId: string): Promise<BlockedEpisodeRecord[]> {
    return this.#read("read a run's blocked episodes", async (s) =>
      (
        await s.all<{
          blockedAtMs: number;
          lastSeq: number;
          reason: string;
          endedAtMs: number | null;
          endedBy: string | null;
        }>("blockedEpisodes", { runId })
      ).map(toBlockedEpisode),
    );
  }

  async parkedRuns(workflows: readonly ServedWorkflow[], cursor: number, limit: number): Promise<ParkedRunsPage> {
    if (workflows.length === 0 || limit <= 0) return { runs: [], cursor };
    return this.#read("read parked runs", async (s) => {
      const rows = await s.all<RunRow & { run_key: number }>("parkedRuns", {
        ...servedArgs(workflows),
        cursor,
        limit: Math.floor(limit),
      });
      return { runs: rows.map(toRecord), cursor: rows.at(-1)?.run_key ?? cursor };
    });
  }

  async blockParkedRun(block: ParkedRunBlock): Promise<boolean> {
    return this.#write("block a parked run", async (s) => {
      const { runId: id, expectedLastSeq, reason, error, nowMs } = block;
      const row = await s.get<{ run_key: number }>("blockParkedRun", { id, expectedLastSeq, reason, error, nowMs });
      if (row === undefined) return false;
      await openBlockedEpisode(s, row.run_key, nowMs, expectedLastSeq, reason);
      return true;
    });
  }

  async forceCancelBlocked(
    runId: string,
    event: EventRecord,
    reason: string | undefined,
    nowMs: number,
  ): Promise<void> {
    return this.#write("force-cancel a blocked run", async (s) => {
      const row = await s.get<WriteRow>("getRunForWrite", { id: runId });
      if (row === undefined) throw new RunNotFoundError(runId);
      if (FINISHED_STATUSES.has(row.status as RunStatus)) throw new RunFinishedError(runId, row.status, "cancel");
      if (row.status !== "blocked") throw new RunNotBlockedError(runId, row.status);
      const ended = await s.get<{ run_key: number; parent_id: string | null }>("forceCancelRun", {
        id: runId,
        expectedLastSeq: event.seq - 1,
        lastSeq: event.seq,
        reason,
        nowMs,
      });
      // Still blocked, but its log moved on since the caller read it: the caller must look again.
      if (ended === undefined) throw new LeaseLostError(runId, "forceCancelBlocked");
      await insertEvents(s, ended.run_key, [event]);
      await s.run("closeForceCancelledEpisode", { runKey: ended.run_key, nowMs });
      await cancelWithChildren(s, runId, reason, nowMs);
      await recordRunEnd(s, ended.run_key, runId, ended.parent_id, nowMs);
    });
  }

  async registerWorkflows(workflows: readonly ServedWorkflow[], nowMs: number): Promise<void> {
    if (workflows.length === 0) return;
    return this.#write("register workflows", async (s) => {
      await s.run("registerWorkflows", { ...servedArgs(workflows), nowMs });
    });
  }

  async workflowLastSeenAtMs(workflow: string, version?: number): Promise<number | undefined> {
    return this.#read("read the workflow registry", async (s) => {
      const row =
        version === undefined
          ? await s.get<{ last_seen_at_ms: number | null }>("workflowLastSeen", { name: workflow })
          : await s.get<{ last_seen_at_ms: number }>("workflowVersionLastSeen", { name: workflow, version });
      return row?.last_seen_at_ms ?? undefined;
    });
  }

  /**
   * Change notifications (see Store.watchChanges) over one connection of its own per store, outside the pool
   * (with a caller's `pool`, one client held out of it): LISTEN on the schema's channel (`<schema>_reprise`),
   * which every write that makes runs due or ends them notifies. When the connection drops it is opened again,
   * after 0.1 s, then up to 5 s between attempts; the first failure goes to `onError`, and subscribers get
   * `runsDue` and `runsEnded` when it is back. The connection shows as "reprise changes <schema>" in
   * pg_stat_activity. Throws StoreError once the store is closed.
   *
   * @example
   * const subscription = await store.watchChanges((change) => console.log(change.kind), console.error);
   * await subscription.close();
   */
  // Schedules (schedule-rows.ts): stored state and compare-and-set writes; the engine computes fire times.

  async createSchedule(schedule: NewSchedule): Promise<{ created: boolean; schedule: ScheduleRecord }> {
    return this.#write("create a schedule", (s) => this.#schedules.create(s, schedule));
  }

  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    return this.#read("read a schedule", (s) => this.#schedules.get(s, id));
  }

  async listSchedules(afterId: string | undefined, limit: number): Promise<ScheduleRecord[]> {
    return this.#read("list schedules", (s) => this.#schedules.list(s, afterId, limit));
  }

  async updateSchedule(update: ScheduleUpdate): Promise<ScheduleUpdateResult> {
    return this.#write("update a schedule", (s) => this.#schedules.update(s, update));
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return this.#write("delete a schedule", (s) => this.#schedules.delete(s, id));
  }

  async dueSchedules(workflows: readonly string[], nowMs: number, limit: number): Promise<ScheduleRecord[]> {
    return this.#read("find due schedules", (s) => this.#schedules.due(s, workflows, nowMs, limit));
  }

  async nextScheduleFireAtMs(workflows: readonly string[]): Promise<number | undefined> {
    return this.#read("find the next schedule fire time", (s) => this.#schedules.nextFireAtMs(s, workflows));
  }

  async watchChanges(
    onChange: (change: StoreChange) => void,
    onError: (error: unknown) => void,
  ): Promise<ChangeSubscription> {
    if (this.#closed) {
      throw new StoreError(`Cannot watch changes: the store (schema '${this.schema}' at ${this.target}) is closed.`);
    }
    return this.#listener.subscribe(onChange, onError);
  }

  /**
   * What this store has done so far: committed write transactions, the writes they carried (one per write method
   * call), writes undone, statements and round trips. Counts, not times, so tests can guard the cost of a workflow
   * (and that group commit shares transactions) without flaking on a busy machine.
   *
   * @example
   * const before = store.stats();
   * await (await engine.start(order, input)).result();
   * console.log(store.stats().transactions - before.transactions);
   */
  stats(): PostgresStoreStats {
    const own = this.#counters;
    const group = this.#group?.counters;
    // Reads always count in `own`; reads run on the pool, one round trip each.
    return {
      transactions: own.transactions + (group?.transactions ?? 0),
      writes: own.writes + (group?.writes ?? 0),
      failedWrites: own.failedWrites + (group?.failedWrites ?? 0),
      statements: own.statements + (group?.statements ?? 0),
      roundTrips: own.roundTrips + own.statements + (group?.roundTrips ?? 0) + (group?.statements ?? 0),
    };
  }

  /** Lets operations already started finish, then ends the pool (unless it was the caller's). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#listener.close();
    await Promise.allSettled([...this.#inFlight]);
    await this.#db.destroy();
  }

  /**
   * Runs `body` atomically (READ COMMITTED; rows a write changes are locked until it commits): in the next group
   * commit batch (group-commit.ts; `bulk` lets it merge the write with others), or with `groupCommit: false` in
   * a transaction of its own. A write PostgreSQL
   * rolled back as a deadlock's victim runs again from the start: nothing of it was kept.
   */
  #write<T>(action: string, body: (statements: Statements) => Promise<T>, bulk?: BulkWrite): Promise<T> {
    const group = this.#group;
    if (group !== undefined) return this.#track(action, () => group.enqueue(body, bulk));
    return this.#track(action, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const value = await this.#db.transaction().execute(async (trx) => {
            const statements = new Statements(trx, this.#queries, this.#counters);
            const result = await body(statements);
            // Last: what the write noted for other processes goes out with its COMMIT (never for a rollback).
            await sendNotedChanges(statements);
            return result;
          });
          this.#counters.transactions += 1;
          this.#counters.writes += 1;
          this.#counters.roundTrips += 2; // BEGIN and COMMIT
          return value;
        } catch (error) {
          this.#counters.roundTrips += 2; // BEGIN and ROLLBACK
          const code = (error as { code?: unknown } | null)?.code;
          if (attempt < MAX_ATTEMPTS && typeof code === "string" && RETRYABLE.has(code)) continue;
          this.#counters.failedWrites += 1;
          throw error;
        }
      }
    });
  }

  /** Runs a read on the pool: each statement on whichever connection is free, outside any transaction. */
  #read<T>(action: string, body: (statements: Statements) => Promise<T>): Promise<T> {
    return this.#track(action, () => body(this.#reads));
  }

  async #track<T>(action: string, operation: () => Promise<T>): Promise<T> {
    if (this.#closed)
      throw new StoreError(`Cannot ${action}: the store (schema '${this.schema}' at ${this.target}) is closed.`);
    const running = operation();
    this.#inFlight.add(running);
    try {
      return await running;
    } catch (error) {
      throw this.#wrap(action, error);
    } finally {
      this.#inFlight.delete(running);
    }
  }

  /** Reprise errors pass through; driver errors become StoreErrors that say what was being done. */
  #wrap(action: string, error: unknown): unknown {
    if (error instanceof RepriseError) return error;
    const hint = isUnreachable(error) ? " (the server is unreachable: check that PostgreSQL is running)" : "";
    return new StoreError(
      `Cannot ${action} in schema '${this.schema}' at ${this.target}: ${describePgError(error)}${hint}`,
      { cause: error },
    );
  }
}

/** How long ending a listening connection may take before its socket is simply destroyed (a dead server). */
const LISTENER_END_TIMEOUT_MS = 1_000;

/**
 * A connection for the change listener: a client of its own from `connectionString` (keep-alive on, so a dead
 * peer is noticed), or one held out of the caller's pool and destroyed, not returned, when given up.
 */
async function connectListener(options: ResolvedPostgresStoreOptions): Promise<ListenConnection> {
  if (options.pool !== undefined) {
    const client = await options.pool.connect();
    return { client, close: async () => client.release(true) };
  }
  const client = new pg.Client({
    connectionString: options.connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs,
    keepAlive: true,
  });
  // Errors are handled by the listener once connected; one while connecting rejects connect() instead.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return {
    client,
    close: async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = client.end().catch(() => {});
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, LISTENER_END_TIMEOUT_MS)));
      await Promise.race([ended, late]);
      clearTimeout(timer);
      // Still not ended: the server or network is gone; drop the socket.
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    },
  };
}

/** Served workflows as the `names` / `versions` arrays the scheduling statements take. */
function servedArgs(workflows: readonly ServedWorkflow[]): { names: string[]; versions: number[] } {
  // Once each: registerWorkflows' upsert may not touch a row twice in one statement.
  const unique = new Map(workflows.map(({ name, version }) => [`${version}:${name}`, { name, version }]));
  const list = [...unique.values()];
  return { names: list.map((served) => served.name), versions: list.map((served) => served.version) };
}
