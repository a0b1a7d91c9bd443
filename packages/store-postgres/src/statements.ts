// Every query the store runs, built with Kysely and compiled once per schema (then cached), plus the executor
// that binds arguments and runs them on a pool or inside a transaction. Nothing here decides when to run what.
import { CompiledQuery, sql, type Kysely, type RawBuilder } from "kysely";
import { changeChannel } from "./change-notifications.js";
import { queueQueries } from "./queue-statements.js";
import { builder, compileStatement, param, type CompiledStatement } from "./query-builder.js";
import type { Database } from "./schema.js";

/** The statuses a run never leaves, as SQL constants. */
const FINISHED = ["completed", "failed", "cancelled"] as const;

/**
 * The run's (workflow, version) is one of the served pairs, passed as two parallel arrays (`names`, `versions`):
 * one fixed statement for any number of workflows, and the planner still walks `runs_due` in due order.
 */
const servedBy = () =>
  sql<boolean>`(${sql.ref("workflow")}, ${sql.ref("version")}) in (select * from unnest(${param("names")}::text[], ${param("versions")}::int[]))`;

/**
 * The database's clock, in epoch ms: what lease expiry is decided by. Engines on several hosts share one store,
 * and their clocks may be minutes apart; judged by each host's own clock, a fast one would take over leases that
 * are still live. The statement's start time, so every row of one statement sees the same instant.
 *
 * @example
 * const live = sql<boolean>`lease_expires_at_ms > ${databaseNowMs}`;
 */
export const databaseNowMs = sql<number>`(extract(epoch from statement_timestamp()) * 1000)::bigint`;

/** A lease of `leaseMs` (a parameter) from now on the database's clock; NULL when `leaseMs` is NULL. */
const leaseUntil = (name: string) => sql<number>`${databaseNowMs} + ${param(name)}::bigint`;

/** `column = any(array parameter)`: one statement for any number of ids. */
const inArray = (column: string, name: string) => sql<boolean>`${sql.ref(column)} = any(${param(name)}::text[])`;

/** `value` is one of the text[] in `column` (a wake set's signals or children). */
const inColumn = (column: "wake_signals" | "wake_children", name: string) =>
  sql<boolean>`${param(name)}::text = any(${sql.ref(column)})`;

const runColumns = [
  "id",
  "workflow",
  "status",
  "input",
  "result",
  "error",
  "wait_kind",
  "wait_name",
  "wake_at_ms",
  "reason",
  "cancel_requested",
  "cancel_reason",
  "last_seq",
  "created_at_ms",
  "updated_at_ms",
  "finished_at_ms",
  "wake_signals",
  "wake_children",
  "parent_id",
  "version",
  "generation",
  "queue",
  "queue_key",
  "priority",
  "tags",
] as const;

/**
 * The columns `getRun`, `claimDueRuns` and `listRuns` select.
 *
 * @example
 * db.withSchema(schema).selectFrom("runs").select(RUN_COLUMNS);
 */
export const RUN_COLUMNS = runColumns;

/** Served workflows as the `names` / `versions` arguments of the scheduling statements. */
type Served = { names: string[]; versions: number[] };

/** A raw SQL statement in the shape compileStatement takes (compiled by the same non-executing builder). */
const rawStatement = (query: RawBuilder<unknown>) => ({ compile: () => query.compile(builder) });

/** Compiles every fixed-shape statement for one schema (its tables qualified by name). */
function buildQueries(schema: string) {
  const db = builder.withSchema(schema);
  return {
    getRun: compileStatement<{ id: string }>(db.selectFrom("runs").select(runColumns).where("id", "=", param("id"))),
    getRunOutcome: compileStatement<{ id: string }>(
      db.selectFrom("runs").select(["status", "result", "error", "reason"]).where("id", "=", param("id")),
    ),
    /** The row a write reads before changing a run, locked until commit: writers of one run take turns. */
    getRunForWrite: compileStatement<{ id: string }>(
      db
        .selectFrom("runs")
        .select([
          "run_key",
          "status",
          "lease_owner",
          "lease_expires_at_ms",
          "last_seq",
          "cancel_requested",
          "parent_id",
        ])
        .where("id", "=", param("id"))
        .forUpdate(),
    ),
    /**
     * Waits for any write holding the run's row, so that the next statement (a fresh snapshot) sees the run as
     * that write left it: an UPDATE whose condition fails on the row as it was would skip it without waiting.
     */
    lockRun: compileStatement<{ id: string }>(
      db.selectFrom("runs").select("run_key").where("id", "=", param("id")).forUpdate(),
    ),
    insertRun: compileStatement<{
      id: string;
      workflow: string;
      version: number;
      status: string;
      input: string;
      leaseOwner: string | undefined;
      leaseMs: number | undefined;
      nowMs: number;
      parentId: string | undefined;
      cancelWithParent: boolean;
      queue: string | undefined;
      queueKey: string | undefined;
      priority: number;
      dueAtMs: number;
    }>(
      db
        .insertInto("runs")
        .values({
          queue: param("queue"),
          queue_key: param("queueKey"),
          priority: param("priority"),
          id: param("id"),
          workflow: param("workflow"),
          version: param("version"),
          generation: 1,
          status: param("status"),
          input: param("input"),
          lease_owner: param("leaseOwner"),
          lease_expires_at_ms: leaseUntil("leaseMs"),
          due_at_ms: param("dueAtMs"),
          cancel_requested: false,
          last_seq: 1,
          created_at_ms: param("nowMs"),
          updated_at_ms: param("nowMs"),
          parent_id: param("parentId"),
          cancel_with_parent: param("cancelWithParent"),
        })
        // An existing id is not an error: createRun then returns that run (`created: false`).
        .onConflict((oc) => oc.column("id").doNothing())
        .returning("run_key"),
    ),
    /** Appends any number of events in one statement: the columns arrive as parallel arrays. */
    insertEvents: compileStatement<{
      runKey: number;
      seqs: number[];
      types: string[];
      atMs: number[];
      data: string[];
    }>(
      db
        .insertInto("events")
        .columns(["run_key", "seq", "type", "at_ms", "data"])
        .expression(
          sql`select ${param("runKey")}::bigint, * from unnest(${param("seqs")}::int[], ${param("types")}::text[], ${param("atMs")}::bigint[], ${param("data")}::text[])`,
        ),
    ),
    readEvents: compileStatement<{ runId: string; afterSeq: number }>(
      db
        .selectFrom("events")
        // Rows come back shaped as EventRecords ({ seq, type, atMs, data }): a long history is not copied again.
        .select(["seq", "type", "at_ms as atMs", "data"])
        .where("run_key", "=", (eb) => eb.selectFrom("runs").select("run_key").where("id", "=", param("runId")))
        .where("seq", ">", param("afterSeq"))
        .orderBy("seq"),
    ),
    /** The current generation of a run (no row: unknown run). */
    runGeneration: compileStatement<{ runId: string }>(
      db.selectFrom("runs").select(["run_key", "generation"]).where("id", "=", param("runId")),
    ),
    readArchivedEvents: compileStatement<{ runKey: number; generation: number; afterSeq: number }>(
      db
        .selectFrom("event_archive")
        .select(["seq", "type", "at_ms as atMs", "data"])
        .where("run_key", "=", param("runKey"))
        .where("generation", "=", param("generation"))
        .where("seq", ">", param("afterSeq"))
        .orderBy("seq"),
    ),
    /** Copies a run's current generation of events to `event_archive` (the write that continues it as new). */
    archiveEvents: compileStatement<{ runKey: number; generation: number }>(
      db
        .insertInto("event_archive")
        .columns(["run_key", "generation", "seq", "type", "at_ms", "data"])
        .expression((eb) =>
          eb
            .selectFrom("events")
            .select((inner) => [
              "run_key",
              inner.cast(inner.val(param("generation")), "integer").as("generation"),
              "seq",
              "type",
              "at_ms",
              "data",
            ])
            .where("run_key", "=", param("runKey")),
        ),
    ),
    deleteEvents: compileStatement<{ runKey: number }>(db.deleteFrom("events").where("run_key", "=", param("runKey"))),
    /** The run's next generation: its input, and a log that starts again at seq 1. */
    startGeneration: compileStatement<{ runKey: number; input: string }>(
      db
        .updateTable("runs")
        .set((eb) => ({ generation: eb("generation", "+", 1), input: param("input"), last_seq: 1 }))
        .where("run_key", "=", param("runKey"))
        .returning("generation"),
    ),
    /**
     * A commit's new projection of the run, written only while `owner` holds the lease at `expectedLastSeq`;
     * returns the run's key (no row: the lease is lost). Used after reading the row, and on its own to end a run.
     */
    updateRun: compileStatement<{
      id: string;
      owner: string;
      expectedLastSeq: number;
      status: string;
      result: string | undefined;
      error: string | undefined;
      waitKind: string | undefined;
      waitName: string | undefined;
      wakeAtMs: number | undefined;
      wakeSignals: readonly string[] | undefined;
      wakeChildren: readonly string[] | undefined;
      dueAtMs: number | null;
      leaseOwner: string | null;
      leaseExpiresAtMs: number | null;
      reason: string | undefined;
      lastSeq: number;
      nowMs: number;
      finishedAtMs: number | undefined;
    }>(
      db
        .updateTable("runs")
        .set({
          status: param("status"),
          result: param("result"),
          error: param("error"),
          wait_kind: param("waitKind"),
          wait_name: param("waitName"),
          wake_at_ms: param("wakeAtMs"),
          wake_signals: sql`${param("wakeSignals")}::text[]`,
          wake_children: sql`${param("wakeChildren")}::text[]`,
          due_at_ms: param("dueAtMs"),
          lease_owner: param("leaseOwner"),
          lease_expires_at_ms: param("leaseExpiresAtMs"),
          reason: param("reason"),
          last_seq: param("lastSeq"),
          updated_at_ms: param("nowMs"),
          finished_at_ms: param("finishedAtMs"),
        })
        .where("id", "=", param("id"))
        .where("lease_owner", "=", param("owner"))
        .where("last_seq", "=", param("expectedLastSeq"))
        .returning(["run_key", "parent_id"]),
    ),
    /**
     * A commit that only moves a running run's log forward, as one statement: it checks the lease and the log
     * position and records the new position, but only if nothing else about the run is set (no wait, result,
     * error or reason). Returns the run's key; no row means the run is not in that state, and writeCommit takes
     * the full path (which tells a lost lease from a projection to rewrite).
     */
    recordProgress: compileStatement<{
      id: string;
      owner: string;
      expectedLastSeq: number;
      lastSeq: number;
      nowMs: number;
    }>(
      db
        .updateTable("runs")
        .set({ last_seq: param("lastSeq"), updated_at_ms: param("nowMs") })
        .where("id", "=", param("id"))
        .where("lease_owner", "=", param("owner"))
        .where("last_seq", "=", param("expectedLastSeq"))
        .where("status", "=", "running")
        .where("wait_kind", "is", null)
        .where("wait_name", "is", null)
        .where("wake_at_ms", "is", null)
        .where("wake_signals", "is", null)
        .where("wake_children", "is", null)
        .where("reason", "is", null)
        .where("result", "is", null)
        .where("error", "is", null)
        .returning("run_key"),
    ),
    /**
     * Gives a run that just ended the next position in the order of endings. The counter's row stays locked
     * until this transaction commits, so the next ending waits for it: positions are handed out in commit order
     * and a reader never sees a smaller position appear after a larger one. Run it last in the write: the lock
     * serialises only the end of ending writes.
     */
    /**
     * recordProgress for many runs at once (group commit's batches): the same guard per run, the arguments as
     * parallel arrays; returns the id and key of each run it moved on (a missing id: that commit takes the slow path).
     */
    recordProgressMany: compileStatement<{
      ids: string[];
      owners: string[];
      expectedLastSeqs: number[];
      lastSeqs: number[];
      nowMs: number[];
    }>(
      // Raw SQL: Kysely's typings have no UPDATE … FROM a function; the guard is recordProgress's, run by run.
      rawStatement(
        sql`update ${sql.table(`${schema}.runs`)} as runs set last_seq = progress.last_seq, updated_at_ms = progress.now_ms from unnest(${param("ids")}::text[], ${param("owners")}::text[], ${param("expectedLastSeqs")}::int[], ${param("lastSeqs")}::int[], ${param("nowMs")}::bigint[]) as progress(id, owner, expected, last_seq, now_ms) where runs.id = progress.id and runs.lease_owner = progress.owner and runs.last_seq = progress.expected and runs.status = 'running' and runs.wait_kind is null and runs.wait_name is null and runs.wake_at_ms is null and runs.wake_signals is null and runs.wake_children is null and runs.reason is null and runs.result is null and runs.error is null returning runs.id, runs.run_key`,
      ),
    ),
    /** insertEvents for the events of many runs at once: every column, the run key included, as an array. */
    insertEventsMany: compileStatement<{
      runKeys: number[];
      seqs: number[];
      types: string[];
      atMs: number[];
      data: string[];
    }>(
      db
        .insertInto("events")
        .columns(["run_key", "seq", "type", "at_ms", "data"])
        .expression(
          sql`select * from unnest(${param("runKeys")}::bigint[], ${param("seqs")}::int[], ${param("types")}::text[], ${param("atMs")}::bigint[], ${param("data")}::text[])`,
        ),
    ),
    /** insertRun for many runs at once; returns the id and key of each one created (a missing id already existed). */
    insertRunsMany: compileStatement<{
      ids: string[];
      workflows: string[];
      versions: number[];
      statuses: string[];
      inputs: string[];
      leaseOwners: (string | null)[];
      leaseMs: (number | null)[];
      nowMs: number[];
      parentIds: (string | null)[];
      cancelWithParents: boolean[];
    }>(
      db
        .insertInto("runs")
        .columns([
          "id",
          "workflow",
          "version",
          "status",
          "input",
          "lease_owner",
          "lease_expires_at_ms",
          "due_at_ms",
          "created_at_ms",
          "updated_at_ms",
          "parent_id",
          "cancel_with_parent",
          "generation",
          "cancel_requested",
          "last_seq",
        ])
        .expression(
          sql`select id, workflow, version, status, input, lease_owner, ${databaseNowMs} + lease_ms, now_ms, now_ms, now_ms, parent_id, cancel_with_parent, 1, false, 1 from unnest(${param("ids")}::text[], ${param("workflows")}::text[], ${param("versions")}::int[], ${param("statuses")}::text[], ${param("inputs")}::text[], ${param("leaseOwners")}::text[], ${param("leaseMs")}::bigint[], ${param("nowMs")}::bigint[], ${param("parentIds")}::text[], ${param("cancelWithParents")}::boolean[]) as created(id, workflow, version, status, input, lease_owner, lease_ms, now_ms, parent_id, cancel_with_parent)`,
        )
        .onConflict((oc) => oc.column("id").doNothing())
        .returning(["id", "run_key"]),
    ),
    assignFinishedSeq: compileStatement<{ runKey: number }>(
      db
        .with("next", (qc) =>
          qc
            .updateTable("meta")
            .set((eb) => ({ value: eb("value", "+", 1) }))
            .where("key", "=", "finished_seq")
            .returning("value"),
        )
        .updateTable("runs")
        .set((eb) => ({ finished_seq: eb.selectFrom("next").select("value") }))
        .where("run_key", "=", param("runKey")),
    ),
    finishedRunsSince: compileStatement<{ cursor: number; limit: number }>(
      db
        .selectFrom("runs")
        .select(["id", "status", "result", "error", "reason", "finished_seq"])
        .where("finished_seq", ">", param("cursor"))
        .orderBy("finished_seq")
        .limit(param("limit")),
    ),
    latestFinishedSeq: compileStatement<Record<string, never>>(
      db.selectFrom("meta").select("value as latest").where("key", "=", "finished_seq"),
    ),
    signalExists: compileStatement<{ runId: string; signalId: string }>(
      db
        .selectFrom("signals")
        .select("position")
        .where("run_id", "=", param("runId"))
        .where("signal_id", "=", param("signalId")),
    ),
    hasUnconsumedSignal: compileStatement<{ runId: string; names: readonly string[] }>(
      db
        .selectFrom("signals")
        .select("position")
        .where("run_id", "=", param("runId"))
        .where(inArray("name", "names"))
        .where("consumed_seq", "is", null)
        .limit(1),
    ),
    consumeSignal: compileStatement<{ runId: string; position: number; seq: number }>(
      db
        .updateTable("signals")
        .set({ consumed_seq: param("seq") })
        .where("run_id", "=", param("runId"))
        .where("position", "=", param("position"))
        .where("consumed_seq", "is", null),
    ),
    insertSignal: compileStatement<{ runId: string; signalId: string; name: string; payload: string; nowMs: number }>(
      db
        .insertInto("signals")
        .values({
          run_id: param("runId"),
          signal_id: param("signalId"),
          name: param("name"),
          payload: param("payload"),
          sent_at_ms: param("nowMs"),
        })
        .onConflict((oc) => oc.columns(["run_id", "signal_id"]).doNothing()),
    ),
    wakeSignalWaiter: compileStatement<{ runId: string; name: string; nowMs: number }>(
      db
        .updateTable("runs")
        .set({ due_at_ms: param("nowMs") })
        .where("id", "=", param("runId"))
        .where("status", "=", "waiting")
        .where(inColumn("wake_signals", "name")),
    ),
    /** A parent whose wake set lists the child that just ended is due now (the child's ending write runs this). */
    wakeParent: compileStatement<{ parentId: string; childId: string; nowMs: number }>(
      db
        .updateTable("runs")
        .set({ due_at_ms: param("nowMs") })
        .where("id", "=", param("parentId"))
        .where("status", "in", ["sleeping", "waiting"])
        .where(inColumn("wake_children", "childId")),
    ),
    /** Whether any of these runs has finished: a parent released to wait for one of them is due at once. */
    anyFinished: compileStatement<{ ids: readonly string[] }>(
      db.selectFrom("runs").select("run_key").where(inArray("id", "ids")).where("status", "in", FINISHED).limit(1),
    ),
    /** A run's unfinished children that are cancelled with it (requestCancel cascades through these). */
    childrenToCancel: compileStatement<{ parentId: string }>(
      db
        .selectFrom("runs")
        .select(["id", "cancel_requested"])
        .where("parent_id", "=", param("parentId"))
        .where("cancel_with_parent", "=", true)
        .where("status", "not in", FINISHED)
        .orderBy("run_key"),
    ),
    childrenOf: compileStatement<{ parentId: string; limit: number }>(
      db
        .selectFrom("runs")
        .select("id")
        .where("parent_id", "=", param("parentId"))
        .orderBy("run_key")
        .limit(param("limit")),
    ),
    nextSignal: compileStatement<{ runId: string; name: string; afterPosition: number }>(
      db
        .selectFrom("signals")
        .select(["position", "signal_id", "name", "payload", "sent_at_ms"])
        .where("run_id", "=", param("runId"))
        .where("name", "=", param("name"))
        .where("consumed_seq", "is", null)
        .where("position", ">", param("afterPosition"))
        .orderBy("position")
        .limit(1),
    ),
    pendingSignals: compileStatement<{ runId: string; limit: number }>(
      db
        .selectFrom("signals")
        .select(["position", "signal_id as signalId", "name", "sent_at_ms as sentAtMs"])
        .where("run_id", "=", param("runId"))
        .where("consumed_seq", "is", null)
        .orderBy("position")
        .limit(param("limit")),
    ),
    requestCancel: compileStatement<{ id: string; reason: string | undefined; nowMs: number }>(
      db
        .updateTable("runs")
        .set({
          cancel_requested: true,
          cancel_reason: param("reason"),
          updated_at_ms: param("nowMs"),
          // A parked run is woken so the cancellation reaches it now; a blocked run keeps waiting for fixed code.
          due_at_ms: sql`case when status in ('sleeping', 'waiting') then ${param("nowMs")}::bigint else due_at_ms end`,
        })
        .where("id", "=", param("id"))
        .where("status", "not in", FINISHED),
    ),
    /**
     * Leases due runs. SKIP LOCKED lets concurrent claimers pass over rows another claim (or any write) holds
     * instead of waiting for it and then finding them taken: two engines never get the same run, and neither
     * blocks the other. The subquery re-checks each row it locks, so a run claimed meanwhile is not returned.
     * Only runs without a queue: a claim takes this path when it found no queue, and under READ COMMITTED runs
     * of a queue may have been committed since it looked; they wait for a claim that applies their queue's rules.
     */
    claimDueRuns: compileStatement<Served & { owner: string; nowMs: number; leaseMs: number; limit: number }>(
      db
        .updateTable("runs")
        .set({
          status: "running",
          lease_owner: param("owner"),
          lease_expires_at_ms: leaseUntil("leaseMs"),
          updated_at_ms: param("nowMs"),
        })
        .where(
          "run_key",
          "in",
          db
            .selectFrom("runs")
            .select("run_key")
            .where("due_at_ms", "<=", param("nowMs"))
            .where("queue", "is", null)
            .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_expires_at_ms", "<=", databaseNowMs)]))
            .where(servedBy())
            .orderBy("due_at_ms")
            .limit(param("limit"))
            .forUpdate()
            .skipLocked(),
        )
        .returning(runColumns),
    ),
    renewLeases: compileStatement<{ owner: string; runIds: readonly string[]; leaseMs: number }>(
      db
        .updateTable("runs")
        .set({ lease_expires_at_ms: leaseUntil("leaseMs") })
        .where("lease_owner", "=", param("owner"))
        .where(inArray("id", "runIds"))
        .returning(["id", "cancel_requested", "cancel_reason"]),
    ),
    releaseLeases: compileStatement<{ owner: string; runIds: readonly string[]; nowMs: number }>(
      db
        .updateTable("runs")
        .set({ lease_owner: null, lease_expires_at_ms: null, due_at_ms: param("nowMs"), updated_at_ms: param("nowMs") })
        .where("lease_owner", "=", param("owner"))
        .where(inArray("id", "runIds")),
    ),
    registerLeaseHolder: compileStatement<{
      owner: string;
      host: string;
      machineId: string | undefined;
      bootId: string | undefined;
      pidNamespace: string | undefined;
      pid: number;
      nowMs: number;
    }>(
      db
        .insertInto("lease_holders")
        .values({
          owner: param("owner"),
          host: param("host"),
          machine_id: param("machineId"),
          boot_id: param("bootId"),
          pid_namespace: param("pidNamespace"),
          pid: param("pid"),
          registered_at_ms: param("nowMs"),
        })
        .onConflict((oc) =>
          oc.column("owner").doUpdateSet((eb) => ({
            host: eb.ref("excluded.host"),
            machine_id: eb.ref("excluded.machine_id"),
            boot_id: eb.ref("excluded.boot_id"),
            pid_namespace: eb.ref("excluded.pid_namespace"),
            pid: eb.ref("excluded.pid"),
            registered_at_ms: eb.ref("excluded.registered_at_ms"),
          })),
        ),
    ),
    leaseHoldersOn: compileStatement<{ host: string }>(
      db
        .selectFrom("lease_holders")
        .select(["owner", "host", "machine_id", "boot_id", "pid_namespace", "pid"])
        .where("host", "=", param("host")),
    ),
    /** Expires now, on the database's clock, the leases the given owners still hold (never extending one). */
    expireLeasesOf: compileStatement<{ owners: readonly string[] }>(
      db
        .updateTable("runs")
        .set({ lease_expires_at_ms: databaseNowMs })
        .where(inArray("lease_owner", "owners"))
        .where("lease_expires_at_ms", ">", databaseNowMs),
    ),
    forgetLeaseHolders: compileStatement<{ owners: readonly string[] }>(
      db.deleteFrom("lease_holders").where(inArray("owner", "owners")),
    ),
    nextDue: compileStatement<Served>(
      db
        .selectFrom("runs")
        .select("due_at_ms")
        .where("due_at_ms", "is not", null)
        .where("lease_owner", "is", null)
        .where(servedBy())
        .orderBy("due_at_ms")
        .limit(1),
    ),
    /** Opens a blocked episode (the run's next number) in the write that blocks it, which holds the run's row. */
    openBlockedEpisode: compileStatement<{ runKey: number; nowMs: number; lastSeq: number; reason: string }>(
      db
        .insertInto("run_blocks")
        .values((eb) => ({
          run_key: param("runKey"),
          episode: eb
            .selectFrom("run_blocks")
            .select(sql<number>`coalesce(max(episode), 0) + 1`.as("next"))
            .where("run_key", "=", param("runKey")),
          blocked_at_ms: param("nowMs"),
          last_seq: param("lastSeq"),
          reason: param("reason"),
        }))
        .returning("episode"),
    ),
    dropOldBlockedEpisodes: compileStatement<{ runKey: number; upToEpisode: number }>(
      db.deleteFrom("run_blocks").where("run_key", "=", param("runKey")).where("episode", "<=", param("upToEpisode")),
    ),
    /** Ends a blocked run as cancelled (forceCancelBlocked), if it is still blocked at `expectedLastSeq`. */
    forceCancelRun: compileStatement<{
      id: string;
      expectedLastSeq: number;
      lastSeq: number;
      reason: string | undefined;
      nowMs: number;
    }>(
      db
        .updateTable("runs")
        .set({
          status: "cancelled",
          reason: param("reason"),
          error: null,
          cancel_requested: true,
          cancel_reason: sql`coalesce(cancel_reason, ${param("reason")}::text)`,
          wait_kind: null,
          wait_name: null,
          wake_at_ms: null,
          wake_signals: null,
          wake_children: null,
          due_at_ms: null,
          lease_owner: null,
          lease_expires_at_ms: null,
          last_seq: param("lastSeq"),
          updated_at_ms: param("nowMs"),
          finished_at_ms: param("nowMs"),
        })
        .where("id", "=", param("id"))
        .where("status", "=", "blocked")
        .where("last_seq", "=", param("expectedLastSeq"))
        .returning(["run_key", "parent_id"]),
    ),
    closeForceCancelledEpisode: compileStatement<{ runKey: number; nowMs: number }>(
      db
        .updateTable("run_blocks")
        .set({ ended_at_ms: param("nowMs"), ended_by: "force-cancelled" })
        .where("run_key", "=", param("runKey"))
        .where("ended_at_ms", "is", null),
    ),
    /** Closes the open episodes of the blocked runs retryBlockedRuns makes pending, in the same statement. */
    retryBlockedRuns: compileStatement<Served & { nowMs: number }>(
      db
        .with("retried", (qc) =>
          qc
            .updateTable("runs")
            .set({
              status: "pending",
              due_at_ms: param("nowMs"),
              reason: null,
              error: null,
              updated_at_ms: param("nowMs"),
            })
            .where("status", "=", "blocked")
            .where(servedBy())
            .returning("run_key"),
        )
        .with("closed", (qc) =>
          qc
            .updateTable("run_blocks")
            .set({ ended_at_ms: param("nowMs"), ended_by: "retried" })
            .where("ended_at_ms", "is", null)
            .where("run_key", "in", (eb) => eb.selectFrom("retried").select("run_key"))
            .returning("run_key"),
        )
        .selectFrom("retried")
        .select((eb) => eb.fn.countAll<number>().as("count")),
    ),
    blockedEpisodes: compileStatement<{ runId: string }>(
      db
        .selectFrom("run_blocks")
        .select([
          "blocked_at_ms as blockedAtMs",
          "last_seq as lastSeq",
          "reason",
          "ended_at_ms as endedAtMs",
          "ended_by as endedBy",
        ])
        .where("run_key", "=", (eb) => eb.selectFrom("runs").select("run_key").where("id", "=", param("runId")))
        .orderBy("episode"),
    ),
    /** Parked, unleased runs of the workflows, by run_key after the cursor (the primary key walks them in order). */
    parkedRuns: compileStatement<Served & { cursor: number; limit: number }>(
      db
        .selectFrom("runs")
        .select([...runColumns, "run_key"])
        .where("run_key", ">", param("cursor"))
        .where("status", "in", ["sleeping", "waiting"])
        .where("lease_owner", "is", null)
        .where(servedBy())
        .orderBy("run_key")
        .limit(param("limit")),
    ),
    /** Blocks a run only if it is still parked at the seq it was checked at; returns its key. */
    blockParkedRun: compileStatement<{
      id: string;
      expectedLastSeq: number;
      reason: string;
      error: string;
      nowMs: number;
    }>(
      db
        .updateTable("runs")
        .set({
          status: "blocked",
          reason: param("reason"),
          error: param("error"),
          wait_kind: null,
          wait_name: null,
          wake_at_ms: null,
          wake_signals: null,
          wake_children: null,
          due_at_ms: null,
          updated_at_ms: param("nowMs"),
        })
        .where("id", "=", param("id"))
        .where("status", "in", ["sleeping", "waiting"])
        .where("lease_owner", "is", null)
        .where("last_seq", "=", param("expectedLastSeq"))
        .returning("run_key"),
    ),
    registerWorkflows: compileStatement<Served & { nowMs: number }>(
      db
        .insertInto("workflows")
        .columns(["name", "version", "last_seen_at_ms"])
        .expression(
          sql`select name, version, ${param("nowMs")}::bigint from unnest(${param("names")}::text[], ${param("versions")}::int[]) as served(name, version)`,
        )
        .onConflict((oc) =>
          oc
            .columns(["name", "version"])
            .doUpdateSet((eb) => ({ last_seen_at_ms: eb.ref("excluded.last_seen_at_ms") })),
        ),
    ),
    workflowLastSeen: compileStatement<{ name: string }>(
      db
        .selectFrom("workflows")
        .select((eb) => eb.fn.max("last_seen_at_ms").as("last_seen_at_ms"))
        .where("name", "=", param("name")),
    ),
    workflowVersionLastSeen: compileStatement<{ name: string; version: number }>(
      db
        .selectFrom("workflows")
        .select("last_seen_at_ms")
        .where("name", "=", param("name"))
        .where("version", "=", param("version")),
    ),
    ...queueQueries(db, { servedBy, databaseNowMs, leaseUntil, runColumns }),
    /** Sends a write's change notifications (change-notifications.ts) on the schema's channel, one per payload. */
    notifyChanges: compileStatement<{ payloads: readonly string[] }>({
      compile: () =>
        sql`select pg_notify(${changeChannel(schema)}, payload) from unnest(${param("payloads")}::text[]) as payload`.compile(
          builder,
        ),
    }),
  } as const;
}

/** Every statement of the store, compiled for one schema. */
export type Queries = ReturnType<typeof buildQueries>;
type Args<Q> = Q extends CompiledStatement<infer A> ? A : never;

/** Compiled statements per schema: a process opening many stores on one schema compiles them once. */
const compiledBySchema = new Map<string, Queries>();
/** The schema each compiled set belongs to: statements built per call (run-selection.ts) name their tables with it. */
const schemaOfQueries = new WeakMap<Queries, string>();

/**
 * The statements of `schema`, compiled on first use and cached for the life of the process.
 *
 * @example
 * const queries = queriesFor("reprise");
 */
export function queriesFor(schema: string): Queries {
  let queries = compiledBySchema.get(schema);
  if (queries === undefined) {
    queries = buildQueries(schema);
    compiledBySchema.set(schema, queries);
    schemaOfQueries.set(queries, schema);
  }
  return queries;
}

/**
 * Runs compiled statements on one executor: the pool (each statement on its own) or a transaction.
 *
 * @example
 * const row = await new Statements(trx, queriesFor("reprise")).get<{ status: string }>("getRunOutcome", { id });
 */
export class Statements {
  readonly #db: Kysely<Database>;
  readonly #queries: Queries;
  readonly #counters: { statements: number };

  /** `counters.statements` counts every statement run through this executor (PostgresStore.stats()). */
  constructor(db: Kysely<Database>, queries: Queries, counters: { statements: number } = { statements: 0 }) {
    this.#db = db;
    this.#queries = queries;
    this.#counters = counters;
  }

  async all<R, K extends keyof Queries = keyof Queries>(key: K, args: Args<Queries[K]>): Promise<R[]> {
    return (await this.#execute<R>(key, args)).rows;
  }

  async get<R, K extends keyof Queries = keyof Queries>(key: K, args: Args<Queries[K]>): Promise<R | undefined> {
    return (await this.#execute<R>(key, args)).rows[0];
  }

  /** Runs a write statement; returns how many rows it changed. */
  async run<K extends keyof Queries>(key: K, args: Args<Queries[K]>): Promise<number> {
    return Number((await this.#execute(key, args)).numAffectedRows ?? 0);
  }

  /** The PostgreSQL schema these statements are compiled for. */
  get schema(): string {
    return schemaOfQueries.get(this.#queries) ?? "public";
  }

  /** Runs SQL built per call (its shape depends on a filter), with `$n` parameters; returns the rows. */
  async dynamic<R>(text: string, parameters: readonly unknown[]): Promise<R[]> {
    this.#counters.statements += 1;
    return (await this.#db.executeQuery<R>(CompiledQuery.raw(text, [...parameters]))).rows;
  }

  /** Runs a write built per call; returns how many rows it changed. */
  async dynamicRun(text: string, parameters: readonly unknown[]): Promise<number> {
    this.#counters.statements += 1;
    const result = await this.#db.executeQuery(CompiledQuery.raw(text, [...parameters]));
    return Number(result.numAffectedRows ?? 0);
  }

  /** Runs a statement compiled elsewhere (a table's own module, e.g. schedule-rows.ts) on this executor. */
  async execute<R, A extends Record<string, unknown>>(statement: CompiledStatement<A>, args: A) {
    this.#counters.statements += 1;
    return this.#db.executeQuery<R>({ ...statement.compiled, parameters: statement.bind(args) });
  }

  #execute<R>(key: keyof Queries, args: unknown) {
    const statement = this.#queries[key] as CompiledStatement<Record<string, unknown>>;
    this.#counters.statements += 1;
    return this.#db.executeQuery<R>({
      ...statement.compiled,
      parameters: statement.bind(args as Record<string, unknown>),
    });
  }
}
