// SqliteStore: the Store contract on one better-sqlite3 connection (WAL, synchronous=FULL, BEGIN IMMEDIATE).
// Every method is one synchronous transaction, so no await ever splits a write; driver errors become StoreErrors.
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import {
  FINISHED_STATUSES,
  InvalidArgumentError,
  LeaseLostError,
  RunFinishedError,
  RunNotFoundError,
  RepriseError,
  StoreError,
  type ClaimRequest,
  type EventRecord,
  type EventType,
  type LeaseStatus,
  type NewRun,
  type NewSignal,
  type RunCommit,
  type RunFilter,
  type RunRecord,
  type RunStatus,
  type SignalRecord,
  type Store,
  type WaitInfo,
} from "@reprise/core";
import { migrate } from "./migrations.js";
import { builder, toSqlite } from "./query-builder.js";
import { PreparedStatements, RUN_COLUMNS } from "./statements.js";

/**
 * Options of `SqliteStore.open`.
 *
 * @example
 * await SqliteStore.open({ filename: "reprise.db", synchronous: "normal", busyTimeoutMs: 10_000 });
 */
export interface SqliteStoreOptions {
  /** Path of the database file (created if missing), or ":memory:" for a private in-memory store. */
  readonly filename: string;
  /**
   * "full" (default): a commit survives power loss. "normal": faster, but in WAL mode the last
   * commits before a power cut (not a process crash) may be lost.
   */
  readonly synchronous?: "full" | "normal";
  /** How long a write waits for another connection's write lock before failing. Default 5,000 ms. */
  readonly busyTimeoutMs?: number;
}

interface RunRow {
  id: string;
  workflow: string;
  status: string;
  input: string;
  result: string | null;
  error: string | null;
  wait_kind: string | null;
  wait_name: string | null;
  wake_at_ms: number | null;
  reason: string | null;
  cancel_requested: number;
  cancel_reason: string | null;
  last_seq: number;
  created_at_ms: number;
  updated_at_ms: number;
  finished_at_ms: number | null;
}

interface WriteRow {
  status: string;
  lease_owner: string | null;
  last_seq: number;
  cancel_requested: number;
  wait_kind: string | null;
  wait_name: string | null;
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
export class SqliteStore implements Store {
  readonly filename: string;
  readonly #db: BetterSqlite3.Database;
  readonly #statements: PreparedStatements;
  #closed = false;

  private constructor(db: BetterSqlite3.Database, filename: string) {
    this.#db = db;
    this.filename = filename;
    this.#statements = new PreparedStatements(db);
  }

  /** Opens (creating or migrating as needed) a store. Rejects with StoreError for files it cannot use. */
  static async open(options: SqliteStoreOptions): Promise<SqliteStore> {
    const { filename, synchronous = "full", busyTimeoutMs = 5_000 } = options;
    if (typeof filename !== "string" || filename.length === 0) {
      throw new InvalidArgumentError('SqliteStore.open() needs { filename }, e.g. { filename: "reprise.db" }.');
    }
    if (synchronous !== "full" && synchronous !== "normal") {
      throw new InvalidArgumentError(
        `SqliteStore.open({ synchronous }) must be "full" or "normal" (got ${String(synchronous)}).`,
      );
    }
    if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new InvalidArgumentError(
        `SqliteStore.open({ busyTimeoutMs }) must be an integer ≥ 0 (got ${String(busyTimeoutMs)}).`,
      );
    }
    let db: BetterSqlite3.Database | undefined;
    try {
      db = new Database(filename, { timeout: busyTimeoutMs });
      if (filename !== ":memory:") db.pragma("journal_mode = WAL");
      // better-sqlite3 builds SQLite with synchronous=NORMAL for WAL; durable means FULL unless asked otherwise.
      db.pragma(`synchronous = ${synchronous.toUpperCase()}`);
      migrate(db, filename);
      return new SqliteStore(db, filename);
    } catch (error) {
      db?.close();
      if (error instanceof RepriseError) throw error;
      throw new StoreError(`Cannot open '${filename}' as a Reprise store: ${describe(error)}`, { cause: error });
    }
  }

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    return this.#write("create a run", () => {
      const existing = this.#statements.get<RunRow>("getRun", { id: run.id });
      if (existing !== undefined) return { created: false, run: toRecord(existing) };
      this.#statements.run("insertRun", { id: run.id, workflow: run.workflow, input: run.input, nowMs: run.nowMs });
      const event = run.startedEvent;
      this.#statements.run("insertEvent", {
        runId: run.id,
        seq: event.seq,
        type: event.type,
        atMs: event.atMs,
        data: event.data,
      });
      return { created: true, run: toRecord(this.#statements.get<RunRow>("getRun", { id: run.id }) as RunRow) };
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#read("read a run", () => {
      const row = this.#statements.get<RunRow>("getRun", { id: runId });
      return row === undefined ? undefined : toRecord(row);
    });
  }

  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#read("list runs", () => {
      let query = builder.selectFrom("runs").select(RUN_COLUMNS);
      if (filter.statuses !== undefined) query = query.where("status", "in", filter.statuses);
      if (filter.workflow !== undefined) query = query.where("workflow", "=", filter.workflow);
      const compiled = query.orderBy("created_at_ms", "desc").orderBy("id", "desc").limit(filter.limit).compile();
      const rows = this.#db.prepare(compiled.sql).all(...compiled.parameters.map(toSqlite)) as RunRow[];
      return rows.map(toRecord);
    });
  }

  async readEvents(runId: string, afterSeq = 0): Promise<EventRecord[]> {
    return this.#read("read events", () => {
      const rows = this.#statements.all<{ seq: number; type: string; at_ms: number; data: string }>("readEvents", {
        runId,
        afterSeq,
      });
      return rows.map((row) => ({ seq: row.seq, type: row.type as EventType, atMs: row.at_ms, data: row.data }));
    });
  }

  async commit(commit: RunCommit): Promise<void> {
    this.#write("commit events", () => {
      const { runId, owner, update, nowMs } = commit;
      const row = this.#statements.get<WriteRow>("getRunForWrite", { id: runId });
      if (row === undefined || row.lease_owner !== owner || row.last_seq !== commit.expectedLastSeq) {
        throw new LeaseLostError(runId, owner);
      }
      for (const event of commit.events) {
        this.#statements.run("insertEvent", {
          runId,
          seq: event.seq,
          type: event.type,
          atMs: event.atMs,
          data: event.data,
        });
      }
      for (const { position, seq } of commit.consumedSignals) {
        if (this.#statements.run("consumeSignal", { runId, position, seq }).changes !== 1) {
          throw new LeaseLostError(runId, owner);
        }
      }
      const finished = FINISHED_STATUSES.has(update.status);
      const leaseExpiresAtMs = update.release
        ? null
        : (this.#statements.get<{ lease_expires_at_ms: number | null }>("leaseExpiry", { id: runId })
            ?.lease_expires_at_ms ?? null);
      this.#statements.run("updateRun", {
        id: runId,
        status: update.status,
        result: update.result,
        error: update.error,
        waitKind: update.waitingFor?.kind,
        waitName: waitName(update.waitingFor),
        wakeAtMs: update.wakeAtMs,
        dueAtMs: this.#dueAfterCommit(commit, row),
        leaseOwner: update.release ? null : owner,
        leaseExpiresAtMs,
        reason: update.reason,
        lastSeq: commit.expectedLastSeq + commit.events.length,
        nowMs,
        finishedAtMs: finished ? nowMs : undefined,
      });
    });
  }

  /** When the run should next be claimed; earlier than asked if a cancellation or awaited signal is waiting. */
  #dueAfterCommit(commit: RunCommit, row: WriteRow): number | null {
    const { update, nowMs, runId } = commit;
    if (FINISHED_STATUSES.has(update.status) || update.status === "blocked") return null;
    if (!update.release) return nowMs;
    if (row.cancel_requested === 1) return nowMs;
    const waitsFor = update.waitingFor;
    if (waitsFor?.kind === "signal" && this.#statements.get("hasUnconsumedSignal", { runId, name: waitsFor.name })) {
      return nowMs;
    }
    return update.dueAtMs ?? null;
  }

  async sendSignal(signal: NewSignal): Promise<{ duplicate: boolean }> {
    return this.#write("store a signal", () => {
      const row = this.#statements.get<WriteRow>("getRunForWrite", { id: signal.runId });
      if (row === undefined) throw new RunNotFoundError(signal.runId);
      if (FINISHED_STATUSES.has(row.status as RunStatus)) {
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

  async requestCancel(runId: string, reason: string | undefined, nowMs: number): Promise<void> {
    this.#write("request a cancellation", () => {
      const row = this.#statements.get<WriteRow>("getRunForWrite", { id: runId });
      if (row === undefined) throw new RunNotFoundError(runId);
      if (FINISHED_STATUSES.has(row.status as RunStatus)) throw new RunFinishedError(runId, row.status, "cancel");
      if (row.cancel_requested === 1) return;
      this.#statements.run("requestCancel", { id: runId, reason, nowMs });
    });
  }

  async claimDueRuns(request: ClaimRequest): Promise<RunRecord[]> {
    if (request.workflows.length === 0 || request.limit <= 0) return [];
    return this.#write("claim due runs", () =>
      this.#statements
        .all<RunRow>("claimDueRuns", {
          owner: request.owner,
          nowMs: request.nowMs,
          leaseUntilMs: request.nowMs + request.leaseMs,
          limit: request.limit,
          workflows: JSON.stringify(request.workflows),
        })
        .map(toRecord),
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
    this.#write("release leases", () => {
      this.#statements.run("releaseLeases", { owner, runIds: JSON.stringify(runIds), nowMs });
    });
  }

  async nextDueAtMs(workflows: readonly string[]): Promise<number | undefined> {
    if (workflows.length === 0) return undefined;
    return this.#read("find the next due run", () => {
      const row = this.#statements.get<{ due_at_ms: number }>("nextDue", { workflows: JSON.stringify(workflows) });
      return row?.due_at_ms;
    });
  }

  async retryBlockedRuns(workflows: readonly string[], nowMs: number): Promise<number> {
    if (workflows.length === 0) return 0;
    return this.#write("retry blocked runs", () => {
      return this.#statements.run("retryBlockedRuns", { workflows: JSON.stringify(workflows), nowMs }).changes;
    });
  }

  async registerWorkflows(workflows: readonly string[], nowMs: number): Promise<void> {
    this.#write("register workflows", () => {
      for (const name of workflows) this.#statements.run("registerWorkflow", { name, nowMs });
    });
  }

  async workflowLastSeenAtMs(workflow: string): Promise<number | undefined> {
    return this.#read("read the workflow registry", () => {
      return this.#statements.get<{ last_seen_at_ms: number }>("workflowLastSeen", { name: workflow })?.last_seen_at_ms;
    });
  }

  /**
   * The connection's durability settings and schema version, as SQLite reports them.
   *
   * @example
   * console.log(store.diagnostics()); // { journalMode: "wal", synchronous: "full", busyTimeoutMs: 5000, schemaVersion: 1 }
   */
  diagnostics(): { journalMode: string; synchronous: string; busyTimeoutMs: number; schemaVersion: number } {
    return this.#read("read settings", () => ({
      journalMode: String(this.#db.pragma("journal_mode", { simple: true })),
      synchronous: SYNCHRONOUS_NAMES[this.#db.pragma("synchronous", { simple: true }) as number] ?? "unknown",
      busyTimeoutMs: this.#db.pragma("busy_timeout", { simple: true }) as number,
      schemaVersion: this.#db.pragma("user_version", { simple: true }) as number,
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /** Runs `body` in one BEGIN IMMEDIATE transaction: it waits for other writers instead of failing at upgrade. */
  #write<T>(action: string, body: () => T): T {
    return this.#guard(action, () => this.#db.transaction(body).immediate());
  }

  #read<T>(action: string, body: () => T): T {
    return this.#guard(action, body);
  }

  #guard<T>(action: string, body: () => T): T {
    if (this.#closed) throw new StoreError(`Cannot ${action}: the store '${this.filename}' is closed.`);
    try {
      return body();
    } catch (error) {
      if (error instanceof RepriseError) throw error;
      throw new StoreError(`Cannot ${action} in '${this.filename}': ${describe(error)}`, { cause: error });
    }
  }
}

/** PRAGMA synchronous reports a number. */
const SYNCHRONOUS_NAMES: Record<number, string> = { 0: "off", 1: "normal", 2: "full", 3: "extra" };

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    workflow: row.workflow,
    status: row.status as RunStatus,
    input: row.input,
    result: row.result ?? undefined,
    error: row.error ?? undefined,
    waitingFor: toWaitInfo(row.wait_kind, row.wait_name),
    wakeAtMs: row.wake_at_ms ?? undefined,
    reason: row.reason ?? undefined,
    cancelRequested: row.cancel_requested === 1,
    cancelReason: row.cancel_reason ?? undefined,
    lastSeq: row.last_seq,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
    finishedAtMs: row.finished_at_ms ?? undefined,
  };
}

function toWaitInfo(kind: string | null, name: string | null): WaitInfo | undefined {
  if (kind === "timer") return { kind: "timer" };
  if (kind === "retry" && name !== null) return { kind: "retry", step: name };
  if (kind === "signal" && name !== null) return { kind: "signal", name };
  return undefined;
}

function waitName(wait: WaitInfo | undefined): string | undefined {
  if (wait?.kind === "retry") return wait.step;
  if (wait?.kind === "signal") return wait.name;
  return undefined;
}

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
