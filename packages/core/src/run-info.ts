// RunInfo: what `getRun` and `listRuns` show users, decoded from a store's RunRecord; and what `result()`
// gives for a finished run. Read-only views; nothing here changes a run.
import { decodeValue } from "./codec.js";
import { RunCancelledError, RunFailedError } from "./errors.js";
import { fromErrorInfo, type ErrorInfo } from "./events.js";
import type { RunOutcomeRecord, RunRecord, RunStatus, WaitInfo } from "./store.js";

/**
 * A snapshot of a run, as returned by `engine.getRun()` and `engine.listRuns()`.
 *
 * @example
 * const info = await engine.getRun("greet-ada");
 * if (info?.status === "waiting") console.log(`waits for ${JSON.stringify(info.waitingFor)} until ${info.wakeAtMs}`);
 */
export interface RunInfo<O = unknown> {
  readonly id: string;
  readonly workflow: string;
  readonly status: RunStatus;
  readonly input: unknown;
  /** The workflow's return value, once `completed`. */
  readonly result?: O | undefined;
  /** The workflow's error once `failed`, or the reason a run is `blocked`. */
  readonly error?: Error | undefined;
  /** What a `sleeping` or `waiting` run waits for. */
  readonly waitingFor?: WaitInfo | undefined;
  /** When the current wait ends (timer deadline, retry time, signal timeout), epoch ms. */
  readonly wakeAtMs?: number | undefined;
  /** Why the run is not progressing, in words (blocked, or no engine serves its workflow). */
  readonly reason?: string | undefined;
  /** A cancellation was requested (it stays true after the run has finished). */
  readonly cancelRequested: boolean;
  /** Seq of the last event in the run's log. */
  readonly lastSeq: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly finishedAtMs?: number | undefined;
  /**
   * Signals in the run's inbox that no `awaitSignal` has taken yet, oldest first (at most
   * MAX_PENDING_SIGNALS_SHOWN), e.g. one sent under a name the workflow never awaits. Set by `getRun` only;
   * `listRuns` leaves it undefined so that listing stays one query.
   */
  readonly pendingSignals?: readonly PendingSignalInfo[] | undefined;
}

/**
 * A signal waiting in a run's inbox, as `getRun` shows it (payload left out: it may be large).
 *
 * @example
 * const stray = (await engine.getRun("order-1"))?.pendingSignals?.filter((s) => s.name !== "approval");
 */
export interface PendingSignalInfo {
  /** The signal's id (the one given to `signal()`, or the generated one). */
  readonly id: string;
  readonly name: string;
  readonly sentAtMs: number;
}

/** How many pending signals `getRun` lists at most (the oldest ones); a run rarely holds more than a few. */
export const MAX_PENDING_SIGNALS_SHOWN = 100;

/** Decodes a stored run. `reason` overrides the stored one when the caller derived a better one. */
export function toRunInfo<O>(record: RunRecord, reason?: string): RunInfo<O> {
  return {
    id: record.id,
    workflow: record.workflow,
    status: record.status,
    input: decodeValue(record.input),
    result: record.result === undefined ? undefined : (decodeValue(record.result) as O),
    error: record.error === undefined ? undefined : fromErrorInfo(decodeValue(record.error) as ErrorInfo),
    waitingFor: record.waitingFor,
    wakeAtMs: record.wakeAtMs,
    reason: reason ?? record.reason,
    cancelRequested: record.cancelRequested,
    lastSeq: record.lastSeq,
    createdAtMs: record.createdAtMs,
    updatedAtMs: record.updatedAtMs,
    finishedAtMs: record.finishedAtMs,
  };
}

/**
 * What `result()` gives for a run in this state: the decoded return value, or the error it throws
 * (RunFailedError, RunCancelledError); undefined while the run has not finished.
 *
 * @example
 * const outcome = finishedOutcome("order-1", record); // undefined: still running
 */
export function finishedOutcome(
  runId: string,
  run: RunOutcomeRecord,
): { value: unknown } | { error: Error } | undefined {
  switch (run.status) {
    case "completed":
      return { value: run.result === undefined ? undefined : decodeValue(run.result) };
    case "failed": {
      const cause =
        run.error === undefined ? new Error("unknown error") : fromErrorInfo(decodeValue(run.error) as ErrorInfo);
      return { error: new RunFailedError(runId, cause) };
    }
    case "cancelled":
      return { error: new RunCancelledError(runId, run.reason) };
    default:
      return undefined;
  }
}
