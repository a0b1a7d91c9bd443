// How a RunCommit is written: the lease check, the event appends, the signals it consumes, the run's new projection.
// Runs inside the caller's transaction (SqliteStore.commit); throws LeaseLostError, which undoes the whole write.
import {
  FINISHED_STATUSES,
  LeaseLostError,
  MAX_BLOCKED_EPISODES_KEPT,
  type EventRecord,
  type RunCommit,
  type RunStatus,
} from "@reprise/core";
import { mayBeProgressOnly, waitName, type WriteRow } from "./run-rows.js";
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
  let runKey = guardedUpdate(statements, commit);
  if (runKey === undefined) {
    row = statements.get<WriteRow>("getRunForWrite", { id: runId });
    if (row === undefined || row.lease_owner !== owner || row.last_seq !== commit.expectedLastSeq) {
      throw new LeaseLostError(runId, owner);
    }
    runKey = row.run_key;
  }
  insertEvents(statements, runKey, commit.events);
  for (const { position, seq } of commit.consumedSignals) {
    if (statements.run("consumeSignal", { runId, position, seq }).changes !== 1) throw new LeaseLostError(runId, owner);
  }
  // After the signals: whether an awaited signal is still waiting decides when the run is due.
  if (row !== undefined) updateProjection(statements, commit, dueAfterCommit(statements, commit, row), row);
  if (commit.update.status === "blocked") openBlockedEpisode(statements, runKey, commit);
}

/** Records the start of a blocked episode (the log records nothing), keeping the newest ones only. */
function openBlockedEpisode(statements: PreparedStatements, runKey: number, commit: RunCommit): void {
  const opened = statements.get<{ episode: number }>("openBlockedEpisode", {
    runKey,
    nowMs: commit.nowMs,
    lastSeq: commit.expectedLastSeq + commit.events.length,
    reason: commit.update.reason ?? "no reason recorded",
  });
  const upToEpisode = (opened?.episode ?? 0) - MAX_BLOCKED_EPISODES_KEPT;
  if (upToEpisode > 0) statements.run("dropOldBlockedEpisodes", { runKey, upToEpisode });
}

/** Appends events to a run's log (its `run_key` range). */
export function insertEvents(statements: PreparedStatements, runKey: number, events: readonly EventRecord[]): void {
  for (const event of events) {
    statements.run("insertEvent", { runKey, seq: event.seq, type: event.type, atMs: event.atMs, data: event.data });
  }
}

/**
 * The projection update of a step (progress only) or of a run's end, in one statement that checks the lease;
 * returns the run's key. Undefined when the commit is neither, or a progress check failed: the caller then reads
 * the row. A failed end check is a lost lease.
 */
function guardedUpdate(statements: PreparedStatements, commit: RunCommit): number | undefined {
  const { runId: id, owner, update, nowMs, expectedLastSeq } = commit;
  if (mayBeProgressOnly(update)) {
    const lastSeq = expectedLastSeq + commit.events.length;
    return statements.get<{ run_key: number }>("recordProgress", { id, owner, expectedLastSeq, lastSeq, nowMs })
      ?.run_key;
  }
  if (!endsRun(update.status) || !update.release || update.waitingFor !== undefined) return undefined;
  const key = updateProjection(statements, commit, null);
  if (key === undefined) throw new LeaseLostError(id, owner);
  return key;
}

/** Writes the run's projection after this commit; `row` (read before) keeps the lease expiry of a kept lease. */
function updateProjection(
  statements: PreparedStatements,
  commit: RunCommit,
  dueAtMs: number | null,
  row?: WriteRow,
): number | undefined {
  const { update, owner, nowMs } = commit;
  const keepsLease = !update.release;
  return statements.get<{ run_key: number }>("updateRun", {
    id: commit.runId,
    owner,
    expectedLastSeq: commit.expectedLastSeq,
    status: update.status,
    result: update.result,
    error: update.error,
    waitKind: update.waitingFor?.kind,
    waitName: waitName(update.waitingFor),
    wakeAtMs: update.wakeAtMs,
    dueAtMs,
    leaseOwner: keepsLease ? owner : null,
    leaseExpiresAtMs: keepsLease ? (row?.lease_expires_at_ms ?? null) : null,
    reason: update.reason,
    lastSeq: commit.expectedLastSeq + commit.events.length,
    nowMs,
    finishedAtMs: FINISHED_STATUSES.has(update.status) ? nowMs : undefined,
  })?.run_key;
}

/** When the run should next be claimed; earlier than asked if a cancellation or awaited signal is waiting. */
function dueAfterCommit(statements: PreparedStatements, commit: RunCommit, row: WriteRow): number | null {
  const { update, nowMs, runId } = commit;
  if (endsRun(update.status)) return null;
  if (!update.release) return nowMs;
  if (row.cancel_requested === 1) return nowMs;
  const waitsFor = update.waitingFor;
  if (waitsFor?.kind === "signal" && statements.get("hasUnconsumedSignal", { runId, name: waitsFor.name })) {
    return nowMs;
  }
  return update.dueAtMs ?? null;
}

/** A run leaves the queue for good (until fixed code retries a blocked one): it is not due again. */
function endsRun(status: RunStatus): boolean {
  return FINISHED_STATUSES.has(status) || status === "blocked";
}
