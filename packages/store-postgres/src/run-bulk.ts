// Store-side bulk writes: one batch of a bulk cancellation, and one batch of retention (deleting finished runs).
// Each runs inside the caller's transaction, touches at most `limit` runs, and never an unfinished one.
import { UNFINISHED_STATUSES, type CancelManyRequest, type PurgeRequest } from "@reprise/core";
import { noteCancelRequested, noteRunsDue } from "./change-notifications.js";
import { qualified, selectionQuery } from "./run-selection.js";
import type { Statements } from "./statements.js";

/**
 * Marks up to `limit` unfinished, not yet marked runs of the selection (oldest first), each with its children as
 * requestCancel does; returns their ids and the last one's keyset position. The rows are locked, oldest first, so concurrent batches take turns
 * (in the same order, so never in a deadlock) and never mark a run twice.
 *
 * @example
 * const { runIds, last } = await cancelManyBatch(statements, { selection: { tags: { customer: "7" } }, reason, nowMs, limit: 500 });
 */
export async function cancelManyBatch(
  statements: Statements,
  request: CancelManyRequest,
): Promise<{ runIds: string[]; last?: { createdAtMs: number; id: string } }> {
  const asked = request.selection.statuses;
  const statuses = UNFINISHED_STATUSES.filter((status) => asked === undefined || asked.includes(status));
  const query = selectionQuery(
    statements.schema,
    { ...request.selection, statuses },
    {
      columns: "r.id, r.created_at_ms",
      order: "oldest",
      after: request.after,
      where: ["not r.cancel_requested"],
      limit: request.limit,
      suffix: "for update of r",
    },
  );
  const rows = await statements.dynamic<{ id: string; created_at_ms: number }>(query.sql, query.parameters);
  const ids = rows.map((row) => row.id);
  const lastRow = rows.at(-1);
  if (lastRow === undefined) return { runIds: [] };
  const last = { createdAtMs: Number(lastRow.created_at_ms), id: lastRow.id };
  const { reason, nowMs } = request;
  const runs = qualified(statements.schema, "runs");
  const finished = "('completed', 'failed', 'cancelled')";
  // Set-based, as requestCancel does it run by run: one statement marks the batch, one per level finds children.
  await statements.dynamicRun(
    `update ${runs} set cancel_requested = true, cancel_reason = $1, updated_at_ms = $2, ` +
      // A parked run is woken so the cancellation reaches it now; a blocked run keeps waiting for fixed code.
      `due_at_ms = case when status in ('sleeping', 'waiting') then $2 else due_at_ms end ` +
      `where id = any($3::text[]) and status not in ${finished}`,
    [reason ?? null, nowMs, ids],
  );
  const marked = [...ids];
  for (let parents = ids; parents.length > 0;) {
    const children = await statements.dynamic<{ id: string; parent_id: string; cancel_requested: boolean }>(
      `select id, parent_id, cancel_requested from ${runs} where parent_id = any($1::text[]) ` +
        `and cancel_with_parent and status not in ${finished} order by run_key`,
      [parents],
    );
    for (const child of children) {
      if (child.cancel_requested) continue;
      const why = `its parent run '${child.parent_id}' was cancelled${reason === undefined ? "" : `: ${reason}`}`;
      if ((await statements.run("requestCancel", { id: child.id, reason: why, nowMs })) > 0) marked.push(child.id);
    }
    parents = children.map((child) => child.id);
  }
  // Parked ones are due now; running ones hear of it from their engine at once instead of at its next renewal.
  noteRunsDue(statements);
  noteCancelRequested(statements, marked);
  return { runIds: ids, last };
}

/**
 * Deletes up to `limit` finished runs of the request (oldest ending first) with their events, archived
 * generations, signals, blocked episodes and tags; returns how many. A run whose parent or any child is unfinished
 * is left alone (Store.purgeRuns).
 *
 * @example
 * const deleted = await purgeBatch(statements, { statuses: ["completed"], finishedBeforeMs, limit: 500 });
 */
export async function purgeBatch(statements: Statements, request: PurgeRequest): Promise<number> {
  const statuses = request.statuses.filter((s) => s === "completed" || s === "failed" || s === "cancelled");
  if (statuses.length === 0 || request.limit < 1) return 0;
  const table = (name: string) => qualified(statements.schema, name);
  const unfinished = [...UNFINISHED_STATUSES];
  const rows = await statements.dynamic<{ run_key: number; id: string }>(
    `select r.run_key, r.id from ${table("runs")} r ` +
      `where r.status = any($1::text[]) and r.finished_at_ms < $2 ` +
      // A parent still running may ask for this run's outcome; a child still running still names this run.
      `and not exists (select 1 from ${table("runs")} p where p.id = r.parent_id and p.status = any($3::text[])) ` +
      `and not exists (select 1 from ${table("runs")} c where c.parent_id = r.id and c.status = any($3::text[])) ` +
      `order by r.finished_at_ms limit $4 for update of r skip locked`,
    [statuses, request.finishedBeforeMs, unfinished, Math.floor(request.limit)],
  );
  if (rows.length === 0) return 0;
  const keys = rows.map((row) => row.run_key);
  const ids = rows.map((row) => row.id);
  for (const name of ["events", "event_archive", "run_blocks"]) {
    await statements.dynamicRun(`delete from ${table(name)} where run_key = any($1::bigint[])`, [keys]);
  }
  await statements.dynamicRun(`delete from ${table("signals")} where run_id = any($1::text[])`, [ids]);
  await statements.dynamicRun(
    `delete from ${table("run_tags")} t using ${table("runs")} r ` +
      `where r.run_key = any($1::bigint[]) and t.run_id = r.id and t.created_at_ms = r.created_at_ms`,
    [keys],
  );
  await statements.dynamicRun(`delete from ${table("runs")} where run_key = any($1::bigint[])`, [keys]);
  return rows.length;
}
