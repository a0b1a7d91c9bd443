// Writing a run's tags: the `runs.tags` JSON and its `run_tags` index rows, inside the caller's transaction.
// Never checks tags (the engine did); never reads or writes anything but the one run's tags.
import { mergeTags, type RunTags } from "@reprise/core";
import { tagsJson } from "./run-rows.js";
import { qualified } from "./run-selection.js";
import type { Statements } from "./statements.js";

/**
 * Gives a run just created its first tags (its row must exist, without tags).
 *
 * @example
 * await insertRunTags(statements, "order-1", nowMs, { customer: "42" });
 */
export async function insertRunTags(
  statements: Statements,
  runId: string,
  createdAtMs: number,
  tags: RunTags,
): Promise<void> {
  const { schema } = statements;
  const entries = Object.entries(tags);
  // One statement for both: a start with tags costs one round trip more than one without.
  await statements.dynamicRun(
    `with tagged as (update ${qualified(schema, "runs")} set tags = $1 where id = $2) ` +
      `insert into ${qualified(schema, "run_tags")} (key, value, created_at_ms, run_id) ` +
      `select k, v, $3, $2 from unnest($4::text[], $5::text[]) as t(k, v) on conflict do nothing`,
    [tagsJson(tags), runId, createdAtMs, entries.map(([key]) => key), entries.map(([, value]) => value)],
  );
}

/**
 * Applies a commit's tag changes (a string sets, null removes) to the run's tags and their index rows.
 *
 * @example
 * await applyTagChanges(statements, "order-1", { stage: "shipped", draft: null });
 */
export async function applyTagChanges(
  statements: Statements,
  runId: string,
  changes: Readonly<Record<string, string | null>>,
): Promise<void> {
  const { schema } = statements;
  const [row] = await statements.dynamic<{ tags: string | null; created_at_ms: number }>(
    `select tags, created_at_ms from ${qualified(schema, "runs")} where id = $1`,
    [runId],
  );
  if (row === undefined) return;
  const current = row.tags === null ? {} : (JSON.parse(row.tags) as Record<string, string>);
  const removed: string[] = [];
  const added: [string, string][] = [];
  for (const [key, value] of Object.entries(changes)) {
    const old = current[key];
    if (old === value) continue;
    if (old !== undefined) removed.push(key);
    if (value !== null) added.push([key, value]);
  }
  if (removed.length > 0) {
    await statements.dynamicRun(
      `delete from ${qualified(schema, "run_tags")} where run_id = $1 and created_at_ms = $2 and ` +
        `(key, value) in (select * from unnest($3::text[], $4::text[]))`,
      [runId, row.created_at_ms, removed, removed.map((key) => current[key])],
    );
  }
  await insertTagRows(statements, runId, row.created_at_ms, added);
  await statements.dynamicRun(`update ${qualified(schema, "runs")} set tags = $1 where id = $2`, [
    tagsJson(mergeTags(current, changes)),
    runId,
  ]);
}

async function insertTagRows(
  statements: Statements,
  runId: string,
  createdAtMs: number,
  tags: readonly (readonly [string, string])[],
): Promise<void> {
  if (tags.length === 0) return;
  await statements.dynamicRun(
    `insert into ${qualified(statements.schema, "run_tags")} (key, value, created_at_ms, run_id) ` +
      `select k, v, $3, $4 from unnest($1::text[], $2::text[]) as t(k, v) on conflict do nothing`,
    [tags.map(([key]) => key), tags.map(([, value]) => value), createdAtMs, runId],
  );
}
