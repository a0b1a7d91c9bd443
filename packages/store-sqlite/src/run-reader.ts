// The RunReader contract on SQLite: the queries tools need (paged lists, counts, unfinished runs, generations),
// run by SqliteStore on its own connection, and SqliteRunReader, which reads a store file on a read-only one.
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import {
  InvalidArgumentError,
  RepriseError,
  StoreError,
  UNFINISHED_STATUSES,
  zeroStatusCounts,
  type BlockedEpisodeRecord,
  type EventRecord,
  type PendingSignalRecord,
  type RunPage,
  type RunPageCursor,
  type RunPageQuery,
  type QueueStatsOptions,
  type QueueStatsReport,
  type RunReader,
  type RunRecord,
  type RunSelection,
  type RunStatus,
  type ScheduleRecord,
  type RunStatusCounts,
  type RunSummary,
  type UnfinishedRunRecord,
  type RunExport,
  type RunExporter,
} from "@reprise/core";
import { RUN_SUMMARY_COLUMNS, toBlockedEpisode, toRunSummary, type RunSummaryRow } from "@reprise/core/internal";
import type { CompiledQuery } from "kysely";
import { StoreFileUnreadableError } from "./errors.js";
import { LATEST_SCHEMA_VERSION, REPRISE_APPLICATION_ID } from "./migrations.js";
import { builder, toSqlite } from "./query-builder.js";
import { toRecord, type RunRow } from "./run-rows.js";
import { readQueueStats } from "./queue-stats.js";
import { SqliteRunTransfer } from "./run-transfer.js";
import { ScheduleRows } from "./schedule-rows.js";
import { PreparedStatements } from "./statements.js";
import { runColumnList, selectionQuery, type DynamicQuery } from "./run-selection.js";

/**
 * The reader's queries on one connection, synchronous: SqliteStore runs them inside its own guard (closed store,
 * lost file), SqliteRunReader on its read-only connection. Statements are prepared once per distinct SQL text;
 * each query is one statement, so it sees one snapshot of the file.
 *
 * @example
 * const queries = new SqliteRunQueries(db);
 * const page = queries.runsPage({ statuses: ["waiting"], limit: 50 });
 */
export class SqliteRunQueries {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /**
   * Keyset paging along the (status | workflow | parent, created_at_ms) indexes, or along a tag's `run_tags` rows:
   * every page costs the same.
   */
  runsPage(query: RunPageQuery): RunPage {
    const limit = checkLimit(query.limit, "runsPage");
    if (query.statuses !== undefined && query.statuses.length === 0) return { runs: [] };
    const { after, limit: _limit, idContains, ...selection } = query;
    const built = selectionQuery(selection, {
      columns: runColumnList(RUN_SUMMARY_COLUMNS),
      after,
      idContains,
      limit: limit + 1,
    });
    const rows = this.#dynamic<RunSummaryRow>(built);
    return pageOf(rows.slice(0, limit).map(toRunSummary), rows.length > limit);
  }

  countRunsByStatus(workflow?: string): RunStatusCounts {
    return this.countRuns({ workflow });
  }

  /** Per-status counts of a selection: one grouped read along the same indexes as runsPage. */
  countRuns(selection: RunSelection): RunStatusCounts {
    const counts = zeroStatusCounts();
    if (selection.statuses !== undefined && selection.statuses.length === 0) return counts;
    const built = selectionQuery(selection, { columns: "r.status as status, count(*) as n", groupBy: "r.status" });
    for (const row of this.#dynamic<{ status: RunStatus; n: number }>(built)) counts[row.status] = row.n;
    return counts;
  }

  workflowsWithRuns(limit: number): string[] {
    const compiled = builder
      .selectFrom("runs")
      .select("workflow")
      .distinct()
      .orderBy("workflow")
      .limit(checkLimit(limit, "workflowsWithRuns"))
      .compile();
    return this.#all<{ workflow: string }>(compiled).map((row) => row.workflow);
  }

  unfinishedRuns(after: RunPageCursor | undefined, limit: number): RunPage<UnfinishedRunRecord> {
    const max = checkLimit(limit, "unfinishedRuns");
    let select = builder
      .selectFrom("runs")
      .select(["id", "workflow", "version", "status", "created_at_ms as createdAtMs"])
      .where("status", "in", UNFINISHED_STATUSES);
    if (after !== undefined) {
      select = select
        .where("created_at_ms", ">=", after.createdAtMs)
        .where((eb) => eb.or([eb("created_at_ms", ">", after.createdAtMs), eb("id", ">", after.id)]));
    }
    const rows = this.#all<UnfinishedRunRecord & { createdAtMs: number }>(
      select
        .orderBy("created_at_ms")
        .orderBy("id")
        .limit(max + 1)
        .compile(),
    );
    const page = rows.slice(0, max);
    const last = page.at(-1);
    return {
      runs: page.map(({ id, workflow, version, status }) => ({ id, workflow, version, status })),
      next: rows.length > max && last !== undefined ? { createdAtMs: last.createdAtMs, id: last.id } : undefined,
    };
  }

  keptGenerations(runId: string): number[] {
    const compiled = builder
      .selectFrom("event_archive")
      .select("generation")
      .distinct()
      .where("run_key", "=", (eb) => eb.selectFrom("runs").select("run_key").where("id", "=", runId))
      .orderBy("generation")
      .compile();
    return this.#all<{ generation: number }>(compiled).map((row) => row.generation);
  }

  highestServedVersion(workflow: string): number | undefined {
    const compiled = builder
      .selectFrom("workflows")
      .select((eb) => eb.fn.max<number | null>("version").as("version"))
      .where("name", "=", workflow)
      .compile();
    return this.#all<{ version: number | null }>(compiled)[0]?.version ?? undefined;
  }

  /** Each queue's counts, all read in one deferred transaction: one snapshot of the file. */
  queueStats(options?: QueueStatsOptions): QueueStatsReport {
    return this.#db.transaction(() => readQueueStats((compiled) => this.#all(compiled), options)).deferred();
  }

  #dynamic<R>(query: DynamicQuery): R[] {
    return this.#all<R>({ sql: query.sql, parameters: query.parameters });
  }

  #all<R>(compiled: Pick<CompiledQuery, "sql" | "parameters">): R[] {
    let statement = this.#statements.get(compiled.sql);
    if (statement === undefined) {
      statement = this.#db.prepare(compiled.sql);
      this.#statements.set(compiled.sql, statement);
    }
    return statement.all(...compiled.parameters.map(toSqlite)) as R[];
  }
}

/**
 * Reads a Reprise SQLite file on a read-only connection: it never writes, migrates or takes the write lock, so
 * tools may read a file that engines are using, a snapshot, or one on a read-only disk. Only files of this
 * package's schema version are read (an older one is migrated by opening it with SqliteStore once).
 *
 * @example
 * const reader = await SqliteRunReader.open({ filename: "snapshot.db" });
 * try {
 *   const counts = await reader.countRunsByStatus();
 * } finally {
 *   await reader.close();
 * }
 */
export class SqliteRunReader implements RunReader, RunExporter {
  readonly filename: string;
  readonly #db: BetterSqlite3.Database;
  readonly #queries: SqliteRunQueries;
  readonly #statements: PreparedStatements;
  readonly #transfer: SqliteRunTransfer;
  readonly #schedules: ScheduleRows;
  #closed = false;

  private constructor(db: BetterSqlite3.Database, filename: string) {
    this.#db = db;
    this.filename = filename;
    this.#queries = new SqliteRunQueries(db);
    this.#statements = new PreparedStatements(db);
    this.#transfer = new SqliteRunTransfer(db, this.#statements);
    this.#schedules = new ScheduleRows(db);
  }

  /**
   * Opens an existing store file read-only. Rejects with StoreFileUnreadableError (its `problem` says why) for
   * a missing file, one that is not SQLite, not a Reprise store, or of another schema version.
   *
   * @example
   * const reader = await SqliteRunReader.open({ filename: "/var/lib/app/reprise.db" });
   */
  static async open(options: { readonly filename: string }): Promise<SqliteRunReader> {
    const { filename } = options;
    if (typeof filename !== "string" || filename === "" || filename === ":memory:") {
      throw new InvalidArgumentError("SqliteRunReader.open({ filename }) needs the path of a store file.");
    }
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Database(filename, { readonly: true, fileMustExist: true });
      checkStoreFile(db, filename);
      return new SqliteRunReader(db, filename);
    } catch (error) {
      db?.close();
      if (error instanceof RepriseError) throw error;
      const code = (error as { code?: unknown }).code;
      if (code === "SQLITE_NOTADB") throw new StoreFileUnreadableError(filename, "not-sqlite", { cause: error });
      if (code === "SQLITE_CANTOPEN") throw new StoreFileUnreadableError(filename, "missing", { cause: error });
      throw new StoreError(`Cannot read '${filename}': ${(error as Error).message}`, { cause: error });
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#read("read a run", () => {
      const row = this.#statements.get<RunRow>("getRun", { id: runId });
      return row === undefined ? undefined : toRecord(row);
    });
  }

  async readEvents(runId: string, afterSeq = 0, generation?: number): Promise<EventRecord[]> {
    return this.#read("read events", () =>
      this.#db
        .transaction(() => {
          if (generation === undefined) return this.#statements.all<EventRecord>("readEvents", { runId, afterSeq });
          const run = this.#statements.get<{ run_key: number; generation: number }>("runGeneration", { runId });
          if (run === undefined) return [];
          if (run.generation === generation) {
            return this.#statements.all<EventRecord>("readEvents", { runId, afterSeq });
          }
          return this.#statements.all<EventRecord>("readArchivedEvents", { runKey: run.run_key, generation, afterSeq });
        })
        .deferred(),
    );
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

  async pendingSignals(runId: string, limit: number): Promise<PendingSignalRecord[]> {
    return this.#read("read a run's pending signals", () =>
      this.#statements.all<PendingSignalRecord>("pendingSignals", { runId, limit }),
    );
  }

  async runsPage(query: RunPageQuery): Promise<RunPage> {
    return this.#read("list runs", () => this.#queries.runsPage(query));
  }

  async countRunsByStatus(workflow?: string): Promise<RunStatusCounts> {
    return this.#read("count runs", () => this.#queries.countRunsByStatus(workflow));
  }

  async countRuns(selection: RunSelection): Promise<RunStatusCounts> {
    return this.#read("count runs", () => this.#queries.countRuns(selection));
  }

  async workflowsWithRuns(limit: number): Promise<string[]> {
    return this.#read("list workflows", () => this.#queries.workflowsWithRuns(limit));
  }

  async unfinishedRuns(after: RunPageCursor | undefined, limit: number): Promise<RunPage<UnfinishedRunRecord>> {
    return this.#read("list unfinished runs", () => this.#queries.unfinishedRuns(after, limit));
  }

  async keptGenerations(runId: string): Promise<number[]> {
    return this.#read("list a run's generations", () => this.#queries.keptGenerations(runId));
  }

  async highestServedVersion(workflow: string): Promise<number | undefined> {
    return this.#read("read the workflow registry", () => this.#queries.highestServedVersion(workflow));
  }

  /** Whole runs, oldest first, for `reprise copy` (RunExporter); leases are judged by this host's clock. */
  async exportRuns(after: RunPageCursor | undefined, limit: number): Promise<RunPage<RunExport>> {
    const max = checkLimit(limit, "exportRuns");
    return this.#read("export runs", () => this.#transfer.exportRuns(after, max, Date.now()));
  }

  async listSchedules(afterId: string | undefined, limit: number): Promise<ScheduleRecord[]> {
    return this.#read("list schedules", () => this.#schedules.list(afterId, limit));
  }

  async queueStats(options?: QueueStatsOptions): Promise<QueueStatsReport> {
    return this.#read("read the queues", () => this.#queries.queueStats(options));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #read<T>(action: string, body: () => T): T {
    if (this.#closed) throw new StoreError(`Cannot ${action}: the reader of '${this.filename}' is closed.`);
    try {
      return body();
    } catch (error) {
      if (error instanceof RepriseError) throw error;
      throw new StoreError(`Cannot ${action} in '${this.filename}': ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Refuses files that are not Reprise stores of the schema version this package reads. */
function checkStoreFile(db: BetterSqlite3.Database, filename: string): void {
  const applicationId = db.pragma("application_id", { simple: true }) as number;
  const version = db.pragma("user_version", { simple: true }) as number;
  if (applicationId !== REPRISE_APPLICATION_ID) {
    const { n } = db.prepare("select count(*) as n from sqlite_schema where type = 'table'").get() as { n: number };
    throw new StoreFileUnreadableError(filename, n === 0 ? "empty" : "foreign");
  }
  if (version > LATEST_SCHEMA_VERSION)
    throw new StoreFileUnreadableError(filename, "newer", { schemaVersion: version });
  if (version < LATEST_SCHEMA_VERSION)
    throw new StoreFileUnreadableError(filename, "older", { schemaVersion: version });
}

/** A page size as the reader's methods take it: a whole number from 1, else InvalidArgumentError. */
export function checkLimit(limit: number, method: string): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidArgumentError(`${method}() needs a limit that is a whole number from 1 (got ${String(limit)}).`);
  }
  return limit;
}

function pageOf(runs: RunSummary[], more: boolean): RunPage {
  const last = runs.at(-1);
  return { runs, next: more && last !== undefined ? { createdAtMs: last.createdAtMs, id: last.id } : undefined };
}
