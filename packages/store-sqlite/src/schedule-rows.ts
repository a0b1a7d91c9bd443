// The schedules table (schema version 9) for SqliteStore: its statements and row mapping, run inside the store's
// writes and reads. Never decides when a schedule fires: the engine computes fire times, this only stores them.
import type BetterSqlite3 from "better-sqlite3";
import {
  RunIdConflictError,
  type NewSchedule,
  type RunRecord,
  type ScheduleRecord,
  type ScheduleUpdate,
  type ScheduleUpdateResult,
} from "@reprise/core";
import { scheduleStateArgs, toScheduleRecord } from "@reprise/core/internal";
import { sql } from "kysely";
import { builder, compileStatement, param, type CompiledStatement } from "./query-builder.js";
import { createRunRow } from "./run-creation.js";
import type { SchedulesTable } from "./schema.js";
import type { PreparedStatements } from "./statements.js";

/** The state columns, bound from a ScheduleState (`stateArgs`). */
const stateValues = {
  workflow: param("workflow"),
  input: param("input"),
  cron: param("cron"),
  timezone: param("timezone"),
  overlap: param("overlap"),
  catch_up: param("catchUp"),
  catch_up_limit: param("catchUpLimit"),
  paused: param("paused"),
  next_fire_at_ms: param("nextFireAtMs"),
  buffered_fire_at_ms: param("bufferedFireAtMs"),
  last_run_id: param("lastRunId"),
  last_fire_at_ms: param("lastFireAtMs"),
};

/** The schedule's workflow is one of a JSON array of names. */
const workflowIn = sql<boolean>`${sql.ref("workflow")} in (select value from json_each(${param("workflows")}))`;

const SCHEDULE_QUERIES = {
  insert: compileStatement(
    builder
      .insertInto("schedules")
      .values({
        id: param("id"),
        ...stateValues,
        revision: 1,
        created_at_ms: param("nowMs"),
        updated_at_ms: param("nowMs"),
      })
      .onConflict((oc) => oc.column("id").doNothing()),
  ),
  get: compileStatement(builder.selectFrom("schedules").selectAll().where("id", "=", param("id"))),
  list: compileStatement(
    builder.selectFrom("schedules").selectAll().where("id", ">", param("afterId")).orderBy("id").limit(param("limit")),
  ),
  update: compileStatement(
    builder
      .updateTable("schedules")
      .set({ ...stateValues, revision: sql`revision + 1`, updated_at_ms: param("nowMs") })
      .where("id", "=", param("id"))
      .where("revision", "=", param("expectedRevision"))
      .returningAll(),
  ),
  delete: compileStatement(builder.deleteFrom("schedules").where("id", "=", param("id"))),
  due: compileStatement(
    builder
      .selectFrom("schedules")
      .selectAll()
      .where("paused", "=", 0)
      .where(workflowIn)
      .where((eb) => eb.or([eb("next_fire_at_ms", "<=", param("nowMs")), eb("buffered_fire_at_ms", "is not", null)]))
      .orderBy(sql`next_fire_at_ms is null`)
      .orderBy("next_fire_at_ms")
      .orderBy("id")
      .limit(param("limit")),
  ),
  nextFire: compileStatement(
    builder
      .selectFrom("schedules")
      .select((eb) => eb.fn.min("next_fire_at_ms").as("next"))
      .where("paused", "=", 0)
      .where("next_fire_at_ms", "is not", null)
      .where(workflowIn),
  ),
} satisfies Record<string, CompiledStatement<Record<string, unknown>>>;

/**
 * The schedule statements on one connection, each prepared once. Methods are synchronous: SqliteStore runs them
 * inside its own writes (group commit) and reads.
 *
 * @example
 * const rows = new ScheduleRows(db);
 * const schedule = rows.get("nightly-report");
 */
export class ScheduleRows {
  readonly #db: BetterSqlite3.Database;
  readonly #cache = new Map<string, BetterSqlite3.Statement>();

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  create(schedule: NewSchedule): { created: boolean; schedule: ScheduleRecord } {
    const inserted = this.#run("insert", {
      id: schedule.id,
      ...scheduleStateArgs(schedule, schedule.paused ? 1 : 0),
      nowMs: schedule.nowMs,
    });
    return { created: inserted.changes === 1, schedule: this.get(schedule.id) as ScheduleRecord };
  }

  get(id: string): ScheduleRecord | undefined {
    const row = this.#statement("get").get(...SCHEDULE_QUERIES.get.bind({ id })) as SchedulesTable | undefined;
    return row === undefined ? undefined : toScheduleRecord(row);
  }

  list(afterId: string | undefined, limit: number): ScheduleRecord[] {
    if (limit <= 0) return [];
    const args = { afterId: afterId ?? "", limit: Math.floor(limit) };
    return (this.#statement("list").all(...SCHEDULE_QUERIES.list.bind(args)) as SchedulesTable[]).map(toScheduleRecord);
  }

  /** The compare-and-set of Store.updateSchedule, with the runs it starts, inside the caller's write. */
  update(update: ScheduleUpdate, statements: PreparedStatements): ScheduleUpdateResult {
    const args = { id: update.id, expectedRevision: update.expectedRevision, nowMs: update.nowMs };
    const row = this.#statement("update").get(
      ...SCHEDULE_QUERIES.update.bind({ ...args, ...scheduleStateArgs(update.state, update.state.paused ? 1 : 0) }),
    ) as SchedulesTable | undefined;
    if (row === undefined) return { applied: false, schedule: this.get(update.id), runs: [] };
    const runs: { created: boolean; run: RunRecord }[] = [];
    for (const run of update.startRuns ?? []) {
      const answer = createRunRow(statements, run);
      // Thrown inside the write: the whole write (the schedule's new state too) is undone.
      if (!answer.created && answer.run.workflow !== run.workflow) {
        throw new RunIdConflictError(run.id, answer.run.workflow, run.workflow);
      }
      runs.push(answer);
    }
    return { applied: true, schedule: toScheduleRecord(row), runs };
  }

  delete(id: string): boolean {
    return this.#run("delete", { id }).changes === 1;
  }

  due(workflows: readonly string[], nowMs: number, limit: number): ScheduleRecord[] {
    if (workflows.length === 0 || limit <= 0) return [];
    const args = { workflows: JSON.stringify(workflows), nowMs, limit: Math.floor(limit) };
    return (this.#statement("due").all(...SCHEDULE_QUERIES.due.bind(args)) as SchedulesTable[]).map(toScheduleRecord);
  }

  nextFireAtMs(workflows: readonly string[]): number | undefined {
    if (workflows.length === 0) return undefined;
    const args = { workflows: JSON.stringify(workflows) };
    const row = this.#statement("nextFire").get(...SCHEDULE_QUERIES.nextFire.bind(args)) as
      { next: number | null } | undefined;
    return row?.next ?? undefined;
  }

  #run(key: keyof typeof SCHEDULE_QUERIES, args: Record<string, unknown>): BetterSqlite3.RunResult {
    return this.#statement(key).run(...SCHEDULE_QUERIES[key].bind(args));
  }

  #statement(key: keyof typeof SCHEDULE_QUERIES): BetterSqlite3.Statement {
    let statement = this.#cache.get(key);
    if (statement === undefined) {
      statement = this.#db.prepare(SCHEDULE_QUERIES[key].sql);
      this.#cache.set(key, statement);
    }
    return statement;
  }
}
