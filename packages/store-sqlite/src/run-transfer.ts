// Runs in and out of a SQLite store whole (RunExporter, RunImporter): what `reprise copy` reads and writes.
// Synchronous, on the caller's connection: an export page is read in one snapshot, an import written in one write.
import type BetterSqlite3 from "better-sqlite3";
import {
  FINISHED_STATUSES,
  RunsAlreadyExistError,
  type EventRecord,
  type RunExport,
  type RunPage,
  type RunPageCursor,
} from "@reprise/core";
import type { CompiledQuery } from "kysely";
import {
  archivedGenerations,
  groupRows,
  importedRunColumns,
  toBlockedEpisode,
  toEventRecord,
  toExportedSignal,
} from "@reprise/core/internal";
import { sql } from "kysely";
import { builder, toSqlite } from "./query-builder.js";
import { toRecord } from "./run-rows.js";
import type { RunsTable } from "./schema.js";
import type { PreparedStatements } from "./statements.js";

type FullRunRow = Omit<RunsTable, "run_key"> & { readonly run_key: number };

/** `column IN (values of a JSON array)`: one statement for any number of keys. */
const inJson = (column: string, values: readonly (string | number)[]) =>
  sql<boolean>`${sql.ref(column)} in (select value from json_each(${JSON.stringify(values)}))`;

/**
 * Export and import on one connection, through the store's PreparedStatements (prepared once per SQL text, and
 * counted in the store's statements).
 *
 * @example
 * const transfer = new SqliteRunTransfer(db, statements);
 * const page = transfer.exportRuns(undefined, 100, Date.now());
 */
export class SqliteRunTransfer {
  readonly #db: BetterSqlite3.Database;
  readonly #statements: PreparedStatements;

  constructor(db: BetterSqlite3.Database, statements: PreparedStatements) {
    this.#db = db;
    this.#statements = statements;
  }

  /** One page of runs, oldest first, with everything they carry. `nowMs` decides which leases are still live. */
  exportRuns(after: RunPageCursor | undefined, limit: number, nowMs: number): RunPage<RunExport> {
    // A deferred transaction: every statement of the page reads the same snapshot of the file.
    return this.#db.transaction(() => this.#exportPage(after, limit, nowMs)).deferred();
  }

  /** Which of `runIds` the store holds, in the order given. */
  existingRunIds(runIds: readonly string[]): string[] {
    if (runIds.length === 0) return [];
    const found = new Set(
      this.#all<{ id: string }>(builder.selectFrom("runs").select("id").where(inJson("id", runIds)).compile()).map(
        (row) => row.id,
      ),
    );
    return runIds.filter((id) => found.has(id));
  }

  /**
   * Writes the runs inside the caller's write transaction; throws RunsAlreadyExistError before writing anything
   * when any id is taken (the caller's write then rolls back as a whole).
   */
  importRuns(runs: readonly RunExport[]): void {
    const taken = this.existingRunIds(runs.map((run) => run.record.id));
    if (taken.length > 0) throw new RunsAlreadyExistError(taken);
    for (const run of runs) this.#importRun(run);
  }

  #exportPage(after: RunPageCursor | undefined, limit: number, nowMs: number): RunPage<RunExport> {
    let select = builder.selectFrom("runs").selectAll();
    if (after !== undefined) {
      select = select
        .where("created_at_ms", ">=", after.createdAtMs)
        .where((eb) => eb.or([eb("created_at_ms", ">", after.createdAtMs), eb("id", ">", after.id)]));
    }
    const rows = this.#all<FullRunRow>(
      select
        .orderBy("created_at_ms")
        .orderBy("id")
        .limit(limit + 1)
        .compile(),
    );
    const page = rows.slice(0, limit);
    const keys = page.map((row) => row.run_key);
    const events = groupRows(
      this.#all<EventRecord & { runKey: number }>(
        builder
          .selectFrom("events")
          .select(["run_key as runKey", "seq", "type", "at_ms as atMs", "data"])
          .where(inJson("run_key", keys))
          .orderBy("run_key")
          .orderBy("seq")
          .compile(),
      ),
      (row) => row.runKey,
    );
    const archived = groupRows(
      this.#all<EventRecord & { runKey: number; generation: number }>(
        builder
          .selectFrom("event_archive")
          .select(["run_key as runKey", "generation", "seq", "type", "at_ms as atMs", "data"])
          .where(inJson("run_key", keys))
          .orderBy("run_key")
          .orderBy("generation")
          .orderBy("seq")
          .compile(),
      ),
      (row) => row.runKey,
    );
    const signals = groupRows(
      this.#all<{
        runId: string;
        signalId: string;
        name: string;
        payload: string;
        sentAtMs: number;
        consumedSeq: number | null;
      }>(
        builder
          .selectFrom("signals")
          .select([
            "run_id as runId",
            "signal_id as signalId",
            "name",
            "payload",
            "sent_at_ms as sentAtMs",
            "consumed_seq as consumedSeq",
          ])
          .where(
            inJson(
              "run_id",
              page.map((row) => row.id),
            ),
          )
          .orderBy("position")
          .compile(),
      ),
      (row) => row.runId,
    );
    const blocks = groupRows(
      this.#all<{
        runKey: number;
        blockedAtMs: number;
        lastSeq: number;
        reason: string;
        endedAtMs: number | null;
        endedBy: string | null;
      }>(
        builder
          .selectFrom("run_blocks")
          .select([
            "run_key as runKey",
            "blocked_at_ms as blockedAtMs",
            "last_seq as lastSeq",
            "reason",
            "ended_at_ms as endedAtMs",
            "ended_by as endedBy",
          ])
          .where(inJson("run_key", keys))
          .orderBy("run_key")
          .orderBy("episode")
          .compile(),
      ),
      (row) => row.runKey,
    );
    const runs = page.map((row): RunExport => ({
      record: toRecord(row),
      dueAtMs: row.due_at_ms ?? undefined,
      cancelWithParent: row.cancel_with_parent === 1,
      liveLease:
        row.lease_owner !== null && row.lease_expires_at_ms !== null && row.lease_expires_at_ms > nowMs
          ? { owner: row.lease_owner, expiresAtMs: row.lease_expires_at_ms }
          : undefined,
      events: (events.get(row.run_key) ?? []).map(toEventRecord),
      earlierGenerations: archivedGenerations(archived.get(row.run_key) ?? []),
      signals: (signals.get(row.id) ?? []).map(toExportedSignal),
      blockedEpisodes: (blocks.get(row.run_key) ?? []).map(toBlockedEpisode),
    }));
    const last = page.at(-1);
    return {
      runs,
      next: rows.length > limit && last !== undefined ? { createdAtMs: last.created_at_ms, id: last.id } : undefined,
    };
  }

  #importRun(run: RunExport): void {
    const { record } = run;
    const columns = importedRunColumns(run);
    const inserted = this.#run(
      builder
        .insertInto("runs")
        .values({
          ...columns,
          cancel_requested: columns.cancel_requested ? 1 : 0,
          cancel_with_parent: columns.cancel_with_parent ? 1 : 0,
          wake_signals: columns.wake_signals === null ? null : JSON.stringify(columns.wake_signals),
          wake_children: columns.wake_children === null ? null : JSON.stringify(columns.wake_children),
          // The next position in this store's order of endings, as the write that ends a run assigns one.
          finished_seq: FINISHED_STATUSES.has(record.status)
            ? sql<number>`(select coalesce(max(finished_seq), 0) + 1 from runs where finished_seq is not null)`
            : null,
        })
        .compile(),
    );
    // The index rows tag filters walk, as a run's creation writes them.
    for (const [key, value] of Object.entries(record.tags ?? {})) {
      this.#run(
        builder
          .insertInto("run_tags")
          .values({ key, value, created_at_ms: record.createdAtMs, run_id: record.id })
          .compile(),
      );
    }
    // A claim visits the queues this table names: a queue first seen in an import must be in it too.
    if (record.queue !== undefined) {
      this.#run(
        builder
          .insertInto("queues")
          .values({ name: record.queue })
          .onConflict((oc) => oc.column("name").doNothing())
          .compile(),
      );
    }
    const runKey = Number(inserted.lastInsertRowid);
    for (const event of run.events) {
      this.#run(
        builder
          .insertInto("events")
          .values({ run_key: runKey, seq: event.seq, type: event.type, at_ms: event.atMs, data: event.data })
          .compile(),
      );
    }
    for (const { generation, events } of run.earlierGenerations) {
      for (const event of events) {
        this.#run(
          builder
            .insertInto("event_archive")
            .values({
              run_key: runKey,
              generation,
              seq: event.seq,
              type: event.type,
              at_ms: event.atMs,
              data: event.data,
            })
            .compile(),
        );
      }
    }
    // Positions are the store's own; inserting in delivery order keeps the inbox's order.
    for (const signal of run.signals) {
      this.#run(
        builder
          .insertInto("signals")
          .values({
            run_id: record.id,
            signal_id: signal.signalId,
            name: signal.name,
            payload: signal.payload,
            sent_at_ms: signal.sentAtMs,
            consumed_seq: signal.consumedSeq ?? null,
          })
          .compile(),
      );
    }
    run.blockedEpisodes.forEach((block, index) => {
      this.#run(
        builder
          .insertInto("run_blocks")
          .values({
            run_key: runKey,
            episode: index + 1,
            blocked_at_ms: block.blockedAtMs,
            last_seq: block.lastSeq,
            reason: block.reason,
            ended_at_ms: block.endedAtMs ?? null,
            ended_by: block.endedBy ?? null,
          })
          .compile(),
      );
    });
  }

  #all<R>(compiled: Pick<CompiledQuery, "sql" | "parameters">): R[] {
    return this.#statements.allDynamic<R>(compiled.sql, compiled.parameters.map(toSqlite));
  }

  #run(compiled: Pick<CompiledQuery, "sql" | "parameters">): BetterSqlite3.RunResult {
    return this.#statements.runDynamic(compiled.sql, compiled.parameters.map(toSqlite));
  }
}
