// Read-only queries the Store interface does not offer: keyset-paged run lists, counts per status, workflow
// names, the runs `verify` replays and a run's earlier generations. Runs on a read-only connection; each query
// uses an index (of the runs table, or the primary key of events and event_archive).
import type { RunStatus } from "@reprise/core";
import type BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { builder, type Compiled } from "./query-builder.js";

/** Statuses a run can still leave: `verify` replays these. */
export const UNFINISHED_STATUSES: readonly RunStatus[] = ["pending", "running", "sleeping", "waiting", "blocked"];

/** One line of a run list. */
export interface RunSummary {
  readonly id: string;
  readonly workflow: string;
  /** The version of the workflow's definition the run started on. */
  readonly version: number;
  /** The run's current generation: 1, plus one per `continueAsNew`. */
  readonly generation: number;
  readonly status: RunStatus;
  readonly waitKind: string | null;
  readonly waitName: string | null;
  readonly wakeAtMs: number | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly finishedAtMs: number | null;
}

/** Where the next page starts: the (created_at_ms, id) of the last run shown. */
export interface PageCursor {
  readonly createdAtMs: number;
  readonly id: string;
}

/** Filters and position of a page of runs, newest first. */
export interface RunPageQuery {
  readonly status?: RunStatus | undefined;
  readonly workflow?: string | undefined;
  /** Only runs that started on this version of their workflow. */
  readonly version?: number | undefined;
  /** Case-insensitive substring of the run id. */
  readonly search?: string | undefined;
  readonly limit: number;
  readonly after?: PageCursor | undefined;
}

/** A page of runs and the cursor of the next one (undefined on the last page). */
export interface RunPage {
  readonly runs: RunSummary[];
  readonly next: PageCursor | undefined;
}

/** A run as `verify` needs it: the version says which code replays it. */
export interface UnfinishedRun {
  readonly id: string;
  readonly workflow: string;
  readonly version: number;
  readonly status: RunStatus;
}

/** A stored event, still encoded. */
export interface StoredEvent {
  readonly seq: number;
  readonly type: string;
  readonly atMs: number;
  readonly data: string;
}

/**
 * Read-only queries on one connection. Statements are prepared once per distinct SQL text.
 *
 * @example
 * const queries = new RunQueries(openReadonly(filename, "./reprise.db"));
 * const page = queries.page({ status: "waiting", limit: 50 });
 * const more = queries.page({ status: "waiting", limit: 50, after: page.next });
 */
export class RunQueries {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  /**
   * Runs newest first (created_at_ms desc, id desc), after `query.after`. Keyset paging: every page costs
   * the same whatever its depth, because the (status|workflow, created_at_ms) indexes start the scan at the cursor.
   */
  page(query: RunPageQuery): RunPage {
    let select = builder
      .selectFrom("runs")
      .select([
        "id",
        "workflow",
        "version",
        "generation",
        "status",
        "wait_kind",
        "wait_name",
        "wake_at_ms",
        "created_at_ms",
        "updated_at_ms",
        "finished_at_ms",
      ]);
    if (query.status !== undefined) select = select.where("status", "=", query.status);
    if (query.workflow !== undefined) select = select.where("workflow", "=", query.workflow);
    if (query.version !== undefined) select = select.where("version", "=", query.version);
    if (query.search !== undefined && query.search !== "") {
      const pattern = `%${escapeLike(query.search)}%`;
      select = select.where(sql<boolean>`${sql.ref("id")} like ${pattern} escape '\\'`);
    }
    const after = query.after;
    if (after !== undefined) {
      // The first term bounds the index range; the second breaks ties between runs created in the same ms.
      select = select
        .where("created_at_ms", "<=", after.createdAtMs)
        .where((eb) => eb.or([eb("created_at_ms", "<", after.createdAtMs), eb("id", "<", after.id)]));
    }
    const compiled = select
      .orderBy("created_at_ms", "desc")
      .orderBy("id", "desc")
      .limit(query.limit + 1)
      .compile();
    const rows = this.#all<RunRow>(compiled);
    const runs = rows.slice(0, query.limit).map(toSummary);
    const last = runs.at(-1);
    const next =
      rows.length > query.limit && last !== undefined ? { createdAtMs: last.createdAtMs, id: last.id } : undefined;
    return { runs, next };
  }

  /** How many runs have each status (statuses without runs are 0), optionally of one workflow. */
  countByStatus(workflow?: string): Record<RunStatus, number> {
    let select = builder
      .selectFrom("runs")
      .select((eb) => ["status", eb.fn.countAll<number>().as("n")])
      .groupBy("status");
    if (workflow !== undefined) select = select.where("workflow", "=", workflow);
    const counts = Object.fromEntries(
      ["pending", "running", "sleeping", "waiting", "completed", "failed", "cancelled", "blocked"].map((s) => [s, 0]),
    ) as Record<RunStatus, number>;
    for (const row of this.#all<{ status: RunStatus; n: number }>(select.compile())) counts[row.status] = row.n;
    return counts;
  }

  /** Names of workflows that have runs, sorted (at most `limit`). */
  workflowNames(limit = 500): string[] {
    const compiled = builder
      .selectFrom("runs")
      .select("workflow")
      .distinct()
      .orderBy("workflow")
      .limit(limit)
      .compile();
    return this.#all<{ workflow: string }>(compiled).map((row) => row.workflow);
  }

  /** Every run that is not finished, oldest first. */
  unfinishedRuns(): UnfinishedRun[] {
    const compiled = builder
      .selectFrom("runs")
      .select(["id", "workflow", "version", "status"])
      .where("status", "in", UNFINISHED_STATUSES)
      .orderBy("created_at_ms")
      .orderBy("id")
      .compile();
    return this.#all<UnfinishedRun>(compiled);
  }

  /** A run's events in order, still encoded. */
  events(runId: string): StoredEvent[] {
    const compiled = builder
      .selectFrom("events")
      .select(["seq", "type", "at_ms as atMs", "data"])
      .where("run_key", "=", (eb) => eb.selectFrom("runs").select("run_key").where("id", "=", runId))
      .orderBy("seq")
      .compile();
    return this.#all<StoredEvent>(compiled);
  }

  /**
   * The earlier generations of a run still kept (in `event_archive`), ascending: `[]` for a run that never
   * continued as new, and for an unknown run.
   */
  archivedGenerations(runId: string): number[] {
    const compiled = builder
      .selectFrom("event_archive")
      .select("generation")
      .distinct()
      .where("run_key", "=", (eb) => eb.selectFrom("runs").select("run_key").where("id", "=", runId))
      .orderBy("generation")
      .compile();
    return this.#all<{ generation: number }>(compiled).map((row) => row.generation);
  }

  /**
   * The events of an earlier generation of a run, in order, still encoded: `[]` when the run has no such
   * generation kept. The current generation is in `events` (see `events`).
   */
  archivedEvents(runId: string, generation: number): StoredEvent[] {
    const compiled = builder
      .selectFrom("event_archive")
      .select(["seq", "type", "at_ms as atMs", "data"])
      .where("run_key", "=", (eb) => eb.selectFrom("runs").select("run_key").where("id", "=", runId))
      .where("generation", "=", generation)
      .orderBy("seq")
      .compile();
    return this.#all<StoredEvent>(compiled);
  }

  /**
   * The highest version of `workflow` that an engine has served on this store (registered in `workflows`),
   * if any: what a run started by name, without the workflow's code at hand, should start on.
   */
  highestServedVersion(workflow: string): number | undefined {
    const compiled = builder
      .selectFrom("workflows")
      .select((eb) => eb.fn.max<number | null>("version").as("version"))
      .where("name", "=", workflow)
      .compile();
    return this.#all<{ version: number | null }>(compiled)[0]?.version ?? undefined;
  }

  /** Runs `body` in one read transaction, so that every query in it sees the same snapshot of the file. */
  snapshot<T>(body: () => T): T {
    return this.#db.transaction(body).deferred();
  }

  #all<R>(compiled: Compiled): R[] {
    let statement = this.#statements.get(compiled.sql);
    if (statement === undefined) {
      statement = this.#db.prepare(compiled.sql);
      this.#statements.set(compiled.sql, statement);
    }
    return statement.all(...compiled.parameters) as R[];
  }
}

interface RunRow {
  id: string;
  workflow: string;
  version: number;
  generation: number;
  status: RunStatus;
  wait_kind: string | null;
  wait_name: string | null;
  wake_at_ms: number | null;
  created_at_ms: number;
  updated_at_ms: number;
  finished_at_ms: number | null;
}

function toSummary(row: RunRow): RunSummary {
  return {
    id: row.id,
    workflow: row.workflow,
    version: row.version,
    generation: row.generation,
    status: row.status,
    waitKind: row.wait_kind,
    waitName: row.wait_name,
    wakeAtMs: row.wake_at_ms,
    createdAtMs: row.created_at_ms,
    updatedAtMs: row.updated_at_ms,
    finishedAtMs: row.finished_at_ms,
  };
}

/** LIKE treats % and _ as wildcards; escape them (and the escape character) so a search matches them literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
