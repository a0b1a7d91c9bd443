// Store-side bulk writes: one batch of a bulk cancellation, and one batch of retention (deleting finished runs).
// Each runs inside the caller's write (one transaction), touches at most `limit` runs, and never an unfinished one.
import { UNFINISHED_STATUSES, type CancelManyRequest, type PurgeRequest, type RunStatus } from "@reprise/core";
import { selectionQuery } from "./run-selection.js";
import type { PreparedStatements } from "./statements.js";

/**
 * Marks up to `limit` unfinished, not yet marked runs of the selection (oldest first), each with its children as
 * requestCancel does; returns their ids and the last one's keyset position.
 *
 * @example
 * const { runIds, last } = cancelManyBatch(statements, { selection: { tags: { customer: "7" } }, reason, nowMs, limit: 500 });
 */
export function cancelManyBatch(
  statements: PreparedStatements,
  request: CancelManyRequest,
): { runIds: string[]; last?: { createdAtMs: number; id: string } } {
  const statuses = unfinishedOf(request.selection.statuses);
  const query = selectionQuery(
    { ...request.selection, statuses },
    {
      columns: "r.id, r.created_at_ms",
      order: "oldest",
      after: request.after,
      where: ["r.cancel_requested = 0"],
      limit: request.limit,
    },
  );
  const rows = statements.allDynamic<{ id: string; created_at_ms: number }>(query.sql, query.parameters);
  const ids = rows.map((row) => row.id);
  const lastRow = rows.at(-1);
  if (lastRow === undefined) return { runIds: [] };
  const last = { createdAtMs: lastRow.created_at_ms, id: lastRow.id };
  const { reason, nowMs } = request;
  // Set-based, as requestCancel does it run by run: one statement marks the batch, one per level finds children.
  statements.runDynamic(
    `update runs set cancel_requested = 1, cancel_reason = ?, updated_at_ms = ?, ` +
      // A parked run is woken so the cancellation reaches it now; a blocked run keeps waiting for fixed code.
      `due_at_ms = case when status in ('sleeping', 'waiting') then ? else due_at_ms end ` +
      `where id in (select value from json_each(?)) and status not in ('completed', 'failed', 'cancelled')`,
    [reason ?? null, nowMs, nowMs, JSON.stringify(ids)],
  );
  for (let parents = ids; parents.length > 0;) {
    const children = statements.allDynamic<{ id: string; parent_id: string; cancel_requested: number }>(
      "select id, parent_id, cancel_requested from runs where parent_id in (select value from json_each(?)) " +
        "and cancel_with_parent = 1 and status not in ('completed', 'failed', 'cancelled')",
      [JSON.stringify(parents)],
    );
    for (const child of children) {
      if (child.cancel_requested === 1) continue;
      const why = `its parent run '${child.parent_id}' was cancelled${reason === undefined ? "" : `: ${reason}`}`;
      statements.run("requestCancel", { id: child.id, reason: why, nowMs });
    }
    parents = children.map((child) => child.id);
  }
  return { runIds: ids, last };
}

/** The unfinished statuses among those asked for (all of them when none were). */
export function unfinishedOf(statuses: readonly RunStatus[] | undefined): RunStatus[] {
  return UNFINISHED_STATUSES.filter((status) => statuses === undefined || statuses.includes(status));
}

/**
 * Deletes up to `limit` finished runs of the request (oldest ending first) with their events, archived
 * generations, signals, blocked episodes and tags; returns how many. A run whose parent or any child is unfinished
 * is left alone (Store.purgeRuns).
 *
 * @example
 * const deleted = purgeBatch(statements, { statuses: ["completed"], finishedBeforeMs, limit: 500 });
 */
export function purgeBatch(statements: PreparedStatements, request: PurgeRequest): number {
  const statuses = request.statuses.filter(
    (status) => status === "completed" || status === "failed" || status === "cancelled",
  );
  if (statuses.length === 0 || request.limit < 1) return 0;
  const unfinished = UNFINISHED_STATUSES.map((status) => `'${status}'`).join(", ");
  const rows = statements.allDynamic<{ run_key: number; id: string; tags: string | null; created_at_ms: number }>(
    `select r.run_key, r.id, r.tags, r.created_at_ms from runs r ` +
      `where r.status in (${statuses.map(() => "?").join(", ")}) and r.finished_at_ms < ? ` +
      // A parent still running may ask for this run's outcome; a child still running still names this run.
      `and not exists (select 1 from runs p where p.id = r.parent_id and p.status in (${unfinished})) ` +
      `and not exists (select 1 from runs c where c.parent_id = r.id and c.status in (${unfinished})) ` +
      `order by r.finished_at_ms limit ?`,
    [...statuses, request.finishedBeforeMs, Math.floor(request.limit)],
  );
  if (rows.length === 0) return 0;
  const keys = JSON.stringify(rows.map((row) => row.run_key));
  const ids = JSON.stringify(rows.map((row) => row.id));
  const byKey = "in (select value from json_each(?))";
  for (const table of ["events", "event_archive", "run_blocks"]) {
    statements.runDynamic(`delete from ${table} where run_key ${byKey}`, [keys]);
  }
  statements.runDynamic(`delete from signals where run_id ${byKey}`, [ids]);
  for (const row of rows) {
    if (row.tags === null) continue;
    for (const [key, value] of Object.entries(JSON.parse(row.tags) as Record<string, string>)) {
      statements.runDynamic("delete from run_tags where key = ? and value = ? and created_at_ms = ? and run_id = ?", [
        key,
        value,
        row.created_at_ms,
        row.id,
      ]);
    }
  }
  statements.runDynamic(`delete from runs where run_key ${byKey}`, [keys]);
  return rows.length;
}
