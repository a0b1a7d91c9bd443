// The statements of queue claims on PostgreSQL (queue-claims.ts runs them), compiled with the others per schema.
// Statement text only: which run in which transaction, and under which lock, is decided by queue-claims.ts.
import { sql, type Kysely, type RawBuilder } from "kysely";
import { compileStatement, param } from "./query-builder.js";
import type { Database, RunsTable } from "./schema.js";

type Served = { names: string[]; versions: number[] };

/** What statements.ts shares with these statements: the served-workflow check, the lease clock, run columns. */
export interface QueueStatementParts {
  readonly servedBy: () => RawBuilder<boolean>;
  readonly databaseNowMs: RawBuilder<number>;
  readonly leaseUntil: (name: string) => RawBuilder<number>;
  /** The columns a claim returns: those of RUN_COLUMNS (statements.ts). */
  readonly runColumns: readonly (keyof RunsTable)[];
}

/**
 * The queue statements of one schema (`db` is the builder with that schema).
 *
 * @example
 * const queries = { ...queueQueries(builder.withSchema("reprise"), parts) };
 */
export function queueQueries(db: Kysely<Database>, parts: QueueStatementParts) {
  const { servedBy, databaseNowMs, leaseUntil, runColumns } = parts;
  // Leases are judged by the database's clock (see statements.ts), so that hosts' clocks do not matter.
  const leaseFree = sql<boolean>`(lease_owner is null or lease_expires_at_ms <= ${databaseNowMs})`;
  return {
    registerQueue: compileStatement<{ name: string }>(
      db
        .insertInto("queues")
        .values({ name: param("name") })
        .onConflict((oc) => oc.column("name").doNothing()),
    ),
    listQueues: compileStatement<Record<string, never>>(db.selectFrom("queues").select("name").orderBy("name")),
    /**
     * Locks the rows of the queues whose limits a claim applies, in name order (so that claimers never deadlock),
     * until the claim's transaction ends: claimers of the same queue then count and take one after another.
     */
    lockQueues: compileStatement<{ queues: string[] }>(
      db
        .selectFrom("queues")
        .select("name")
        .where(sql<boolean>`name = any(${param("queues")}::text[])`)
        .orderBy("name")
        .forUpdate(),
    ),
    unqueuedCandidates: compileStatement<Served & { nowMs: number; limit: number }>(
      db
        .selectFrom("runs")
        .select(["run_key", "queue", "queue_key", "due_at_ms", "cancel_requested"])
        .where("due_at_ms", "<=", param("nowMs"))
        .where("queue", "is", null)
        .where(leaseFree)
        .where(servedBy())
        .orderBy("due_at_ms")
        .limit(param("limit"))
        .forUpdate()
        .skipLocked(),
    ),
    queueCandidates: compileStatement<Served & { queue: string; nowMs: number; limit: number; offset: number }>(
      db
        .selectFrom("runs")
        .select(["run_key", "queue", "queue_key", "due_at_ms", "cancel_requested"])
        .where("queue", "=", param("queue"))
        .where("due_at_ms", "<=", param("nowMs"))
        .where(leaseFree)
        .where(servedBy())
        .orderBy("priority")
        .orderBy("due_at_ms")
        .orderBy("run_key")
        .limit(param("limit"))
        .offset(param("offset"))
        .forUpdate()
        .skipLocked(),
    ),
    /** A queue's due runs whose cancellation was requested (`runs_queue_cancelled`): taken past its limits. */
    cancelledCandidates: compileStatement<Served & { queue: string; nowMs: number; limit: number }>(
      db
        .selectFrom("runs")
        .select(["run_key", "queue", "queue_key", "due_at_ms", "cancel_requested"])
        .where("queue", "=", param("queue"))
        .where("cancel_requested", "=", true)
        .where("due_at_ms", "<=", param("nowMs"))
        .where(leaseFree)
        .where(servedBy())
        .orderBy("due_at_ms")
        .limit(param("limit"))
        .forUpdate()
        .skipLocked(),
    ),
    cancelledCandidatesRead: compileStatement<Served & { queue: string; nowMs: number; limit: number }>(
      db
        .selectFrom("runs")
        .select(["run_key", "queue", "queue_key", "due_at_ms", "cancel_requested"])
        .where("queue", "=", param("queue"))
        .where("cancel_requested", "=", true)
        .where("due_at_ms", "<=", param("nowMs"))
        .where(leaseFree)
        .where(servedBy())
        .orderBy("due_at_ms")
        .limit(param("limit")),
    ),
    /** The same without locking: what nextDueAtMs reads. */
    queueCandidatesRead: compileStatement<Served & { queue: string; nowMs: number; limit: number; offset: number }>(
      db
        .selectFrom("runs")
        .select(["run_key", "queue", "queue_key", "due_at_ms", "cancel_requested"])
        .where("queue", "=", param("queue"))
        .where("due_at_ms", "<=", param("nowMs"))
        .where(leaseFree)
        .where(servedBy())
        .orderBy("priority")
        .orderBy("due_at_ms")
        .orderBy("run_key")
        .limit(param("limit"))
        .offset(param("offset")),
    ),
    queueRunning: compileStatement<{ queue: string }>(
      db
        .selectFrom("runs")
        .select(["queue_key", sql<number>`count(*)::int`.as("n")])
        .where("queue", "=", param("queue"))
        .where("status", "=", "running")
        .where("lease_expires_at_ms", ">", databaseNowMs)
        .groupBy("queue_key"),
    ),
    queueStarts: compileStatement<{ queue: string; sinceMs: number }>(
      db
        .selectFrom("queue_starts")
        .select(sql<number>`count(*)::int`.as("n"))
        .where("queue", "=", param("queue"))
        .where("started_at_ms", ">", param("sinceMs")),
    ),
    queueStartsByKey: compileStatement<{ queue: string; sinceMs: number }>(
      db
        .selectFrom("queue_starts")
        .select(["queue_key", sql<number>`count(*)::int`.as("n")])
        .where("queue", "=", param("queue"))
        .where("queue_key", "is not", null)
        .where("started_at_ms", ">", param("sinceMs"))
        .groupBy("queue_key"),
    ),
    oldestStart: compileStatement<{ queue: string; sinceMs: number }>(
      db
        .selectFrom("queue_starts")
        .select(sql<number | null>`min(started_at_ms)`.as("oldest"))
        .where("queue", "=", param("queue"))
        .where("started_at_ms", ">", param("sinceMs")),
    ),
    pruneStarts: compileStatement<{ queue: string; beforeMs: number }>(
      db.deleteFrom("queue_starts").where("queue", "=", param("queue")).where("started_at_ms", "<=", param("beforeMs")),
    ),
    recordStarts: compileStatement<{ queues: string[]; keys: (string | null)[]; runKeys: number[]; nowMs: number }>(
      db
        .insertInto("queue_starts")
        .columns(["queue", "queue_key", "run_key", "started_at_ms"])
        .expression(
          sql`select queue, queue_key, run_key, ${param("nowMs")}::bigint from unnest(${param("queues")}::text[], ${param("keys")}::text[], ${param("runKeys")}::bigint[]) as started(queue, queue_key, run_key)`,
        ),
    ),
    leaseRuns: compileStatement<{ runKeys: number[]; owner: string; nowMs: number; leaseMs: number }>(
      db
        .updateTable("runs")
        .set({
          status: "running",
          lease_owner: param("owner"),
          lease_expires_at_ms: leaseUntil("leaseMs"),
          updated_at_ms: param("nowMs"),
        })
        .where(sql<boolean>`run_key = any(${param("runKeys")}::bigint[])`)
        .returning(runColumns),
    ),
    queueNextFuture: compileStatement<Served & { queue: string; nowMs: number }>(
      db
        .selectFrom("runs")
        .select("due_at_ms")
        .where("queue", "=", param("queue"))
        .where("due_at_ms", ">", param("nowMs"))
        .where("lease_owner", "is", null)
        .where(servedBy())
        .orderBy("due_at_ms")
        .limit(1),
    ),
    unqueuedNextDue: compileStatement<Served>(
      db
        .selectFrom("runs")
        .select("due_at_ms")
        .where("due_at_ms", "is not", null)
        .where("queue", "is", null)
        .where("lease_owner", "is", null)
        .where(servedBy())
        .orderBy("due_at_ms")
        .limit(1),
    ),
    setPriority: compileStatement<{ ids: readonly string[]; priority: number; nowMs: number }>(
      db
        .updateTable("runs")
        .set({ priority: param("priority"), updated_at_ms: param("nowMs") })
        .where(sql<boolean>`id = any(${param("ids")}::text[])`)
        .where("queue", "is not", null)
        .where("status", "not in", ["completed", "failed", "cancelled"])
        .returning("id"),
    ),
  } as const;
}
