// Runs and events as plain JSON, for `--json` output and the inspector's API.
// Decoded values go through toJsonSafe; errors become { name, message } without stacks.
import type { HistoryEvent, RunInfo } from "@reprise/core";
import { toJsonSafe } from "./json-safe.js";

/**
 * A run as plain JSON: decoded input and result, the error as `{ name, message }`, times in epoch ms. A stored
 * value that cannot be decoded is left out and named in `corrupt: [{ column, problem }]` (listRuns marks it).
 *
 * @example
 * JSON.stringify(runToJson(await engine.getRun("order-1")));
 */
export function runToJson(run: RunInfo): Record<string, unknown> {
  const corrupt = new Set(run.corrupt?.map((damage) => damage.column));
  return {
    id: run.id,
    workflow: run.workflow,
    version: run.version,
    generation: run.generation,
    status: run.status,
    input: corrupt.has("input") ? undefined : (toJsonSafe(run.input) ?? null),
    result: run.status === "completed" && !corrupt.has("result") ? (toJsonSafe(run.result) ?? null) : undefined,
    error: run.error === undefined ? undefined : { name: run.error.name, message: run.error.message },
    waitingFor: run.waitingFor,
    wakeAtMs: run.wakeAtMs,
    reason: run.reason,
    cancelRequested: run.cancelRequested,
    lastSeq: run.lastSeq,
    parentId: run.parentId,
    tags: run.tags,
    // Only getRun lists the children (the oldest MAX_CHILDREN_SHOWN).
    children: run.children,
    createdAtMs: run.createdAtMs,
    updatedAtMs: run.updatedAtMs,
    finishedAtMs: run.finishedAtMs,
    // Only getRun reads the inbox; a run from listRuns has no such field.
    pendingSignals: run.pendingSignals,
    // Likewise the episodes during which the run was blocked, oldest first.
    blockedEpisodes: run.blockedEpisodes,
    corrupt: run.corrupt?.map(({ column, problem }) => ({ column, problem })),
  };
}

/**
 * An event as plain JSON: seq, type, atMs and its decoded fields.
 *
 * @example
 * history.map(eventToJson); // [{ seq: 1, type: "run_started", atMs: ..., workflow: "order", input: {...} }, ...]
 */
export function eventToJson(event: HistoryEvent): Record<string, unknown> {
  return toJsonSafe(event) as Record<string, unknown>;
}
