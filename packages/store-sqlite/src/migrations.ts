// In-code schema migrations, numbered by PRAGMA user_version and applied under BEGIN IMMEDIATE.
// Migrations keep every row (a rebuilt table is copied whole); a store written by a newer Reprise is refused.
import type BetterSqlite3 from "better-sqlite3";
import { StoreError } from "@reprise/core";
import { sql, type CreateTableBuilder } from "kysely";
import { builder } from "./query-builder.js";

/** Marks a SQLite file as a Reprise store (PRAGMA application_id): "RPRS". */
export const REPRISE_APPLICATION_ID = 0x52505253;

interface Migration {
  readonly version: number;
  readonly statements: readonly { compile(): { sql: string } }[];
}

/** A statement Kysely's schema builder cannot express (copying rows between tables), as fixed SQL text. */
function fixedSql(text: string): { compile(): { sql: string } } {
  return { compile: () => ({ sql: text }) };
}

// Schema versions 1 and 2 share the runs columns after the key, and the runs indexes. They are history: a later
// version that changes either writes its own instead of editing these.

/** Adds the runs columns after the key (from `workflow` on), in table order. */
function withRunColumns<T extends string>(table: CreateTableBuilder<T, string>): CreateTableBuilder<T, string> {
  return table
    .addColumn("workflow", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("input", "text", (c) => c.notNull())
    .addColumn("result", "text")
    .addColumn("error", "text")
    .addColumn("wait_kind", "text")
    .addColumn("wait_name", "text")
    .addColumn("wake_at_ms", "integer")
    .addColumn("due_at_ms", "integer")
    .addColumn("lease_owner", "text")
    .addColumn("lease_expires_at_ms", "integer")
    .addColumn("reason", "text")
    .addColumn("cancel_requested", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("cancel_reason", "text")
    .addColumn("last_seq", "integer", (c) => c.notNull())
    .addColumn("created_at_ms", "integer", (c) => c.notNull())
    .addColumn("updated_at_ms", "integer", (c) => c.notNull())
    .addColumn("finished_at_ms", "integer");
}

/** The columns version 2 copies from version 1's runs table: the id and everything `withRunColumns` adds. */
const SHARED_RUN_COLUMNS =
  "id, workflow, status, input, result, error, wait_kind, wait_name, wake_at_ms, due_at_ms, lease_owner, " +
  "lease_expires_at_ms, reason, cancel_requested, cancel_reason, last_seq, created_at_ms, updated_at_ms, finished_at_ms";

/** The runs indexes besides its keys: the scheduler's due index and the run lists' orderings. */
function runIndexes(): { compile(): { sql: string } }[] {
  return [
    // The scheduler's question "what is due next?" walks this index in order and stops at the first row.
    builder.schema
      .createIndex("runs_due")
      .on("runs")
      .column("due_at_ms")
      .where(sql.ref("due_at_ms"), "is not", sql.lit(null)),
    builder.schema.createIndex("runs_status_created").on("runs").columns(["status", "created_at_ms"]),
    builder.schema.createIndex("runs_workflow_created").on("runs").columns(["workflow", "created_at_ms"]),
    builder.schema.createIndex("runs_created").on("runs").column("created_at_ms"),
  ];
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      withRunColumns(builder.schema.createTable("runs").addColumn("id", "text", (c) => c.primaryKey().notNull())),
      ...runIndexes(),
      // WITHOUT ROWID clusters a run's events by (run_id, seq): loading a history is one range read.
      builder.schema
        .createTable("events")
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("at_ms", "integer", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("events_pk", ["run_id", "seq"])
        .modifyEnd(sql`without rowid`),
      builder.schema
        .createTable("signals")
        .addColumn("position", "integer", (c) => c.primaryKey())
        .addColumn("run_id", "text", (c) => c.notNull())
        .addColumn("signal_id", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("sent_at_ms", "integer", (c) => c.notNull())
        .addColumn("consumed_seq", "integer")
        .addUniqueConstraint("signals_run_signal_id", ["run_id", "signal_id"]),
      builder.schema
        .createIndex("signals_inbox")
        .on("signals")
        .columns(["run_id", "name", "position"])
        .where(sql.ref("consumed_seq"), "is", sql.lit(null)),
      builder.schema
        .createTable("workflows")
        .addColumn("name", "text", (c) => c.primaryKey().notNull())
        .addColumn("last_seen_at_ms", "integer", (c) => c.notNull()),
    ],
  },
  {
    // Version 2 keys the event log by a small integer per run (`run_key`, assigned in creation order) instead of
    // the run's text id. Concurrent runs started together now append to neighbouring pages of the events B-tree,
    // whatever their ids look like: with random UUIDs, one group commit of ~100 step events used to dirty ~100
    // pages (one per run) and now dirties a handful. The key is an explicit INTEGER PRIMARY KEY, so VACUUM keeps it.
    version: 2,
    statements: [
      withRunColumns(
        builder.schema
          .createTable("runs_v2")
          .addColumn("run_key", "integer", (c) => c.primaryKey())
          .addColumn("id", "text", (c) => c.notNull()),
      ),
      fixedSql(
        `insert into runs_v2 (${SHARED_RUN_COLUMNS}) select ${SHARED_RUN_COLUMNS} from runs order by created_at_ms, id`,
      ),
      builder.schema
        .createTable("events_v2")
        .addColumn("run_key", "integer", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("at_ms", "integer", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("events_pk", ["run_key", "seq"])
        .modifyEnd(sql`without rowid`),
      fixedSql(
        "insert into events_v2 (run_key, seq, type, at_ms, data) " +
          "select runs_v2.run_key, events.seq, events.type, events.at_ms, events.data " +
          "from events join runs_v2 on runs_v2.id = events.run_id order by runs_v2.run_key, events.seq",
      ),
      builder.schema.dropTable("events"),
      builder.schema.dropTable("runs"),
      builder.schema.alterTable("runs_v2").renameTo("runs"),
      builder.schema.alterTable("events_v2").renameTo("events"),
      builder.schema.createIndex("runs_id").on("runs").column("id").unique(),
      ...runIndexes(),
    ],
  },
  {
    // Version 3 adds, without rebuilding anything:
    // - `runs.finished_seq`, each run's position in the order runs ended, assigned by the write that ends it, and
    //   its index: result() waiters poll "what ended since position p" in one query instead of one read per
    //   waiting handle. Runs that ended before the upgrade keep NULL (a waiter reads their outcome directly).
    // - `lease_holders`: the host and pid behind each lease owner, so an engine can take over at once the leases
    //   of a crashed process on its own machine.
    version: 3,
    statements: [
      builder.schema.alterTable("runs").addColumn("finished_seq", "integer"),
      builder.schema
        .createIndex("runs_finished")
        .on("runs")
        .column("finished_seq")
        .where(sql.ref("finished_seq"), "is not", sql.lit(null)),
      builder.schema
        .createTable("lease_holders")
        .addColumn("owner", "text", (c) => c.primaryKey().notNull())
        .addColumn("host", "text", (c) => c.notNull())
        .addColumn("machine_id", "text")
        .addColumn("boot_id", "text")
        .addColumn("pid_namespace", "text")
        .addColumn("pid", "integer", (c) => c.notNull())
        .addColumn("registered_at_ms", "integer", (c) => c.notNull()),
      builder.schema.createIndex("lease_holders_host").on("lease_holders").column("host"),
    ],
  },
  {
    // Version 4 adds `run_blocks`: the episodes during which a run was blocked (when, why, after which event, and
    // when and how it ended), written by the commit that blocks a run and by retryBlockedRuns, so that tools can
    // show a past episode once the run moved on. At most MAX_BLOCKED_EPISODES_KEPT per run (the oldest go).
    // Runs blocked before the upgrade have no episode: theirs is not known.
    version: 4,
    statements: [
      builder.schema
        .createTable("run_blocks")
        .addColumn("run_key", "integer", (c) => c.notNull())
        .addColumn("episode", "integer", (c) => c.notNull())
        .addColumn("blocked_at_ms", "integer", (c) => c.notNull())
        .addColumn("last_seq", "integer", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("ended_at_ms", "integer")
        .addColumn("ended_by", "text")
        .addPrimaryKeyConstraint("run_blocks_pk", ["run_key", "episode"])
        .modifyEnd(sql`without rowid`),
    ],
  },
  {
    // Version 5 (event format 2: parallel branches and children) adds, without rebuilding anything:
    // - the wake set of a parked run (`wake_signals`, `wake_children`: JSON arrays), replacing the single wait
    //   (`wait_kind`/`wait_name` stay, for display) as what a signal or a child's end wakes. A run that waits for a
    //   signal under an earlier version gets that signal as its wake set, so it is still woken after the upgrade.
    // - `parent_id` and `cancel_with_parent` for child runs, and the index that finds a run's children.
    version: 5,
    statements: [
      builder.schema.alterTable("runs").addColumn("wake_signals", "text"),
      builder.schema.alterTable("runs").addColumn("wake_children", "text"),
      builder.schema.alterTable("runs").addColumn("parent_id", "text"),
      builder.schema.alterTable("runs").addColumn("cancel_with_parent", "integer", (c) => c.notNull().defaultTo(0)),
      builder.schema
        .createIndex("runs_parent")
        .on("runs")
        .columns(["parent_id", "run_key"])
        .where(sql.ref("parent_id"), "is not", sql.lit(null)),
      fixedSql(
        "update runs set wake_signals = json_array(wait_name) " +
          "where wait_kind = 'signal' and wait_name is not null and status = 'waiting'",
      ),
    ],
  },
  {
    // Version 6 (changing code under running workflows) adds, without rebuilding `runs` or `events`:
    // - `runs.version`: the version of the definition a run started on (every earlier run: 1), and `workflows`
    //   keyed by (name, version) so that a run is only claimed by an engine with the code of its version;
    // - `runs.generation` and `event_archive`: a run that continues as new keeps its earlier generations' events
    //   there, readable by number, while `events` holds only the generation that replay reads.
    version: 6,
    statements: [
      builder.schema.alterTable("runs").addColumn("version", "integer", (c) => c.notNull().defaultTo(1)),
      builder.schema.alterTable("runs").addColumn("generation", "integer", (c) => c.notNull().defaultTo(1)),
      builder.schema
        .createTable("workflow_versions")
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("last_seen_at_ms", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("workflows_pk", ["name", "version"])
        .modifyEnd(sql`without rowid`),
      fixedSql(
        "insert into workflow_versions (name, version, last_seen_at_ms) select name, 1, last_seen_at_ms from workflows",
      ),
      builder.schema.dropTable("workflows"),
      builder.schema.alterTable("workflow_versions").renameTo("workflows"),
      builder.schema
        .createTable("event_archive")
        .addColumn("run_key", "integer", (c) => c.notNull())
        .addColumn("generation", "integer", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("at_ms", "integer", (c) => c.notNull())
        .addColumn("data", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("event_archive_pk", ["run_key", "generation", "seq"])
        .modifyEnd(sql`without rowid`),
    ],
  },
  {
    // Version 7 (queues and flow control) adds, without rebuilding anything:
    // - `runs.queue`, `runs.queue_key` and `runs.priority` (every earlier run: no queue, priority 0);
    // - `queues` (every queue name runs were created in) and `queue_starts` (the rate-limit windows);
    // - the indexes that keep a claim's cost independent of how many runs wait: each queue's due runs in claim
    //   order (priority, due time, creation), each queue's next due time, each queue's executing runs (what
    //   concurrency limits count), and the due runs without a queue (so that queued runs are never stepped over
    //   by the claim of runs without one).
    version: 7,
    statements: [
      builder.schema.alterTable("runs").addColumn("queue", "text"),
      builder.schema.alterTable("runs").addColumn("queue_key", "text"),
      builder.schema.alterTable("runs").addColumn("priority", "integer", (c) => c.notNull().defaultTo(0)),
      builder.schema
        .createIndex("runs_queue_due")
        .on("runs")
        .columns(["queue", "priority", "due_at_ms", "run_key"])
        .where(sql<boolean>`due_at_ms is not null and queue is not null`),
      builder.schema
        .createIndex("runs_queue_next")
        .on("runs")
        .columns(["queue", "due_at_ms"])
        .where(sql<boolean>`due_at_ms is not null and queue is not null`),
      builder.schema
        .createIndex("runs_queue_running")
        .on("runs")
        .columns(["queue", "queue_key"])
        .where(sql<boolean>`status = 'running' and queue is not null`),
      // Queued runs whose cancellation was requested: claimed past the queue's limits (they only wind down).
      builder.schema
        .createIndex("runs_queue_cancelled")
        .on("runs")
        .columns(["queue", "due_at_ms"])
        .where(sql<boolean>`cancel_requested = 1 and due_at_ms is not null and queue is not null`),
      builder.schema
        .createIndex("runs_due_unqueued")
        .on("runs")
        .column("due_at_ms")
        .where(sql<boolean>`due_at_ms is not null and queue is null`),
      builder.schema
        .createTable("queues")
        .addColumn("name", "text", (c) => c.primaryKey().notNull())
        .modifyEnd(sql`without rowid`),
      builder.schema
        .createTable("queue_starts")
        .addColumn("queue", "text", (c) => c.notNull())
        .addColumn("queue_key", "text")
        .addColumn("started_at_ms", "integer", (c) => c.notNull())
        .addColumn("run_key", "integer", (c) => c.notNull()),
      builder.schema.createIndex("queue_starts_window").on("queue_starts").columns(["queue", "started_at_ms"]),
      builder.schema
        .createIndex("queue_starts_key")
        .on("queue_starts")
        .columns(["queue", "queue_key", "started_at_ms"])
        .where(sql<boolean>`queue_key is not null`),
    ],
  },
  {
    // Version 8 (finding and acting on runs) adds, without rebuilding anything:
    // - `runs.tags` (a JSON object) and `run_tags`, one row per tag keyed (key, value, created_at_ms, run_id), so
    //   that a tag filter reads only the runs with that tag, newest first, and a count of them is an index range;
    // - `runs_status_finished`, the order in which retention finds the oldest finished runs of a status.
    // Earlier runs have no tags. (Version 7 belongs to queues.)
    version: 8,
    statements: [
      builder.schema.alterTable("runs").addColumn("tags", "text"),
      builder.schema
        .createTable("run_tags")
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addColumn("created_at_ms", "integer", (c) => c.notNull())
        .addColumn("run_id", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("run_tags_pk", ["key", "value", "created_at_ms", "run_id"])
        .modifyEnd(sql`without rowid`),
      builder.schema
        .createIndex("runs_status_finished")
        .on("runs")
        .columns(["status", "finished_at_ms"])
        .where(sql.ref("finished_at_ms"), "is not", sql.lit(null)),
    ],
  },
  {
    // Version 9 adds `schedules` (engine.schedules): one row per schedule with its cron expression, time zone,
    // policies and firing state, and the index the engine's "which schedules are due?" walks in fire-time order.
    version: 9,
    statements: [
      builder.schema
        .createTable("schedules")
        .addColumn("id", "text", (c) => c.primaryKey().notNull())
        .addColumn("workflow", "text", (c) => c.notNull())
        .addColumn("input", "text", (c) => c.notNull())
        .addColumn("cron", "text", (c) => c.notNull())
        .addColumn("timezone", "text", (c) => c.notNull())
        .addColumn("overlap", "text", (c) => c.notNull())
        .addColumn("catch_up", "text", (c) => c.notNull())
        .addColumn("catch_up_limit", "integer", (c) => c.notNull())
        .addColumn("paused", "integer", (c) => c.notNull())
        .addColumn("next_fire_at_ms", "integer")
        .addColumn("buffered_fire_at_ms", "integer")
        .addColumn("last_run_id", "text")
        .addColumn("last_fire_at_ms", "integer")
        .addColumn("revision", "integer", (c) => c.notNull())
        .addColumn("created_at_ms", "integer", (c) => c.notNull())
        .addColumn("updated_at_ms", "integer", (c) => c.notNull()),
      builder.schema
        .createIndex("schedules_next_fire")
        .on("schedules")
        .column("next_fire_at_ms")
        .where(sql.ref("next_fire_at_ms"), "is not", sql.lit(null)),
    ],
  },
];

/** Newest schema version this code knows. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Brings the schema up to date; refuses files that are not Reprise stores or are from a newer version. */
export function migrate(db: BetterSqlite3.Database, filename: string): void {
  const run = db.transaction(() => {
    const version = db.pragma("user_version", { simple: true }) as number;
    const applicationId = db.pragma("application_id", { simple: true }) as number;
    if (applicationId !== REPRISE_APPLICATION_ID) {
      const tables = db.prepare("select count(*) as n from sqlite_schema where type = 'table'").get() as { n: number };
      if (applicationId !== 0 || tables.n > 0) {
        throw new StoreError(
          `'${filename}' is a SQLite database but not a Reprise store (it has other tables). Point the store at a ` +
            `new file, or at a file created by SqliteStore.open().`,
        );
      }
    }
    if (version > LATEST_SCHEMA_VERSION) {
      throw new StoreError(
        `'${filename}' has schema version ${version}, newer than this version of @reprise/store-sqlite supports ` +
          `(${LATEST_SCHEMA_VERSION}). Upgrade @reprise/store-sqlite.`,
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      for (const statement of migration.statements) db.exec(statement.compile().sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    if (applicationId !== REPRISE_APPLICATION_ID) db.pragma(`application_id = ${REPRISE_APPLICATION_ID}`);
  });
  run.immediate();
}
