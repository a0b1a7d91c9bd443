// The schedules table (schema version 9) for PostgresStore: its statements, compiled once per schema, and row
// mapping, run inside the store's transactions and reads. Never computes fire times: the engine does.
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
import { builder, compileStatement, param } from "./query-builder.js";
import { createRunRow } from "./run-creation.js";
import type { SchedulesTable } from "./schema.js";
import type { Statements } from "./statements.js";

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

function buildScheduleQueries(schema: string) {
  const db = builder.withSchema(schema);
  const workflowIn = sql<boolean>`${sql.ref("workflow")} = any(${param("workflows")}::text[])`;
  return {
    insert: compileStatement(
      db
        .insertInto("schedules")
        .values({
          id: param("id"),
          ...stateValues,
          revision: 1,
          created_at_ms: param("nowMs"),
          updated_at_ms: param("nowMs"),
        })
        .onConflict((oc) => oc.column("id").doNothing())
        .returning("id"),
    ),
    get: compileStatement(db.selectFrom("schedules").selectAll().where("id", "=", param("id"))),
    // Code-point order (collate "C"), as SQLite's binary comparison of UTF-8 text: the same order on every store.
    list: compileStatement(
      db
        .selectFrom("schedules")
        .selectAll()
        .where(sql<boolean>`id collate "C" > ${param("afterId")}`)
        .orderBy(sql`id collate "C"`)
        .limit(param("limit")),
    ),
    update: compileStatement(
      db
        .updateTable("schedules")
        .set({ ...stateValues, revision: sql`revision + 1`, updated_at_ms: param("nowMs") })
        .where("id", "=", param("id"))
        .where("revision", "=", param("expectedRevision"))
        .returningAll(),
    ),
    delete: compileStatement(db.deleteFrom("schedules").where("id", "=", param("id"))),
    due: compileStatement(
      db
        .selectFrom("schedules")
        .selectAll()
        .where("paused", "=", false)
        .where(workflowIn)
        .where((eb) => eb.or([eb("next_fire_at_ms", "<=", param("nowMs")), eb("buffered_fire_at_ms", "is not", null)]))
        .orderBy(sql`next_fire_at_ms asc nulls last`)
        .orderBy(sql`id collate "C"`)
        .limit(param("limit")),
    ),
    nextFire: compileStatement(
      db
        .selectFrom("schedules")
        .select((eb) => eb.fn.min("next_fire_at_ms").as("next"))
        .where("paused", "=", false)
        .where("next_fire_at_ms", "is not", null)
        .where(workflowIn),
    ),
  };
}

type ScheduleQueries = ReturnType<typeof buildScheduleQueries>;
const compiledBySchema = new Map<string, ScheduleQueries>();

/**
 * The schedule statements of one schema, run on whichever executor the store hands in (the pool for reads, the
 * write's transaction for writes).
 *
 * @example
 * const rows = new ScheduleRows("reprise");
 * const schedule = await rows.get(statements, "nightly-report");
 */
export class ScheduleRows {
  readonly #queries: ScheduleQueries;

  constructor(schema: string) {
    let queries = compiledBySchema.get(schema);
    if (queries === undefined) {
      queries = buildScheduleQueries(schema);
      compiledBySchema.set(schema, queries);
    }
    this.#queries = queries;
  }

  async create(s: Statements, schedule: NewSchedule): Promise<{ created: boolean; schedule: ScheduleRecord }> {
    const inserted = await s.execute(this.#queries.insert, {
      id: schedule.id,
      ...scheduleStateArgs(schedule, schedule.paused),
      nowMs: schedule.nowMs,
    });
    return { created: inserted.rows.length === 1, schedule: (await this.get(s, schedule.id)) as ScheduleRecord };
  }

  async get(s: Statements, id: string): Promise<ScheduleRecord | undefined> {
    const { rows } = await s.execute<SchedulesTable, { id: string }>(this.#queries.get, { id });
    return rows[0] === undefined ? undefined : toScheduleRecord(rows[0]);
  }

  async list(s: Statements, afterId: string | undefined, limit: number): Promise<ScheduleRecord[]> {
    if (limit <= 0) return [];
    const args = { afterId: afterId ?? "", limit: Math.floor(limit) };
    const { rows } = await s.execute<SchedulesTable, typeof args>(this.#queries.list, args);
    return rows.map(toScheduleRecord);
  }

  /** The compare-and-set of Store.updateSchedule, with the runs it starts, inside the caller's transaction. */
  async update(s: Statements, update: ScheduleUpdate): Promise<ScheduleUpdateResult> {
    const args = {
      id: update.id,
      expectedRevision: update.expectedRevision,
      nowMs: update.nowMs,
      ...scheduleStateArgs(update.state, update.state.paused),
    };
    // A concurrent writer of the same row waits for the first one's commit, then finds the revision moved on.
    const { rows } = await s.execute<SchedulesTable, typeof args>(this.#queries.update, args);
    const row = rows[0];
    if (row === undefined) return { applied: false, schedule: await this.get(s, update.id), runs: [] };
    const runs: { created: boolean; run: RunRecord }[] = [];
    for (const run of update.startRuns ?? []) {
      const answer = await createRunRow(s, run);
      // Thrown inside the transaction: the whole write (the schedule's new state too) is rolled back.
      if (!answer.created && answer.run.workflow !== run.workflow) {
        throw new RunIdConflictError(run.id, answer.run.workflow, run.workflow);
      }
      runs.push(answer);
    }
    return { applied: true, schedule: toScheduleRecord(row), runs };
  }

  async delete(s: Statements, id: string): Promise<boolean> {
    const result = await s.execute(this.#queries.delete, { id });
    return Number(result.numAffectedRows ?? 0) === 1;
  }

  async due(s: Statements, workflows: readonly string[], nowMs: number, limit: number): Promise<ScheduleRecord[]> {
    if (workflows.length === 0 || limit <= 0) return [];
    const args = { workflows: [...workflows], nowMs, limit: Math.floor(limit) };
    const { rows } = await s.execute<SchedulesTable, typeof args>(this.#queries.due, args);
    return rows.map(toScheduleRecord);
  }

  async nextFireAtMs(s: Statements, workflows: readonly string[]): Promise<number | undefined> {
    if (workflows.length === 0) return undefined;
    const args = { workflows: [...workflows] };
    const { rows } = await s.execute<{ next: number | null }, typeof args>(this.#queries.nextFire, args);
    return rows[0]?.next ?? undefined;
  }
}
