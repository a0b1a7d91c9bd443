// Every query the store runs, built with Kysely, compiled once at load time, prepared once per connection.
// Nothing here executes by itself; sqlite-store.ts decides when and inside which transaction.
import type BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { builder, compileStatement, param, type CompiledStatement } from "./query-builder.js";

/** `column IN (values of a JSON array parameter)`: one prepared statement for any number of values. */
export const inJsonArray = (column: string, name: string) =>
  sql<boolean>`${sql.ref(column)} in (select value from json_each(${param(name)}))`;

/**
 * The run's (workflow, version) is one of the served workflows, given as a JSON array of `"<version>:<name>"`
 * keys (servedKeys in sqlite-store.ts; the version is digits, so the first colon splits a key unambiguously).
 * Checked row by row: the unary `+` keeps SQLite from driving the query through an index on `workflow`. The
 * scheduler's queries walk `runs_due` in due order and stop at the first rows they need; through
 * `runs_workflow_created` they would read every run the workflows ever had (completed ones included) and sort
 * them, a cost that grows with the store's whole history. One string per served pair keeps the check as cheap as
 * the name-only one was (a row-value IN over json_extract costs about half as much again per call).
 */
export const servedBy = (name: string) =>
  sql<boolean>`+(${sql.ref("version")} || ':' || ${sql.ref("workflow")}) in (select value from json_each(${param(name)}))`;

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

/** `value` is one of the JSON array in `column` (a wake set's signals or children). */
const inJsonColumn = (column: "wake_signals" | "wake_children", name: string) =>
  sql<boolean>`exists (select 1 from json_each(${sql.ref(column)}) where value = ${param(name)})`;

/** The next position in the order of run endings: one step along the `runs_finished` index. */
const nextFinishedSeq = sql`select coalesce(max(finished_seq), 0) + 1 from runs where finished_seq is not null`;

/** The compiled SQL of every fixed-shape query, keyed by what it does. */
export const QUERIES = {
  getRun: compileStatement<{ id: string }>(builder.selectFrom("runs").select(runColumns).where("id", "=", param("id"))),
  getRunOutcome: compileStatement<{ id: string }>(
    builder.selectFrom("runs").select(["status", "result", "error", "reason"]).where("id", "=", param("id")),
  ),
  getRunForWrite: compileStatement<{ id: string }>(
    builder
      .selectFrom("runs")
      .select([
        "run_key",
        "status",
        "lease_owner",
        "lease_expires_at_ms",
        "last_seq",
        "cancel_requested",
        "wait_kind",
        "wait_name",
        "wake_at_ms",
        "reason",
        "result",
        "error",
        "parent_id",
      ])
      .where("id", "=", param("id")),
  ),
  insertRun: compileStatement<{
    id: string;
    workflow: string;
    version: number;
    status: string;
    input: string;
    leaseOwner: string | undefined;
    leaseExpiresAtMs: number | undefined;
    nowMs: number;
    parentId: string | undefined;
    cancelWithParent: number;
    queue: string | undefined;
    queueKey: string | undefined;
    priority: number;
    dueAtMs: number;
  }>(
    builder
      .insertInto("runs")
      .values({
        parent_id: param("parentId"),
        cancel_with_parent: param("cancelWithParent"),
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
        lease_expires_at_ms: param("leaseExpiresAtMs"),
        due_at_ms: param("dueAtMs"),
        cancel_requested: 0,
        last_seq: 1,
        created_at_ms: param("nowMs"),
        updated_at_ms: param("nowMs"),
      })
      // An existing id is not an error: createRun then returns that run (`created: false`).
      .onConflict((oc) => oc.column("id").doNothing()),
  ),
  insertEvent: compileStatement<{ runKey: number; seq: number; type: string; atMs: number; data: string }>(
    builder.insertInto("events").values({
      run_key: param("runKey"),
      seq: param("seq"),
      type: param("type"),
      at_ms: param("atMs"),
      data: param("data"),
    }),
  ),
  readEvents: compileStatement<{ runId: string; afterSeq: number }>(
    builder
      .selectFrom("events")
      // Rows come back shaped as EventRecords ({ seq, type, atMs, data }): a long history is not copied again.
      .select(["seq", "type", "at_ms as atMs", "data"])
      .where("run_key", "=", (eb) => eb.selectFrom("runs").select("run_key").where("id", "=", param("runId")))
      .where("seq", ">", param("afterSeq"))
      .orderBy("seq"),
  ),
  /** The current generation of a run (no row: unknown run). */
  runGeneration: compileStatement<{ runId: string }>(
    builder.selectFrom("runs").select(["run_key", "generation"]).where("id", "=", param("runId")),
  ),
  /** Events of an earlier generation of a run, kept in `event_archive` since it continued as new. */
  readArchivedEvents: compileStatement<{ runKey: number; generation: number; afterSeq: number }>(
    builder
      .selectFrom("event_archive")
      .select(["seq", "type", "at_ms as atMs", "data"])
      .where("run_key", "=", param("runKey"))
      .where("generation", "=", param("generation"))
      .where("seq", ">", param("afterSeq"))
      .orderBy("seq"),
  ),
  /** Moves a run's current generation of events to `event_archive` (the write that continues it as new). */
  archiveEvents: compileStatement<{ runKey: number; generation: number }>(
    builder
      .insertInto("event_archive")
      .columns(["run_key", "generation", "seq", "type", "at_ms", "data"])
      .expression((eb) =>
        eb
          .selectFrom("events")
          .select((inner) => [
            "run_key",
            inner.val(param("generation")).as("generation"),
            "seq",
            "type",
            "at_ms",
            "data",
          ])
          .where("run_key", "=", param("runKey")),
      ),
  ),
  deleteEvents: compileStatement<{ runKey: number }>(
    builder.deleteFrom("events").where("run_key", "=", param("runKey")),
  ),
  /** The run's next generation: its input, and a log that starts again at seq 1. */
  startGeneration: compileStatement<{ runKey: number; input: string }>(
    builder
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
    wakeSignals: string | undefined;
    wakeChildren: string | undefined;
    dueAtMs: number | null;
    leaseOwner: string | null;
    leaseExpiresAtMs: number | null;
    reason: string | undefined;
    lastSeq: number;
    nowMs: number;
    finishedAtMs: number | undefined;
  }>(
    builder
      .updateTable("runs")
      .set({
        status: param("status"),
        result: param("result"),
        error: param("error"),
        wait_kind: param("waitKind"),
        wait_name: param("waitName"),
        wake_at_ms: param("wakeAtMs"),
        wake_signals: param("wakeSignals"),
        wake_children: param("wakeChildren"),
        due_at_ms: param("dueAtMs"),
        lease_owner: param("leaseOwner"),
        lease_expires_at_ms: param("leaseExpiresAtMs"),
        reason: param("reason"),
        last_seq: param("lastSeq"),
        updated_at_ms: param("nowMs"),
        finished_at_ms: param("finishedAtMs"),
        // A run that ends here takes the next position in the order of endings. The write lock serialises
        // writers, so positions are assigned in commit order and a reader never sees a gap filled later.
        finished_seq: sql`case when ${param("finishedAtMs")} is null then null else (${nextFinishedSeq}) end`,
      })
      .where("id", "=", param("id"))
      .where("lease_owner", "=", param("owner"))
      .where("last_seq", "=", param("expectedLastSeq"))
      .returning(["run_key", "parent_id"]),
  ),
  /**
   * A commit that only moves a running run's log forward, as one statement: it checks the lease and the log
   * position and records the new position, but only if nothing else about the run is set (no wait, result,
   * error or reason). No indexed column changes, so it dirties one page of `runs`. Returns the run's key for
   * the event inserts; no row means the run is not in that state, and writeCommit takes the full path.
   */
  recordProgress: compileStatement<{
    id: string;
    owner: string;
    expectedLastSeq: number;
    lastSeq: number;
    nowMs: number;
  }>(
    builder
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
  finishedRunsSince: compileStatement<{ cursor: number; limit: number }>(
    builder
      .selectFrom("runs")
      .select(["id", "status", "result", "error", "reason", "finished_seq"])
      .where("finished_seq", ">", param("cursor"))
      .orderBy("finished_seq")
      .limit(param("limit")),
  ),
  latestFinishedSeq: compileStatement<Record<string, never>>(
    builder
      .selectFrom("runs")
      .select((eb) => eb.fn.max("finished_seq").as("latest"))
      .where("finished_seq", "is not", null),
  ),
  signalExists: compileStatement<{ runId: string; signalId: string }>(
    builder
      .selectFrom("signals")
      .select("position")
      .where("run_id", "=", param("runId"))
      .where("signal_id", "=", param("signalId")),
  ),
  hasUnconsumedSignal: compileStatement<{ runId: string; name: string }>(
    builder
      .selectFrom("signals")
      .select("position")
      .where("run_id", "=", param("runId"))
      .where("name", "=", param("name"))
      .where("consumed_seq", "is", null)
      .limit(1),
  ),
  consumeSignal: compileStatement<{ runId: string; position: number; seq: number }>(
    builder
      .updateTable("signals")
      .set({ consumed_seq: param("seq") })
      .where("run_id", "=", param("runId"))
      .where("position", "=", param("position"))
      .where("consumed_seq", "is", null),
  ),
  insertSignal: compileStatement<{ runId: string; signalId: string; name: string; payload: string; nowMs: number }>(
    builder
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
    builder
      .updateTable("runs")
      .set({ due_at_ms: param("nowMs") })
      .where("id", "=", param("runId"))
      .where("status", "=", "waiting")
      .where(inJsonColumn("wake_signals", "name")),
  ),
  /** A parent whose wake set lists the child that just ended is due now (the child's ending write runs this). */
  wakeParent: compileStatement<{ parentId: string; childId: string; nowMs: number }>(
    builder
      .updateTable("runs")
      .set({ due_at_ms: param("nowMs") })
      .where("id", "=", param("parentId"))
      .where("status", "in", ["sleeping", "waiting"])
      .where(inJsonColumn("wake_children", "childId")),
  ),
  /** Whether any run of a JSON array of ids has finished: a parent released to wait for one of them is due at once. */
  anyFinished: compileStatement<{ ids: string }>(
    builder
      .selectFrom("runs")
      .select("run_key")
      .where(inJsonArray("id", "ids"))
      .where("status", "in", ["completed", "failed", "cancelled"])
      .limit(1),
  ),
  /** A run's unfinished children that are cancelled with it (requestCancel cascades through these). */
  childrenToCancel: compileStatement<{ parentId: string }>(
    builder
      .selectFrom("runs")
      .select(["id", "status", "cancel_requested"])
      .where("parent_id", "=", param("parentId"))
      .where("cancel_with_parent", "=", 1)
      .where("status", "not in", ["completed", "failed", "cancelled"]),
  ),
  childrenOf: compileStatement<{ parentId: string; limit: number }>(
    builder
      .selectFrom("runs")
      .select("id")
      .where("parent_id", "=", param("parentId"))
      .orderBy("run_key")
      .limit(param("limit")),
  ),
  nextSignal: compileStatement<{ runId: string; name: string; afterPosition: number }>(
    builder
      .selectFrom("signals")
      .select(["position", "signal_id", "name", "payload", "sent_at_ms"])
      .where("run_id", "=", param("runId"))
      .where("name", "=", param("name"))
      .where("consumed_seq", "is", null)
      .where("position", ">", param("afterPosition"))
      .orderBy("position")
      .limit(1),
  ),
  // A run's whole inbox, oldest first (payloads left out): getRun shows it so that a misnamed signal is visible.
  pendingSignals: compileStatement<{ runId: string; limit: number }>(
    builder
      .selectFrom("signals")
      .select(["position", "signal_id as signalId", "name", "sent_at_ms as sentAtMs"])
      .where("run_id", "=", param("runId"))
      .where("consumed_seq", "is", null)
      .orderBy("position")
      .limit(param("limit")),
  ),
  requestCancel: compileStatement<{ id: string; reason: string | undefined; nowMs: number }>(
    builder
      .updateTable("runs")
      .set({
        cancel_requested: 1,
        cancel_reason: param("reason"),
        updated_at_ms: param("nowMs"),
        // A parked run is woken so the cancellation reaches it now; a blocked run keeps waiting for fixed code.
        due_at_ms: sql`case when status in ('sleeping', 'waiting') then ${param("nowMs")} else due_at_ms end`,
      })
      .where("id", "=", param("id"))
      .where("status", "not in", ["completed", "failed", "cancelled"]),
  ),
  claimDueRuns: compileStatement<{
    owner: string;
    nowMs: number;
    leaseUntilMs: number;
    limit: number;
    workflows: string;
  }>(
    builder
      .updateTable("runs")
      .set({
        status: "running",
        lease_owner: param("owner"),
        lease_expires_at_ms: param("leaseUntilMs"),
        updated_at_ms: param("nowMs"),
      })
      .where(
        "run_key",
        "in",
        builder
          .selectFrom("runs")
          .select("run_key")
          .where("due_at_ms", "<=", param("nowMs"))
          .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_expires_at_ms", "<=", param("nowMs"))]))
          .where(servedBy("workflows"))
          .orderBy("due_at_ms")
          .limit(param("limit")),
      )
      .returning(runColumns),
  ),
  renewLeases: compileStatement<{ owner: string; runIds: string; leaseUntilMs: number }>(
    builder
      .updateTable("runs")
      .set({ lease_expires_at_ms: param("leaseUntilMs") })
      .where("lease_owner", "=", param("owner"))
      .where(inJsonArray("id", "runIds"))
      .returning(["id", "cancel_requested", "cancel_reason"]),
  ),
  releaseLeases: compileStatement<{ owner: string; runIds: string; nowMs: number }>(
    builder
      .updateTable("runs")
      .set({ lease_owner: null, lease_expires_at_ms: null, due_at_ms: param("nowMs"), updated_at_ms: param("nowMs") })
      .where("lease_owner", "=", param("owner"))
      .where(inJsonArray("id", "runIds")),
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
    builder
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
        oc.column("owner").doUpdateSet({
          host: param("host"),
          machine_id: param("machineId"),
          boot_id: param("bootId"),
          pid_namespace: param("pidNamespace"),
          pid: param("pid"),
          registered_at_ms: param("nowMs"),
        }),
      ),
  ),
  leaseHoldersOn: compileStatement<{ host: string }>(
    builder
      .selectFrom("lease_holders")
      .select(["owner", "host", "machine_id", "boot_id", "pid_namespace", "pid"])
      .where("host", "=", param("host")),
  ),
  /**
   * Expires the leases the given owners still hold, as of `nowMs` (never later than they would have expired).
   * `lease_owner` has no index: this scans the runs table, which is fine for a call made only after an engine
   * proved a lease holder dead.
   */
  expireLeasesOf: compileStatement<{ owners: string; nowMs: number }>(
    builder
      .updateTable("runs")
      .set({ lease_expires_at_ms: param("nowMs") })
      .where(inJsonArray("lease_owner", "owners"))
      .where("lease_expires_at_ms", ">", param("nowMs")),
  ),
  forgetLeaseHolders: compileStatement<{ owners: string }>(
    builder.deleteFrom("lease_holders").where(inJsonArray("owner", "owners")),
  ),
  nextDue: compileStatement<{ workflows: string }>(
    builder
      .selectFrom("runs")
      .select("due_at_ms")
      .where("due_at_ms", "is not", null)
      .where("lease_owner", "is", null)
      .where(servedBy("workflows"))
      .orderBy("due_at_ms")
      .limit(1),
  ),
  /**
   * Opens a blocked episode for the run (the next number of its own), in the write that blocks it; returns the
   * number so that the oldest episodes beyond the bound can be dropped.
   */
  openBlockedEpisode: compileStatement<{ runKey: number; nowMs: number; lastSeq: number; reason: string }>(
    builder
      .insertInto("run_blocks")
      .values({
        run_key: param("runKey"),
        episode: sql<number>`(select coalesce(max(episode), 0) + 1 from run_blocks where run_key = ${param("runKey")})`,
        blocked_at_ms: param("nowMs"),
        last_seq: param("lastSeq"),
        reason: param("reason"),
      })
      .returning("episode"),
  ),
  dropOldBlockedEpisodes: compileStatement<{ runKey: number; upToEpisode: number }>(
    builder
      .deleteFrom("run_blocks")
      .where("run_key", "=", param("runKey"))
      .where("episode", "<=", param("upToEpisode")),
  ),
  /**
   * Ends a blocked run as cancelled (forceCancelBlocked), if it is still blocked at `expectedLastSeq`: its
   * projection becomes that of a cancelled run, and it takes the next position in the order of endings.
   */
  forceCancelRun: compileStatement<{
    id: string;
    expectedLastSeq: number;
    lastSeq: number;
    reason: string | undefined;
    nowMs: number;
  }>(
    builder
      .updateTable("runs")
      .set({
        status: "cancelled",
        reason: param("reason"),
        error: null,
        cancel_requested: 1,
        cancel_reason: sql`coalesce(cancel_reason, ${param("reason")})`,
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
        finished_seq: sql`(${nextFinishedSeq})`,
      })
      .where("id", "=", param("id"))
      .where("status", "=", "blocked")
      .where("last_seq", "=", param("expectedLastSeq"))
      .returning(["run_key", "parent_id"]),
  ),
  /** Closes a run's open blocked episode, as the write that force-cancels it. */
  closeForceCancelledEpisode: compileStatement<{ runKey: number; nowMs: number }>(
    builder
      .updateTable("run_blocks")
      .set({ ended_at_ms: param("nowMs"), ended_by: "force-cancelled" })
      .where("run_key", "=", param("runKey"))
      .where("ended_at_ms", "is", null),
  ),
  /** Closes the open episodes of the blocked runs retryBlockedRuns is about to make pending (run it first). */
  closeRetriedBlockedEpisodes: compileStatement<{ workflows: string; nowMs: number }>(
    builder
      .updateTable("run_blocks")
      .set({ ended_at_ms: param("nowMs"), ended_by: "retried" })
      .where("ended_at_ms", "is", null)
      .where(
        "run_key",
        "in",
        builder.selectFrom("runs").select("run_key").where("status", "=", "blocked").where(servedBy("workflows")),
      ),
  ),
  blockedEpisodes: compileStatement<{ runId: string }>(
    builder
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
  parkedRuns: compileStatement<{ workflows: string; cursor: number; limit: number }>(
    builder
      .selectFrom("runs")
      .select([...runColumns, "run_key"])
      .where("run_key", ">", param("cursor"))
      // `+status`: through runs_status_created SQLite would read every parked run and sort them for each page;
      // walking the primary key from the cursor reads one page's worth.
      .where(sql<boolean>`+${sql.ref("status")} in ('sleeping', 'waiting')`)
      .where("lease_owner", "is", null)
      .where(servedBy("workflows"))
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
    builder
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
  retryBlockedRuns: compileStatement<{ workflows: string; nowMs: number }>(
    builder
      .updateTable("runs")
      .set({ status: "pending", due_at_ms: param("nowMs"), reason: null, error: null, updated_at_ms: param("nowMs") })
      .where("status", "=", "blocked")
      .where(servedBy("workflows")),
  ),
  /** Records a queue name the first time a run is created in it (claims visit every recorded queue). */
  registerQueue: compileStatement<{ name: string }>(
    builder
      .insertInto("queues")
      .values({ name: param("name") })
      .onConflict((oc) => oc.column("name").doNothing()),
  ),
  /** Sets the priority of unfinished queued runs of a JSON array of ids; returns their ids. */
  setPriority: compileStatement<{ ids: string; priority: number; nowMs: number }>(
    builder
      .updateTable("runs")
      .set({ priority: param("priority"), updated_at_ms: param("nowMs") })
      .where(inJsonArray("id", "ids"))
      .where("queue", "is not", null)
      .where("status", "not in", ["completed", "failed", "cancelled"])
      .returning("id"),
  ),
  registerWorkflow: compileStatement<{ name: string; version: number; nowMs: number }>(
    builder
      .insertInto("workflows")
      .values({ name: param("name"), version: param("version"), last_seen_at_ms: param("nowMs") })
      .onConflict((oc) => oc.columns(["name", "version"]).doUpdateSet({ last_seen_at_ms: param("nowMs") })),
  ),
  workflowLastSeen: compileStatement<{ name: string }>(
    builder
      .selectFrom("workflows")
      .select((eb) => eb.fn.max("last_seen_at_ms").as("last_seen_at_ms"))
      .where("name", "=", param("name")),
  ),
  workflowVersionLastSeen: compileStatement<{ name: string; version: number }>(
    builder
      .selectFrom("workflows")
      .select("last_seen_at_ms")
      .where("name", "=", param("name"))
      .where("version", "=", param("version")),
  ),
} as const;

/** The columns `getRun`, `claimDueRuns` and `listRuns` select. */
export const RUN_COLUMNS = runColumns;

type Args<Q> = Q extends CompiledStatement<infer A> ? A : never;

/** Prepared statements of one connection, created on first use and reused for its lifetime. */
export class PreparedStatements {
  readonly #db: BetterSqlite3.Database;
  readonly #cache = new Map<string, BetterSqlite3.Statement>();
  /** Statements executed so far (for SqliteStore.stats(): cost guards count statements, not time). */
  executed = 0;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  run<K extends keyof typeof QUERIES>(key: K, args: Args<(typeof QUERIES)[K]>): BetterSqlite3.RunResult {
    this.executed += 1;
    return this.#statement(key).run(...QUERIES[key].bind(args as never));
  }

  get<R, K extends keyof typeof QUERIES = keyof typeof QUERIES>(
    key: K,
    args: Args<(typeof QUERIES)[K]>,
  ): R | undefined {
    this.executed += 1;
    return this.#statement(key).get(...QUERIES[key].bind(args as never)) as R | undefined;
  }

  all<R, K extends keyof typeof QUERIES = keyof typeof QUERIES>(key: K, args: Args<(typeof QUERIES)[K]>): R[] {
    this.executed += 1;
    return this.#statement(key).all(...QUERIES[key].bind(args as never)) as R[];
  }

  /** Runs a statement compiled outside QUERIES (a feature's own file), prepared once per connection as well. */
  runCompiled<A extends Record<string, unknown>>(statement: CompiledStatement<A>, args: A): BetterSqlite3.RunResult {
    this.executed += 1;
    return this.#prepared(statement.sql).run(...statement.bind(args));
  }

  /** Reads with a statement compiled outside QUERIES. */
  allCompiled<R, A extends Record<string, unknown>>(statement: CompiledStatement<A>, args: A): R[] {
    this.executed += 1;
    return this.#prepared(statement.sql).all(...statement.bind(args)) as R[];
  }

  /** Runs SQL built per call (its shape depends on a filter), with positional parameters. */
  allDynamic<R>(text: string, parameters: readonly unknown[]): R[] {
    this.executed += 1;
    return this.#prepared(text).all(...parameters) as R[];
  }

  /** Runs a write built per call, with positional parameters. */
  runDynamic(text: string, parameters: readonly unknown[]): BetterSqlite3.RunResult {
    this.executed += 1;
    return this.#prepared(text).run(...parameters);
  }

  #prepared(text: string): BetterSqlite3.Statement {
    let statement = this.#cache.get(text);
    if (statement === undefined) {
      statement = this.#db.prepare(text);
      this.#cache.set(text, statement);
    }
    return statement;
  }

  #statement(key: keyof typeof QUERIES): BetterSqlite3.Statement {
    let statement = this.#cache.get(key);
    if (statement === undefined) {
      statement = this.#db.prepare(QUERIES[key].sql);
      this.#cache.set(key, statement);
    }
    return statement;
  }
}
