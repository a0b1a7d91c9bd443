// Runs in and out of a PostgreSQL schema whole (RunExporter, RunImporter): what `reprise copy` reads and writes.
// Each function runs inside the caller's transaction; built per call, since nothing here is on a hot path.
import {
  FINISHED_STATUSES,
  RunsAlreadyExistError,
  type EventRecord,
  type RunExport,
  type RunPage,
  type RunPageCursor,
} from "@reprise/core";
import {
  archivedGenerations,
  groupRows,
  importedRunColumns,
  toBlockedEpisode,
  toEventRecord,
  toExportedSignal,
} from "@reprise/core/internal";
import { sql, type Kysely } from "kysely";
import { toRecord } from "./run-rows.js";
import { databaseNowMs } from "./statements.js";
import type { Database, RunsTable } from "./schema.js";

type FullRunRow = RunsTable & { readonly run_key: number; readonly lease_live: boolean };

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table (runs: 25 columns). */
const ROWS_PER_INSERT = 1_000;

/**
 * One page of runs, oldest first, with everything they carry. Run it in a REPEATABLE READ transaction so that
 * every statement sees the same snapshot. Leases are judged by the database's clock, as claims judge them.
 *
 * @example
 * const page = await db.transaction().setIsolationLevel("repeatable read").execute((trx) => exportRuns(trx, "reprise", undefined, 100));
 */
export async function exportRuns(
  trx: Kysely<Database>,
  schema: string,
  after: RunPageCursor | undefined,
  limit: number,
): Promise<RunPage<RunExport>> {
  const db = trx.withSchema(schema);
  let select = db
    .selectFrom("runs")
    .selectAll()
    .select(sql<boolean>`coalesce(lease_expires_at_ms > ${databaseNowMs}, false)`.as("lease_live"));
  if (after !== undefined)
    select = select.where(sql<boolean>`(created_at_ms, id) > (${after.createdAtMs}, ${after.id})`);
  const rows = (await select
    .orderBy("created_at_ms")
    .orderBy("id")
    .limit(limit + 1)
    .execute()) as FullRunRow[];
  const page = rows.slice(0, limit);
  const keys = page.map((row) => row.run_key);
  const ids = page.map((row) => row.id);
  const byKey = sql<boolean>`run_key = any(${keys}::bigint[])`;
  const [events, archived, signals, blocks] = await Promise.all([
    db
      .selectFrom("events")
      .select(["run_key as runKey", "seq", "type", "at_ms as atMs", "data"])
      .where(byKey)
      .orderBy("run_key")
      .orderBy("seq")
      .execute(),
    db
      .selectFrom("event_archive")
      .select(["run_key as runKey", "generation", "seq", "type", "at_ms as atMs", "data"])
      .where(byKey)
      .orderBy("run_key")
      .orderBy("generation")
      .orderBy("seq")
      .execute(),
    db
      .selectFrom("signals")
      .select([
        "run_id as runId",
        "signal_id as signalId",
        "name",
        "payload",
        "sent_at_ms as sentAtMs",
        "consumed_seq as consumedSeq",
      ])
      .where(sql<boolean>`run_id = any(${ids}::text[])`)
      .orderBy("position")
      .execute(),
    db
      .selectFrom("run_blocks")
      .select([
        "run_key as runKey",
        "blocked_at_ms as blockedAtMs",
        "last_seq as lastSeq",
        "reason",
        "ended_at_ms as endedAtMs",
        "ended_by as endedBy",
      ])
      .where(byKey)
      .orderBy("run_key")
      .orderBy("episode")
      .execute(),
  ]);
  // Event types are stored as text; the store only ever writes EventRecords, so they read back as such.
  const eventsOf = groupRows(events as (EventRecord & { runKey: number })[], (row) => row.runKey);
  const archivedOf = groupRows(
    archived as (EventRecord & { runKey: number; generation: number })[],
    (row) => row.runKey,
  );
  const signalsOf = groupRows(signals, (row) => row.runId);
  const blocksOf = groupRows(blocks, (row) => row.runKey);
  const runs = page.map((row): RunExport => ({
    record: toRecord(row),
    dueAtMs: row.due_at_ms ?? undefined,
    cancelWithParent: row.cancel_with_parent,
    liveLease:
      row.lease_live && row.lease_owner !== null && row.lease_expires_at_ms !== null
        ? { owner: row.lease_owner, expiresAtMs: row.lease_expires_at_ms }
        : undefined,
    events: (eventsOf.get(row.run_key) ?? []).map(toEventRecord),
    earlierGenerations: archivedGenerations(archivedOf.get(row.run_key) ?? []),
    signals: (signalsOf.get(row.id) ?? []).map(toExportedSignal),
    blockedEpisodes: (blocksOf.get(row.run_key) ?? []).map(toBlockedEpisode),
  }));
  const last = page.at(-1);
  return {
    runs,
    next: rows.length > limit && last !== undefined ? { createdAtMs: last.created_at_ms, id: last.id } : undefined,
  };
}

/**
 * Which of `runIds` the schema holds, in the order given.
 *
 * @example
 * const taken = await existingRunIds(db, "reprise", ["order-1", "order-2"]);
 */
export async function existingRunIds(
  db: Kysely<Database>,
  schema: string,
  runIds: readonly string[],
): Promise<string[]> {
  if (runIds.length === 0) return [];
  const rows = await db
    .withSchema(schema)
    .selectFrom("runs")
    .select("id")
    .where(sql<boolean>`id = any(${runIds}::text[])`)
    .execute();
  const found = new Set(rows.map((row) => row.id));
  return runIds.filter((id) => found.has(id));
}

/**
 * Writes the runs inside the caller's transaction. Throws RunsAlreadyExistError before writing anything when an
 * id is taken; a run created by another process meanwhile fails the insert (unique id), rolling it all back.
 *
 * @example
 * await db.transaction().execute((trx) => importRuns(trx, "reprise", page.runs));
 */
export async function importRuns(trx: Kysely<Database>, schema: string, runs: readonly RunExport[]): Promise<void> {
  const taken = await existingRunIds(
    trx,
    schema,
    runs.map((run) => run.record.id),
  );
  if (taken.length > 0) throw new RunsAlreadyExistError(taken);
  const db = trx.withSchema(schema);
  // Runs that ended take the next positions in this schema's order of endings, in the order given.
  const finishedCount = runs.filter((run) => FINISHED_STATUSES.has(run.record.status)).length;
  let nextFinished = 0;
  if (finishedCount > 0) {
    const counter = await db
      .updateTable("meta")
      .set((eb) => ({ value: eb("value", "+", finishedCount) }))
      .where("key", "=", "finished_seq")
      .returning("value")
      .executeTakeFirstOrThrow();
    nextFinished = counter.value - finishedCount + 1;
  }
  const runRows = runs.map((run) => ({
    ...importedRunColumns(run),
    finished_seq: FINISHED_STATUSES.has(run.record.status) ? nextFinished++ : null,
  }));
  // A claim visits the queues this table names: a queue first seen in an import must be in it too.
  const queues = [...new Set(runs.flatMap((run) => (run.record.queue === undefined ? [] : [run.record.queue])))];
  if (queues.length > 0) {
    await db
      .insertInto("queues")
      .values(queues.map((name) => ({ name })))
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
  }
  const keyOf = new Map<string, number>();
  for (const chunk of chunks(runRows)) {
    for (const row of await db.insertInto("runs").values(chunk).returning(["id", "run_key"]).execute()) {
      keyOf.set(row.id, row.run_key);
    }
  }
  const keyFor = (run: RunExport) => keyOf.get(run.record.id) as number;
  const eventRows = runs.flatMap((run) => run.events.map((event) => eventRow(keyFor(run), event)));
  for (const chunk of chunks(eventRows)) await db.insertInto("events").values(chunk).execute();
  const archiveRows = runs.flatMap((run) =>
    run.earlierGenerations.flatMap(({ generation, events }) =>
      events.map((event) => ({ ...eventRow(keyFor(run), event), generation })),
    ),
  );
  for (const chunk of chunks(archiveRows)) await db.insertInto("event_archive").values(chunk).execute();
  // Positions are the schema's own; inserting in delivery order (a multi-row INSERT assigns identities in the
  // order of its rows) keeps each inbox's order.
  const signalRows = runs.flatMap((run) =>
    run.signals.map((signal) => ({
      run_id: run.record.id,
      signal_id: signal.signalId,
      name: signal.name,
      payload: signal.payload,
      sent_at_ms: signal.sentAtMs,
      consumed_seq: signal.consumedSeq ?? null,
    })),
  );
  for (const chunk of chunks(signalRows)) await db.insertInto("signals").values(chunk).execute();
  const blockRows = runs.flatMap((run) =>
    run.blockedEpisodes.map((block, index) => ({
      run_key: keyFor(run),
      episode: index + 1,
      blocked_at_ms: block.blockedAtMs,
      last_seq: block.lastSeq,
      reason: block.reason,
      ended_at_ms: block.endedAtMs ?? null,
      ended_by: block.endedBy ?? null,
    })),
  );
  for (const chunk of chunks(blockRows)) await db.insertInto("run_blocks").values(chunk).execute();
  // The index rows tag filters walk, as a run's creation writes them.
  const tagRows = runs.flatMap((run) =>
    Object.entries(run.record.tags ?? {}).map(([key, value]) => ({
      key,
      value,
      created_at_ms: run.record.createdAtMs,
      run_id: run.record.id,
    })),
  );
  for (const chunk of chunks(tagRows)) await db.insertInto("run_tags").values(chunk).execute();
}

function eventRow(runKey: number, event: EventRecord) {
  return { run_key: runKey, seq: event.seq, type: event.type, at_ms: event.atMs, data: event.data };
}

function* chunks<T>(rows: readonly T[]): Generator<T[]> {
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) yield rows.slice(start, start + ROWS_PER_INSERT);
}
