// How a RunCommit is written: the lease check, the event appends, the signals it consumes, the run's new projection.
// One function over the caller's transaction (PostgresStore.commit); throws LeaseLostError, which rolls it all back.
import {
  FINISHED_STATUSES,
  LeaseLostError,
  MAX_BLOCKED_EPISODES_KEPT,
  type RunCommit,
  type RunStatus,
} from "@reprise/core";
import { noteRunEnded, noteRunsDue, noteRunsWoken } from "./change-notifications.js";
import { cancelWithChildren } from "./run-cancellation.js";
import { createRunRow } from "./run-creation.js";
import { insertEvents } from "./run-events.js";
import { applyTagChanges } from "./run-tags.js";
import { mayBeProgressOnly, storedList, waitName, type WriteRow } from "./run-rows.js";
import type { Statements } from "./statements.js";

/**
 * Writes one commit inside the caller's transaction. The common ones (a running run records a step; a run ends)
 * start with one guarded UPDATE; anything else, or a progress check that fails, first reads and locks the row,
 * so a lost lease is reported and concurrent writers of the run (a signal, a cancellation) take turns with it.
 *
 * @example
 * await writeCommit(statements, { runId, owner, expectedLastSeq: 3, events, consumedSignals: [], update, nowMs });
 */
export async function writeCommit(statements: Statements, commit: RunCommit): Promise<void> {
  const { runId, owner } = commit;
  let row: WriteRow | undefined;
  let written = await guardedUpdate(statements, commit);
  if (written === undefined) {
    row = await statements.get<WriteRow>("getRunForWrite", { id: runId });
    if (row === undefined || row.lease_owner !== owner || row.last_seq !== commit.expectedLastSeq) {
      throw new LeaseLostError(runId, owner);
    }
    written = { run_key: row.run_key, parent_id: row.parent_id };
  }
  const runKey = written.run_key;
  // Children first: a parent released to wait for a child is checked against the children's rows below.
  for (const child of commit.startChildren ?? []) await createRunRow(statements, child);
  for (const { runId: cancelled, reason } of commit.cancelRuns ?? []) {
    await cancelWithChildren(statements, cancelled, reason, commit.nowMs);
  }
  await insertEvents(statements, runKey, commit.events);
  for (const { position, seq } of commit.consumedSignals) {
    if ((await statements.run("consumeSignal", { runId, position, seq })) !== 1) throw new LeaseLostError(runId, owner);
  }
  // After the signals: whether an awaited signal is still waiting decides when the run is due.
  if (row !== undefined) {
    const dueAtMs = await dueAfterCommit(statements, commit, row);
    await updateProjection(statements, commit, dueAtMs, row);
    // Released with a due time: other engines hear of it (now, or the timer's time) instead of at their next poll.
    if (commit.update.release && dueAtMs !== null) noteRunsDue(statements, { atMs: dueAtMs, nowMs: commit.nowMs });
  }
  if (commit.tags !== undefined) await applyTagChanges(statements, runId, commit.tags);
  // After the projection: the next generation's log starts again at seq 1.
  if (commit.continueAsNew !== undefined) await startNextGeneration(statements, runKey, commit.continueAsNew);
  if (commit.update.status === "blocked") {
    const lastSeq = commit.expectedLastSeq + commit.events.length;
    await openBlockedEpisode(statements, runKey, commit.nowMs, lastSeq, commit.update.reason ?? "no reason recorded");
  }
  if (FINISHED_STATUSES.has(commit.update.status))
    await recordRunEnd(statements, runKey, runId, written.parent_id, commit.nowMs);
}

/**
 * The last part of every write that ends a run: a parent waiting for it becomes due (its wake set lists the
 * child, WakeSet in core), and the run takes the next position in the order of endings (locked until commit).
 *
 * @example
 * await recordRunEnd(statements, runKey, "order-1/2", "order-1", nowMs);
 */
export async function recordRunEnd(
  statements: Statements,
  runKey: number,
  runId: string,
  parentId: string | null,
  nowMs: number,
): Promise<void> {
  if (parentId !== null) {
    // Wait for a write that holds the parent (it may be parking it to wait for this child right now): the wake-up
    // then sees the parent as parked. If this write locks it first, that write sees this child ended instead.
    await statements.get("lockRun", { id: parentId });
    // A parked parent waiting for it is due now; otherwise its engine may be waiting for it in memory.
    if ((await statements.run("wakeParent", { parentId, childId: runId, nowMs })) > 0) noteRunsDue(statements);
    else noteRunsWoken(statements, [parentId]);
  }
  await statements.run("assignFinishedSeq", { runKey });
  noteRunEnded(statements);
}

/**
 * Continues the run as new, after its generation's last events were appended: that generation's events move to
 * `event_archive` under its number, and the next generation's log starts with `startedEvent` at seq 1. Signals
 * stay in the inbox (those consumed keep their `consumed_seq`, a seq of the generation that consumed them).
 */
async function startNextGeneration(
  statements: Statements,
  runKey: number,
  next: NonNullable<RunCommit["continueAsNew"]>,
): Promise<void> {
  const current = await statements.get<{ generation: number }>("startGeneration", { runKey, input: next.input });
  await statements.run("archiveEvents", { runKey, generation: (current?.generation ?? 2) - 1 });
  await statements.run("deleteEvents", { runKey });
  await insertEvents(statements, runKey, [next.startedEvent]);
}

/**
 * Records the start of a blocked episode (the log records nothing), keeping the newest ones only; also used when
 * a parked run is blocked at an engine's start-up check. The caller's write holds the run's row.
 *
 * @example
 * await openBlockedEpisode(statements, runKey, nowMs, lastSeq, "NonDeterminismError: ...");
 */
export async function openBlockedEpisode(
  statements: Statements,
  runKey: number,
  nowMs: number,
  lastSeq: number,
  reason: string,
): Promise<void> {
  const opened = await statements.get<{ episode: number }>("openBlockedEpisode", { runKey, nowMs, lastSeq, reason });
  const upToEpisode = (opened?.episode ?? 0) - MAX_BLOCKED_EPISODES_KEPT;
  if (upToEpisode > 0) await statements.run("dropOldBlockedEpisodes", { runKey, upToEpisode });
}

/** What a projection write returns: the run's key (for the event appends) and its parent (to wake when it ends). */
interface Written {
  readonly run_key: number;
  readonly parent_id: string | null;
}

/**
 * The projection update of a step (progress only) or of a run's end, in one statement that checks the lease;
 * returns the run's key. Undefined when the commit is neither, or a progress check failed: the caller then reads
 * the row. A failed end check is a lost lease.
 */
async function guardedUpdate(statements: Statements, commit: RunCommit): Promise<Written | undefined> {
  const { runId: id, owner, update, nowMs, expectedLastSeq } = commit;
  if (mayBeProgressOnly(update)) {
    const lastSeq = expectedLastSeq + commit.events.length;
    const key = await statements.get<{ run_key: number }>("recordProgress", {
      id,
      owner,
      expectedLastSeq,
      lastSeq,
      nowMs,
    });
    // A progress-only commit never ends the run, so whether it has a parent does not matter here.
    return key === undefined ? undefined : { run_key: key.run_key, parent_id: null };
  }
  if (!endsRun(update.status) || !update.release || update.waitingFor !== undefined) return undefined;
  const written = await updateProjection(statements, commit, null);
  if (written === undefined) throw new LeaseLostError(id, owner);
  return written;
}

/** Writes the run's projection after this commit; `row` (read before) keeps the lease expiry of a kept lease. */
function updateProjection(
  statements: Statements,
  commit: RunCommit,
  dueAtMs: number | null,
  row?: WriteRow,
): Promise<Written | undefined> {
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
    wakeSignals: storedList(update.wake?.signals),
    wakeChildren: storedList(update.wake?.children),
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
 * The row is locked, so a signal or cancellation sent meanwhile waits and then sees the run parked.
 */
async function dueAfterCommit(statements: Statements, commit: RunCommit, row: WriteRow): Promise<number | null> {
  const { update, nowMs, runId } = commit;
  if (endsRun(update.status)) return null;
  if (!update.release) return nowMs;
  if (row.cancel_requested) return nowMs;
  const wake = update.wake;
  const signals = storedList(wake?.signals);
  if (signals !== undefined && (await statements.get("hasUnconsumedSignal", { runId, names: signals })) !== undefined) {
    return nowMs;
  }
  const children = storedList(wake?.children);
  if (children !== undefined && (await statements.get("anyFinished", { ids: children })) !== undefined) return nowMs;
  return wake?.atMs ?? null;
}

/** A run leaves the queue for good (until fixed code retries a blocked one): it is not due again. */
function endsRun(status: RunStatus): boolean {
  return FINISHED_STATUSES.has(status) || status === "blocked";
}
