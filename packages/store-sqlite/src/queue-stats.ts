// RunReader.queueStats on SQLite: the queries that count each queue's running, queued and delayed runs per key
// and its recent starts, along the queue indexes. Reads only; the caller runs them in one read transaction.
import type { QueueStatsOptions, QueueStatsReport } from "@reprise/core";
import { assembleQueueStats, resolveQueueStatsOptions, type QueueKeyCounts } from "@reprise/core/internal";
import { sql, type CompiledQuery } from "kysely";
import { builder } from "./query-builder.js";

/** Runs one compiled read and returns its rows (SqliteRunQueries' prepared-statement cache). */
export type ReadRows = <R>(compiled: Pick<CompiledQuery, "sql" | "parameters">) => R[];

/**
 * Reads `queueStats` with `read`: the queue names, then per queue three grouped reads (running runs through
 * `runs_queue_running`, due runs through `runs_queue_next`, starts through `queue_starts_window`). Run it inside one
 * read transaction so that every count sees the same state.
 *
 * @example
 * const report = db.transaction(() => readQueueStats(read, { keysPerQueue: 5 })).deferred();
 */
export function readQueueStats(read: ReadRows, options: QueueStatsOptions | undefined): QueueStatsReport {
  // `nowMs` defaults to this host's clock, the clock SQLite engines pass as theirs.
  const { nowMs, sinceMs, keysPerQueue, limit } = resolveQueueStatsOptions(options, Date.now());
  // Names in SQLite's binary order, which is code-point order for UTF-8 text.
  const names = read<{ name: string }>(
    builder
      .selectFrom("queues")
      .select("name")
      .orderBy("name")
      .limit(limit + 1)
      .compile(),
  ).map((row) => row.name);
  const queues = names.slice(0, limit).map((name) => {
    const running = read<QueueKeyCounts>(
      builder
        .selectFrom("runs")
        .select(["queue_key as key", (eb) => eb.fn.countAll<number>().as("running")])
        .select([sql<number>`0`.as("queued"), sql<number>`0`.as("delayed")])
        .where("queue", "=", name)
        .where("status", "=", "running")
        .groupBy("queue_key")
        .compile(),
    );
    // Every run of the queue with a due time, read once: due and not running is queued (waiting for a slot),
    // pending and due later is a delayed start. Sleeping runs not due yet count as neither.
    const due = read<QueueKeyCounts>(
      builder
        .selectFrom("runs")
        .select([
          "queue_key as key",
          sql<number>`0`.as("running"),
          sql<number>`coalesce(sum(due_at_ms <= ${nowMs} and status <> 'running'), 0)`.as("queued"),
          sql<number>`coalesce(sum(due_at_ms > ${nowMs} and status = 'pending'), 0)`.as("delayed"),
        ])
        .where("queue", "=", name)
        .where("due_at_ms", "is not", null)
        .groupBy("queue_key")
        .compile(),
    );
    const [starts] = read<{ n: number }>(
      builder
        .selectFrom("queue_starts")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("queue", "=", name)
        .where("started_at_ms", ">", sinceMs)
        .compile(),
    );
    return assembleQueueStats(name, [...running, ...due], starts?.n ?? 0, keysPerQueue);
  });
  return { nowMs, sinceMs, queues, more: names.length > limit };
}
