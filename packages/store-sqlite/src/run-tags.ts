// Writing a run's tags: the `runs.tags` JSON and its `run_tags` index rows, inside the caller's write.
// Never checks tags (the engine did); never reads or writes anything but the one run's tags.
import { mergeTags, type RunTags } from "@reprise/core";
import { builder, compileStatement, param } from "./query-builder.js";
import { tagsJson } from "./run-rows.js";
import type { PreparedStatements } from "./statements.js";

const QUERIES = {
  runTags: compileStatement<{ id: string }>(
    builder.selectFrom("runs").select(["tags", "created_at_ms"]).where("id", "=", param("id")),
  ),
  setTagsJson: compileStatement<{ id: string; tags: string | undefined }>(
    builder
      .updateTable("runs")
      .set({ tags: param("tags") })
      .where("id", "=", param("id")),
  ),
  insertTag: compileStatement<{ key: string; value: string; createdAtMs: number; runId: string }>(
    builder
      .insertInto("run_tags")
      .values({ key: param("key"), value: param("value"), created_at_ms: param("createdAtMs"), run_id: param("runId") })
      .onConflict((oc) => oc.doNothing()),
  ),
  deleteTag: compileStatement<{ key: string; value: string; createdAtMs: number; runId: string }>(
    builder
      .deleteFrom("run_tags")
      .where("key", "=", param("key"))
      .where("value", "=", param("value"))
      .where("created_at_ms", "=", param("createdAtMs"))
      .where("run_id", "=", param("runId")),
  ),
};

/**
 * Gives a run just created its first tags (its row must exist, without tags).
 *
 * @example
 * insertRunTags(statements, "order-1", nowMs, { customer: "42" });
 */
export function insertRunTags(statements: PreparedStatements, runId: string, createdAtMs: number, tags: RunTags): void {
  statements.runCompiled(QUERIES.setTagsJson, { id: runId, tags: tagsJson(tags) });
  for (const [key, value] of Object.entries(tags)) {
    statements.runCompiled(QUERIES.insertTag, { key, value, createdAtMs, runId });
  }
}

/**
 * Applies a commit's tag changes (a string sets, null removes) to the run's tags and their index rows.
 *
 * @example
 * applyTagChanges(statements, "order-1", { stage: "shipped", draft: null });
 */
export function applyTagChanges(
  statements: PreparedStatements,
  runId: string,
  changes: Readonly<Record<string, string | null>>,
): void {
  const [row] = statements.allCompiled<{ tags: string | null; created_at_ms: number }, { id: string }>(
    QUERIES.runTags,
    { id: runId },
  );
  if (row === undefined) return;
  const current = row.tags === null ? {} : (JSON.parse(row.tags) as Record<string, string>);
  const createdAtMs = row.created_at_ms;
  for (const [key, value] of Object.entries(changes)) {
    const old = current[key];
    if (old === value) continue;
    if (old !== undefined) statements.runCompiled(QUERIES.deleteTag, { key, value: old, createdAtMs, runId });
    if (value !== null) statements.runCompiled(QUERIES.insertTag, { key, value, createdAtMs, runId });
  }
  statements.runCompiled(QUERIES.setTagsJson, { id: runId, tags: tagsJson(mergeTags(current, changes)) });
}
