// RunReader.queueStats on PostgreSQL: the queries that count each queue's running, queued and delayed runs per
// key and its recent starts, along the queue indexes. Reads only; the caller runs them in one snapshot.
import type { QueueStatsOptions, QueueStatsReport } from "@reprise/core";
import { assembleQueueStats, resolveQueueStatsOptions, type QueueKeyCounts } from "@reprise/core/internal";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Database } from "./schema.js";

/**
 * Reads `queueStats` in `schema` on `db`: the queue names, then per queue three grouped reads (running runs
 * through `runs_queue_running`, due runs through `runs_queue_next`, starts through `queue_starts_window`). Give it
 * a REPEATABLE READ transaction so that every count sees the same snapshot.
 *
 * @example
 * const report = await db.transaction().setIsolationLevel("repeatable read").execute((trx) => readQueueStats(trx, "reprise", {}));
 */
export async function readQueueStats(
  db: Kysely<Database> | Transaction<Database>,
  schema: string,
  options: QueueStatsOptions | undefined,
): Promise<QueueStatsReport> {
  const { nowMs, sinceMs, keysPerQueue, limit } = resolveQueueStatsOptions(options, Date.now());
  const from = db.withSchema(schema);
  const rows = await from
    .selectFrom("queues")
    .select("name")
    // Code-point order, as SQLite sorts: the database's collation could order names differently.
    .orderBy(sql`name collate "C"`)
    .limit(limit + 1)
    .execute();
  const names = rows.map((row) => row.name);
  const queues = [];
  for (const name of names.slice(0, limit)) {
    const running = await from
      .selectFrom("runs")
      .select(["queue_key as key", sql<number>`count(*)`.as("running")])
      .select([sql<number>`0`.as("queued"), sql<number>`0`.as("delayed")])
      .where("queue", "=", name)
      .where("status", "=", "running")
      .groupBy("queue_key")
      .execute();
    // Every run of the queue with a due time, read once: due and not running is queued (waiting for a slot),
    // pending and due later is a delayed start. Sleeping runs not due yet count as neither.
    const due = await from
      .selectFrom("runs")
      .select([
        "queue_key as key",
        sql<number>`0`.as("running"),
        sql<number>`count(*) filter (where due_at_ms <= ${nowMs} and status <> 'running')`.as("queued"),
        sql<number>`count(*) filter (where due_at_ms > ${nowMs} and status = 'pending')`.as("delayed"),
      ])
      .where("queue", "=", name)
      .where("due_at_ms", "is not", null)
      .groupBy("queue_key")
      .execute();
    const starts = await from
      .selectFrom("queue_starts")
      .select(sql<number>`count(*)`.as("n"))
      .where("queue", "=", name)
      .where("started_at_ms", ">", sinceMs)
      .executeTakeFirst();
    queues.push(assembleQueueStats(name, [...running, ...due] as QueueKeyCounts[], starts?.n ?? 0, keysPerQueue));
  }
  return { nowMs, sinceMs, queues, more: names.length > limit };
}
