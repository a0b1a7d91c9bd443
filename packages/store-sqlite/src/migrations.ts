// In-code schema migrations, numbered by PRAGMA user_version and applied under BEGIN IMMEDIATE.
// Migrations only ever add; a store written by a newer Reprise is refused instead of being altered.
import type BetterSqlite3 from "better-sqlite3";
import { StoreError } from "@reprise/core";
import { sql } from "kysely";
import { builder } from "./query-builder.js";

/** Marks a SQLite file as a Reprise store (PRAGMA application_id): "RPRS". */
export const REPRISE_APPLICATION_ID = 0x52505253;

interface Migration {
  readonly version: number;
  readonly statements: readonly { compile(): { sql: string } }[];
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      builder.schema
        .createTable("runs")
        .addColumn("id", "text", (c) => c.primaryKey().notNull())
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
        .addColumn("finished_at_ms", "integer"),
      // The scheduler's question "what is due next?" walks this index in order and stops at the first row.
      builder.schema
        .createIndex("runs_due")
        .on("runs")
        .column("due_at_ms")
        .where(sql.ref("due_at_ms"), "is not", sql.lit(null)),
      builder.schema.createIndex("runs_status_created").on("runs").columns(["status", "created_at_ms"]),
      builder.schema.createIndex("runs_workflow_created").on("runs").columns(["workflow", "created_at_ms"]),
      builder.schema.createIndex("runs_created").on("runs").column("created_at_ms"),
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
