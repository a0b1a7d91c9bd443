// The RunReader contract's own queries on PostgreSQL (paged lists, counts, unfinished runs, generations):
// PostgresStore runs them in its schema; each is one statement, so it sees one snapshot. Nothing here writes.
import {
  InvalidArgumentError,
  UNFINISHED_STATUSES,
  zeroStatusCounts,
  type RunPage,
  type RunPageCursor,
  type RunPageQuery,
  type QueueStatsOptions,
  type QueueStatsReport,
  type RunSelection,
  type RunStatus,
  type RunStatusCounts,
  type RunSummary,
  type UnfinishedRunRecord,
} from "@reprise/core";
import {
  RUN_SUMMARY_COLUMNS,
  resolveQueueStatsOptions,
  toRunSummary,
  type RunSummaryRow,
} from "@reprise/core/internal";
import { CompiledQuery, sql, type Kysely } from "kysely";
import { readQueueStats } from "./queue-stats.js";
import { runColumnList, selectionQuery, type DynamicQuery } from "./run-selection.js";
import type { Database } from "./schema.js";

/**
 * The reader's queries in one schema. Their shapes depend on the filters, so they are built per call: tools read
 * this way, the engine's hot paths never do.
 *
 * @example
 * const queries = new PostgresRunQueries(db, "reprise");
 * const page = await queries.runsPage({ statuses: ["waiting"], limit: 50 });
 */
export class PostgresRunQueries {
  readonly #db: Kysely<Database>;
  readonly #schema: string;

  constructor(db: Kysely<Database>, schema: string) {
    this.#db = db;
    this.#schema = schema;
  }

  /**
   * Keyset paging along the (status | workflow | parent, created_at_ms) indexes, or along a tag's `run_tags`
   * rows: every page costs the same.
   */
  async runsPage(query: RunPageQuery): Promise<RunPage> {
    const limit = checkLimit(query.limit, "runsPage");
    if (query.statuses !== undefined && query.statuses.length === 0) return { runs: [] };
    const { after, limit: _limit, idContains, ...selection } = query;
    const built = selectionQuery(this.#schema, selection, {
      columns: runColumnList(RUN_SUMMARY_COLUMNS),
      after,
      idContains,
      limit: limit + 1,
    });
    const rows = await this.#dynamic<RunSummaryRow>(built);
    const runs = rows.slice(0, limit).map(toRunSummary);
    const last = runs.at(-1);
    return { runs, next: rows.length > limit && last !== undefined ? cursorOf(last) : undefined };
  }

  async countRunsByStatus(workflow?: string): Promise<RunStatusCounts> {
    return this.countRuns({ workflow });
  }

  /** Per-status counts of a selection: one grouped read along the same indexes as runsPage. */
  async countRuns(selection: RunSelection): Promise<RunStatusCounts> {
    const counts = zeroStatusCounts();
    if (selection.statuses !== undefined && selection.statuses.length === 0) return counts;
    const built = selectionQuery(this.#schema, selection, {
      columns: "r.status as status, count(*) as n",
      groupBy: "r.status",
    });
    // count(*) is a bigint, which the store's pool reads as a number (pool.ts).
    for (const row of await this.#dynamic<{ status: RunStatus; n: number }>(built)) {
      counts[row.status] = Number(row.n);
    }
    return counts;
  }

  async workflowsWithRuns(limit: number): Promise<string[]> {
    const rows = await this.#from()
      .selectFrom("runs")
      .select("workflow")
      // GROUP BY rather than DISTINCT, so that the order may use another collation than the column's.
      .groupBy("workflow")
      // Code-unit order, as SQLite sorts: the database's collation could order names differently.
      .orderBy(sql`workflow collate "C"`)
      .limit(checkLimit(limit, "workflowsWithRuns"))
      .execute();
    return rows.map((row) => row.workflow);
  }

  async unfinishedRuns(after: RunPageCursor | undefined, limit: number): Promise<RunPage<UnfinishedRunRecord>> {
    const max = checkLimit(limit, "unfinishedRuns");
    let select = this.#from()
      .selectFrom("runs")
      .select(["id", "workflow", "version", "status", "created_at_ms"])
      .where("status", "in", UNFINISHED_STATUSES);
    if (after !== undefined) {
      select = select.where(sql<boolean>`(created_at_ms, id) > (${after.createdAtMs}, ${after.id})`);
    }
    const rows = await select
      .orderBy("created_at_ms")
      .orderBy("id")
      .limit(max + 1)
      .execute();
    const page = rows.slice(0, max);
    const last = page.at(-1);
    return {
      runs: page.map((row) => ({
        id: row.id,
        workflow: row.workflow,
        version: row.version,
        status: row.status as RunStatus,
      })),
      next: rows.length > max && last !== undefined ? { createdAtMs: last.created_at_ms, id: last.id } : undefined,
    };
  }

  async keptGenerations(runId: string): Promise<number[]> {
    const rows = await this.#from()
      .selectFrom("event_archive")
      .select("generation")
      .distinct()
      .where("run_key", "=", (eb) => eb.selectFrom("runs").select("run_key").where("id", "=", runId))
      .orderBy("generation")
      .execute();
    return rows.map((row) => row.generation);
  }

  async highestServedVersion(workflow: string): Promise<number | undefined> {
    const row = await this.#from()
      .selectFrom("workflows")
      .select((eb) => eb.fn.max<number | null>("version").as("version"))
      .where("name", "=", workflow)
      .executeTakeFirst();
    return row?.version ?? undefined;
  }

  /** Each queue's counts, read in one REPEATABLE READ, read-only transaction: one snapshot of the schema. */
  async queueStats(options?: QueueStatsOptions): Promise<QueueStatsReport> {
    // Checked before the transaction opens: malformed options reach no connection.
    const resolved = resolveQueueStatsOptions(options, Date.now());
    return this.#db
      .transaction()
      .setIsolationLevel("repeatable read")
      .setAccessMode("read only")
      .execute((trx) => readQueueStats(trx, this.#schema, resolved));
  }

  async #dynamic<R>(query: DynamicQuery): Promise<R[]> {
    return (await this.#db.executeQuery<R>(CompiledQuery.raw(query.sql, [...query.parameters]))).rows;
  }

  #from(): Kysely<Database> {
    return this.#db.withSchema(this.#schema);
  }
}

function cursorOf(run: RunSummary): RunPageCursor {
  return { createdAtMs: run.createdAtMs, id: run.id };
}

/** A page size as the reader's methods take it: a whole number from 1, else InvalidArgumentError. */
export function checkLimit(limit: number, method: string): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidArgumentError(`${method}() needs a limit that is a whole number from 1 (got ${String(limit)}).`);
  }
  return limit;
}
