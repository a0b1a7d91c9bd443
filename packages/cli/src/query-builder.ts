// Kysely as a SQL compiler for the CLI's read-only queries, over the columns of @reprise/store-sqlite's schema
// that the CLI reads. It never executes anything and never writes: run-queries.ts runs the SQL read-only.
import {
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
} from "kysely";

/** The `runs` table as @reprise/store-sqlite (schema version 1) writes it; only what the CLI reads. */
export interface RunsTable {
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
  last_seq: number;
  created_at_ms: number;
  updated_at_ms: number;
  finished_at_ms: number | null;
}

/** The append-only `events` table, keyed (run_id, seq). */
export interface EventsTable {
  run_id: string;
  seq: number;
  type: string;
  at_ms: number;
  data: string;
}

/** Tables the CLI reads. */
export interface ReadSchema {
  runs: RunsTable;
  events: EventsTable;
}

/**
 * Builds SQLite SQL with types; `.compile()` it and run the result with better-sqlite3.
 *
 * @example
 * const { sql, parameters } = builder.selectFrom("runs").select("id").where("status", "=", "waiting").compile();
 */
export const builder = new Kysely<ReadSchema>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

/** A compiled query: SQL text and its positional parameters. */
export type Compiled = Pick<CompiledQuery, "sql" | "parameters">;
