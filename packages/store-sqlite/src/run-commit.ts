// How a RunCommit is written: the lease check, the event appends, the signals it consumes, the run's new projection.
// Runs inside the caller's transaction (SqliteStore.commit); throws LeaseLostError, which undoes the whole write.
import {
  FINISHED_STATUSES,
  LeaseLostError,
  MAX_BLOCKED_EPISODES_KEPT,
  type RunCommit,
  type RunStatus,
} from "@reprise/core";
import { cancelWithChildren } from "./run-cancellation.js";
import { createRunRow } from "./run-creation.js";
import { insertEvents } from "./run-events.js";
import { applyTagChanges } from "./run-tags.js";
import { jsonList, mayBeProgressOnly, waitName, type WriteRow } from "./run-rows.js";
import type { PreparedStatements } from "./statements.js";

/**
 * Writes one commit. The common ones (a running run records a step; a run ends) are one guarded statement plus
 * the appends; anything else, or a progress check that fails, reads the row first, so a lost lease is reported.
 *
 * @example
 * writeCommit(statements, { runId, owner, expectedLastSeq: 3, events, consumedSignals: [], update, nowMs });
 */
export function writeCommit(statements: PreparedStatements, commit: RunCommit): void {
  const { runId, owner } = commit;
  let row: WriteRow | undefined;
  let written = guardedUpdate(statements, commit);
  if (written === undefined) {
    row = statements.get<WriteRow>("getRunForWrite", { id: runId });
    if (row === undefined || row.lease_owner !== owner || row.last_seq !== commit.expectedLastSeq) {
      throw new LeaseLostError(runId, owner);
    }
    written = { run_key: row.run_key, parent_id: row.parent_id };
  }
  const runKey = written.run_key;
  // Children first: a parent released to wait for a child that ends at once (never, in the same write) is
  // checked against the children's rows below.
  for (const child of commit.startChildren ?? []) createRunRow(statements, child);
  for (const { runId: cancelled, reason } of commit.cancelRuns ?? []) {
    cancelWithChildren(statements, cancelled, reason, commit.nowMs);
  }
  insertEvents(statements, runKey, commit.events);
  for (const { position, seq } of commit.consumedSignals) {
    if (statements.run("consumeSignal", { runId, position, seq }).changes !== 1) throw new LeaseLostError(runId, owner);
  }
  // After the signals: whether an awaited signal is still waiting decides when the run is due.
  if (row !== undefined) updateProjection(statements, commit, dueAfterCommit(statements, commit, row), row);
  if (commit.tags !== undefined) applyTagChanges(statements, runId, commit.tags);
  // After the projection: the next generation's log starts again at seq 1.
  if (commit.continueAsNew !== undefined) startNextGeneration(statements, runKey, commit.continueAsNew);
  if (commit.update.status === "blocked") {
    const lastSeq = commit.expectedLastSeq + commit.events.length;
    openBlockedEpisode(statements, runKey, commit.nowMs, lastSeq, commit.update.reason ?? "no reason recorded");
  }
  // A child that ends wakes a parent waiting for it: the parent's wake set lists the child (WakeSet in core).
  if (written.parent_id !== null && FINISHED_STATUSES.has(commit.update.status)) {
    statements.run("wakeParent", { parentId: written.parent_id, childId: runId, nowMs: commit.nowMs });
  }
}

/**
 * Continues the run as new, after its generation's last events were appended: that generation's events move to
 * `event_archive` under its number, and the next generation's log starts with `startedEvent` at seq 1. Signals
 * stay in the inbox (those consumed keep their `consumed_seq`, a seq of the generation that consumed them).
 */
function startNextGeneration(
  statements: PreparedStatements,
  runKey: number,
  next: NonNullable<RunCommit["continueAsNew"]>,
): void {
  const current = statements.get<{ generation: number }>("startGeneration", { runKey, input: next.input });
  statements.run("archiveEvents", { runKey, generation: (current?.generation ?? 2) - 1 });
  statements.run("deleteEvents", { runKey });
  insertEvents(statements, runKey, [next.startedEvent]);
}

/**
 * Records the start of a blocked episode (the log records nothing), keeping the newest ones only; also used when
 * a parked run is blocked at an engine's start-up check.
 *
 * @example
 * openBlockedEpisode(statements, runKey, nowMs, lastSeq, "NonDeterminismError: ...");
 */
export function openBlockedEpisode(
  statements: PreparedStatements,
  runKey: number,
  nowMs: number,
  lastSeq: number,
  reason: string,
): void {
  const opened = statements.get<{ episode: number }>("openBlockedEpisode", { runKey, nowMs, lastSeq, reason });
  const upToEpisode = (opened?.episode ?? 0) - MAX_BLOCKED_EPISODES_KEPT;
  if (upToEpisode > 0) statements.run("dropOldBlockedEpisodes", { runKey, upToEpisode });
}

/**
 * The projection update of a step (progress only) or of a run's end, in one statement that checks the lease;
 * returns the run's key. Undefined when the commit is neither, or a progress check failed: the caller then reads
 * the row. A failed end check is a lost lease.
 */
function guardedUpdate(statements: PreparedStatements, commit: RunCommit): Written | undefined {
  const { runId: id, owner, update, nowMs, expectedLastSeq } = commit;
  if (mayBeProgressOnly(update)) {
    const lastSeq = expectedLastSeq + commit.events.length;
    const key = statements.get<{ run_key: number }>("recordProgress", { id, owner, expectedLastSeq, lastSeq, nowMs });
    // A progress-only commit never ends the run, so whether it has a parent does not matter here.
    return key === undefined ? undefined : { run_key: key.run_key, parent_id: null };
  }
  if (!endsRun(update.status) || !update.release || update.waitingFor !== undefined) return undefined;
  const written = updateProjection(statements, commit, null);
  if (written === undefined) throw new LeaseLostError(id, owner);
  return written;
}

/** What a projection write returns: the run's key (for the event appends) and its parent (to wake when it ends). */
interface Written {
  readonly run_key: number;
  readonly parent_id: string | null;
}

/** Writes the run's projection after this commit; `row` (read before) keeps the lease expiry of a kept lease. */
function updateProjection(
  statements: PreparedStatements,
  commit: RunCommit,
  dueAtMs: number | null,
  row?: WriteRow,
): Written | undefined {
  const { update, owner, nowMs } = commit;
  const keepsLease = !update.release;
  return statements.get<Written>("updateRun", {
    id: commit.runId,
    owner,
    expectedLastSeq: commit.expectedLastSeq,
    status: update.status,
    result: update.result,
    error: update.error,
    waitKind: update.waitingFor?.kind,
    waitName: waitName(update.waitingFor),
    wakeAtMs: update.wakeAtMs,
    wakeSignals: jsonList(update.wake?.signals),
    wakeChildren: jsonList(update.wake?.children),
    dueAtMs,
    leaseOwner: keepsLease ? owner : null,
    leaseExpiresAtMs: keepsLease ? (row?.lease_expires_at_ms ?? null) : null,
    reason: update.reason,
    lastSeq: commit.expectedLastSeq + commit.events.length,
    nowMs,
    finishedAtMs: FINISHED_STATUSES.has(update.status) ? nowMs : undefined,
  });
}

/**
 * When the run should next be claimed, by the wake rule (WakeSet in core): at once if its cancellation was
 * requested, or a signal it waits for is in its inbox, or a child it waits for has ended; else at `wake.atMs`.
 */
function dueAfterCommit(statements: PreparedStatements, commit: RunCommit, row: WriteRow): number | null {
  const { update, nowMs, runId } = commit;
  if (endsRun(update.status)) return null;
  if (!update.release) return nowMs;
  if (row.cancel_requested === 1) return nowMs;
  const wake = update.wake;
  for (const name of wake?.signals ?? []) {
    if (statements.get("hasUnconsumedSignal", { runId, name }) !== undefined) return nowMs;
  }
  const children = jsonList(wake?.children);
  if (children !== undefined && statements.get("anyFinished", { ids: children }) !== undefined) return nowMs;
  return wake?.atMs ?? null;
}

/** A run leaves the queue for good (until fixed code retries a blocked one): it is not due again. */
function endsRun(status: RunStatus): boolean {
  return FINISHED_STATUSES.has(status) || status === "blocked";
}
