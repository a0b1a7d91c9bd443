// In-code schema migrations inside the store's PostgreSQL schema, numbered in its `meta` table and applied in one
// transaction under an advisory lock, so processes opening the same schema at once migrate it exactly once.
import { sql, type CompiledQuery, type Kysely } from "kysely";
import { NotAStoreSchemaError, SchemaNotFoundError, SchemaTooNewError, SchemaTooOldError } from "./errors.js";
import { builder } from "./query-builder.js";
import type { Database } from "./schema.js";

/** A migration: the version it brings the schema to and its statements (compiled for the schema at hand). */
interface Migration {
  readonly version: number;
  readonly statements: (schema: string) => readonly { compile(): CompiledQuery }[];
}

const MIGRATIONS: readonly Migration[] = [
  {
    // Version 1 is SQLite schema version 6 in PostgreSQL terms: bigint epoch-ms times, booleans, text[] wake
    // sets, identity keys. Tables are not linked by foreign keys (as in SQLite): every write goes through one
    // store, and checks that would only repeat what its transactions already guarantee cost each commit.
    version: 1,
    statements: (schema) => {
      const ddl = builder.schema.withSchema(schema);
      return [
        ddl
          .createTable("runs")
          // An identity key in creation order: the event log is keyed by it (short, and appended in order).
          .addColumn("run_key", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
          .addColumn("id", "text", (c) => c.notNull().unique())
          .addColumn("workflow", "text", (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull().defaultTo(1))
          .addColumn("generation", "integer", (c) => c.notNull().defaultTo(1))
          .addColumn("status", "text", (c) => c.notNull())
          .addColumn("input", "text", (c) => c.notNull())
          .addColumn("result", "text")
          .addColumn("error", "text")
          .addColumn("wait_kind", "text")
          .addColumn("wait_name", "text")
          .addColumn("wake_at_ms", "bigint")
          .addColumn("due_at_ms", "bigint")
          .addColumn("lease_owner", "text")
          .addColumn("lease_expires_at_ms", "bigint")
          .addColumn("reason", "text")
          .addColumn("cancel_requested", "boolean", (c) => c.notNull().defaultTo(false))
          .addColumn("cancel_reason", "text")
          .addColumn("last_seq", "integer", (c) => c.notNull())
          .addColumn("created_at_ms", "bigint", (c) => c.notNull())
          .addColumn("updated_at_ms", "bigint", (c) => c.notNull())
          .addColumn("finished_at_ms", "bigint")
          .addColumn("finished_seq", "bigint")
          .addColumn("wake_signals", sql`text[]`)
          .addColumn("wake_children", sql`text[]`)
          .addColumn("parent_id", "text")
          .addColumn("cancel_with_parent", "boolean", (c) => c.notNull().defaultTo(false)),
        // The scheduler's "what is due next?" walks this index in order and stops at the first rows it needs.
        ddl.createIndex("runs_due").on("runs").column("due_at_ms").where(sql.ref("due_at_ms"), "is not", null),
        ddl.createIndex("runs_status_created").on("runs").columns(["status", "created_at_ms"]),
        ddl.createIndex("runs_workflow_created").on("runs").columns(["workflow", "created_at_ms"]),
        ddl.createIndex("runs_created").on("runs").column("created_at_ms"),
        ddl
          .createIndex("runs_parent")
          .on("runs")
          .columns(["parent_id", "run_key"])
          .where(sql.ref("parent_id"), "is not", null),
        ddl
          .createIndex("runs_finished")
          .on("runs")
          .column("finished_seq")
          .where(sql.ref("finished_seq"), "is not", null),
        ddl
          .createTable("events")
          .addColumn("run_key", "bigint", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("type", "text", (c) => c.notNull())
          .addColumn("at_ms", "bigint", (c) => c.notNull())
          .addColumn("data", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("events_pk", ["run_key", "seq"]),
        ddl
          .createTable("event_archive")
          .addColumn("run_key", "bigint", (c) => c.notNull())
          .addColumn("generation", "integer", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("type", "text", (c) => c.notNull())
          .addColumn("at_ms", "bigint", (c) => c.notNull())
          .addColumn("data", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("event_archive_pk", ["run_key", "generation", "seq"]),
        ddl
          .createTable("signals")
          .addColumn("position", "bigint", (c) => c.primaryKey().generatedAlwaysAsIdentity())
          .addColumn("run_id", "text", (c) => c.notNull())
          .addColumn("signal_id", "text", (c) => c.notNull())
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("payload", "text", (c) => c.notNull())
          .addColumn("sent_at_ms", "bigint", (c) => c.notNull())
          .addColumn("consumed_seq", "integer")
          .addUniqueConstraint("signals_run_signal_id", ["run_id", "signal_id"]),
        ddl
          .createIndex("signals_inbox")
          .on("signals")
          .columns(["run_id", "name", "position"])
          .where(sql.ref("consumed_seq"), "is", null),
        ddl
          .createTable("workflows")
          .addColumn("name", "text", (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("last_seen_at_ms", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("workflows_pk", ["name", "version"]),
        ddl
          .createTable("lease_holders")
          .addColumn("owner", "text", (c) => c.primaryKey())
          .addColumn("host", "text", (c) => c.notNull())
          .addColumn("machine_id", "text")
          .addColumn("boot_id", "text")
          .addColumn("pid_namespace", "text")
          .addColumn("pid", "integer", (c) => c.notNull())
          .addColumn("registered_at_ms", "bigint", (c) => c.notNull()),
        ddl.createIndex("lease_holders_host").on("lease_holders").column("host"),
        ddl
          .createTable("run_blocks")
          .addColumn("run_key", "bigint", (c) => c.notNull())
          .addColumn("episode", "integer", (c) => c.notNull())
          .addColumn("blocked_at_ms", "bigint", (c) => c.notNull())
          .addColumn("last_seq", "integer", (c) => c.notNull())
          .addColumn("reason", "text", (c) => c.notNull())
          .addColumn("ended_at_ms", "bigint")
          .addColumn("ended_by", "text")
          .addPrimaryKeyConstraint("run_blocks_pk", ["run_key", "episode"]),
        builder.withSchema(schema).insertInto("meta").values({ key: "finished_seq", value: 0 }),
      ];
    },
  },
  {
    // Version 7 (queues and flow control; numbered as the SQLite schema that adds the same): each run's queue,
    // key and priority, the queue names (whose rows claims lock), the rate-limit windows, and the indexes that keep
    // a claim's cost independent of how many runs wait (see the SQLite migration of the same number).
    version: 7,
    statements: (schema) => {
      const ddl = builder.schema.withSchema(schema);
      return [
        ddl.alterTable("runs").addColumn("queue", "text"),
        ddl.alterTable("runs").addColumn("queue_key", "text"),
        ddl.alterTable("runs").addColumn("priority", "integer", (c) => c.notNull().defaultTo(0)),
        ddl
          .createIndex("runs_queue_due")
          .on("runs")
          .columns(["queue", "priority", "due_at_ms", "run_key"])
          .where(sql<boolean>`due_at_ms is not null and queue is not null`),
        ddl
          .createIndex("runs_queue_next")
          .on("runs")
          .columns(["queue", "due_at_ms"])
          .where(sql<boolean>`due_at_ms is not null and queue is not null`),
        ddl
          .createIndex("runs_queue_running")
          .on("runs")
          .columns(["queue", "queue_key"])
          .where(sql<boolean>`status = 'running' and queue is not null`),
        // Queued runs whose cancellation was requested: claimed past the queue's limits (they only wind down).
        ddl
          .createIndex("runs_queue_cancelled")
          .on("runs")
          .columns(["queue", "due_at_ms"])
          .where(sql<boolean>`cancel_requested and due_at_ms is not null and queue is not null`),
        ddl
          .createIndex("runs_due_unqueued")
          .on("runs")
          .column("due_at_ms")
          .where(sql<boolean>`due_at_ms is not null and queue is null`),
        ddl.createTable("queues").addColumn("name", "text", (c) => c.primaryKey()),
        ddl
          .createTable("queue_starts")
          .addColumn("queue", "text", (c) => c.notNull())
          .addColumn("queue_key", "text")
          .addColumn("started_at_ms", "bigint", (c) => c.notNull())
          .addColumn("run_key", "bigint", (c) => c.notNull()),
        ddl.createIndex("queue_starts_window").on("queue_starts").columns(["queue", "started_at_ms"]),
        ddl
          .createIndex("queue_starts_key")
          .on("queue_starts")
          .columns(["queue", "queue_key", "started_at_ms"])
          .where(sql<boolean>`queue_key is not null`),
      ];
    },
  },
  {
    // Version 8 (finding and acting on runs): `runs.tags` (a JSON object) and `run_tags`, one row per tag keyed
    // (key, value, created_at_ms, run_id), so that a tag filter reads only the runs with that tag, newest first;
    // and `runs_status_finished`, the order in which retention finds the oldest finished runs. Versions 2 to 7
    // are left to other features (queues use 7); the numbers only need to grow.
    version: 8,
    statements: (schema) => {
      const ddl = builder.schema.withSchema(schema);
      return [
        ddl.alterTable("runs").addColumn("tags", "text"),
        ddl
          .createTable("run_tags")
          .addColumn("key", "text", (c) => c.notNull())
          .addColumn("value", "text", (c) => c.notNull())
          .addColumn("created_at_ms", "bigint", (c) => c.notNull())
          .addColumn("run_id", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("run_tags_pk", ["key", "value", "created_at_ms", "run_id"]),
        ddl
          .createIndex("runs_status_finished")
          .on("runs")
          .columns(["status", "finished_at_ms"])
          .where(sql.ref("finished_at_ms"), "is not", null),
      ];
    },
  },
  {
    // Version 9 adds `schedules` (engine.schedules), as SQLite's schema version 9 does, and the index the engine's
    // "which schedules are due?" walks in fire-time order. Ids sort by code point (collate "C") on every store.
    version: 9,
    statements: (schema) => {
      const ddl = builder.schema.withSchema(schema);
      return [
        ddl
          .createTable("schedules")
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("workflow", "text", (c) => c.notNull())
          .addColumn("input", "text", (c) => c.notNull())
          .addColumn("cron", "text", (c) => c.notNull())
          .addColumn("timezone", "text", (c) => c.notNull())
          .addColumn("overlap", "text", (c) => c.notNull())
          .addColumn("catch_up", "text", (c) => c.notNull())
          .addColumn("catch_up_limit", "integer", (c) => c.notNull())
          .addColumn("paused", "boolean", (c) => c.notNull())
          .addColumn("next_fire_at_ms", "bigint")
          .addColumn("buffered_fire_at_ms", "bigint")
          .addColumn("last_run_id", "text")
          .addColumn("last_fire_at_ms", "bigint")
          .addColumn("revision", "integer", (c) => c.notNull())
          .addColumn("created_at_ms", "bigint", (c) => c.notNull())
          .addColumn("updated_at_ms", "bigint", (c) => c.notNull()),
        ddl
          .createIndex("schedules_next_fire")
          .on("schedules")
          .column("next_fire_at_ms")
          .where(sql.ref("next_fire_at_ms"), "is not", null),
      ];
    },
  },
];

/**
 * Newest schema version this code knows.
 *
 * @example
 * if (found > LATEST_SCHEMA_VERSION) console.error("upgrade @reprise/store-postgres");
 */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** First key of the migration lock (pg_advisory_xact_lock(int, int)): "RPRS", as SQLite's application_id. */
const LOCK_CLASS = 0x52505253;

/**
 * The second key: FNV-1a of the schema name as a signed 32-bit integer. A constant per schema, so processes
 * migrating different schemas do not wait for each other (a collision only serialises them).
 */
export function migrationLockKey(schema: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(schema, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash | 0;
}

/**
 * Brings `schema` up to date in one transaction; refuses a schema with foreign tables or a newer version.
 * Creates the schema if it is missing.
 *
 * @example
 * await migrate(db, "reprise");
 */
export async function migrate(db: Kysely<Database>, schema: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Held until commit: a second process opening the schema now waits here, then finds it migrated.
    await sql`select pg_advisory_xact_lock(${LOCK_CLASS}, ${migrationLockKey(schema)})`.execute(trx);
    const version = await schemaVersion(trx, schema);
    if (version > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(schema, version, LATEST_SCHEMA_VERSION);
    if (version === LATEST_SCHEMA_VERSION) return;
    if (version === 0) {
      // Only when missing: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
      const { rows } = await sql`select 1 from pg_namespace where nspname = ${schema}`.execute(trx);
      if (rows.length === 0) await trx.executeQuery(builder.schema.createSchema(schema).compile());
      await trx.executeQuery(
        builder.schema
          .withSchema(schema)
          .createTable("meta")
          .addColumn("key", "text", (c) => c.primaryKey())
          .addColumn("value", "bigint", (c) => c.notNull())
          .compile(),
      );
    }
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      for (const statement of migration.statements(schema)) await trx.executeQuery(statement.compile());
    }
    await trx
      .withSchema(schema)
      .insertInto("meta")
      .values({ key: "schema_version", value: LATEST_SCHEMA_VERSION })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: LATEST_SCHEMA_VERSION }))
      .execute();
  });
}

/**
 * Checks that `schema` holds a store of this version, changing nothing (`PostgresStore.open({ migrate: false })`).
 *
 * @example
 * await checkSchema(db, "reprise"); // or SchemaNotFoundError, SchemaTooOldError, SchemaTooNewError
 */
export async function checkSchema(db: Kysely<Database>, schema: string): Promise<void> {
  const version = await schemaVersion(db, schema);
  if (version === 0) throw new SchemaNotFoundError(schema);
  if (version < LATEST_SCHEMA_VERSION) throw new SchemaTooOldError(schema, version, LATEST_SCHEMA_VERSION);
  if (version > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(schema, version, LATEST_SCHEMA_VERSION);
}

/** The schema's version: 0 for a missing or empty schema; NotAStoreSchemaError for one with other tables. */
async function schemaVersion(trx: Kysely<Database>, schema: string): Promise<number> {
  const { rows } = await sql<{ meta: string | null; tables: number }>`
    select to_regclass(${`${schema}.meta`})::text as meta,
           (select count(*) from pg_tables where schemaname = ${schema})::int as tables`.execute(trx);
  const found = rows[0];
  if (found?.meta === null || found?.meta === undefined) {
    if ((found?.tables ?? 0) > 0) throw new NotAStoreSchemaError(schema);
    return 0;
  }
  const row = await trx
    .withSchema(schema)
    .selectFrom("meta")
    .select("value")
    .where("key", "=", "schema_version")
    .executeTakeFirst();
  return row?.value ?? 0;
}
