// RunInfo: what `getRun` and `listRuns` show users, decoded from a store's RunRecord; and what `result()`
// gives for a finished run. Read-only views; nothing here changes a run. A value that cannot be decoded is
// reported for its run (CorruptEventError, or a `corrupt` marker in lists), never thrown raw.
import { decodeValue } from "./codec.js";
import { CorruptEventError, RunCancelledError, RunFailedError } from "./errors.js";
import { fromErrorInfo, type ErrorInfo } from "./events.js";
import type { RunTags } from "./tags.js";
import type { BlockedEpisodeRecord, RunOutcomeRecord, RunRecord, RunStatus, WaitInfo, WakeSet } from "./store.js";

const NO_TAGS: RunTags = Object.freeze({});

/** The values of a run's row that are stored encoded, and so can be found corrupt. */
export type RunValueColumn = "input" | "result" | "error";

/**
 * A value of a run's row that cannot be decoded (damaged file, hand edit), as `listRuns` reports it.
 *
 * @example
 * const [damage] = (await engine.listRuns()).find((run) => run.corrupt)?.corrupt ?? [];
 * console.log(damage?.column, damage?.problem); // "result" "Unexpected token 'g', \"garbage\" is not valid JSON"
 */
export interface RunCorruption {
  /** Which stored value: the column of the runs table it lives in. */
  readonly column: RunValueColumn;
  /** Why it cannot be read, in the decoder's words. */
  readonly problem: string;
}

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
  /** The version of the workflow's definition the run started on, and is only ever run with (1 unless versioned). */
  readonly version: number;
  /**
   * The run's generation: 1, plus one per `continueAsNew`. `input`, `lastSeq` and `history(id)` are those of this
   * generation; `history(id, { generation })` reads an earlier one.
   */
  readonly generation: number;
  readonly status: RunStatus;
  /** The input of the current generation (the run's input, or what the last `continueAsNew` passed on). */
  readonly input: unknown;
  /** The workflow's return value, once `completed`. */
  readonly result?: O | undefined;
  /** The workflow's error once `failed`, or the reason a run is `blocked`. */
  readonly error?: Error | undefined;
  /**
   * What a `sleeping` or `waiting` run waits for: its oldest open command. A run waiting in parallel branches waits
   * for several things at once; `wake` lists them all.
   */
  readonly waitingFor?: WaitInfo | undefined;
  /** When the run wakes by time at the latest (the earliest timer deadline, retry time or signal timeout), epoch ms. */
  readonly wakeAtMs?: number | undefined;
  /**
   * Everything that wakes a parked run: a time, signal names, child runs (see WakeSet). For a
   * `race({ shipped: awaitSignal("shipped"), late: sleep({ days: 3 }) })`: `{ atMs, signals: ["shipped"] }`.
   */
  readonly wake?: WakeSet | undefined;
  /** Why the run is not progressing, in words (blocked, or no engine serves its workflow). */
  readonly reason?: string | undefined;
  /** A cancellation was requested (it stays true after the run has finished). */
  readonly cancelRequested: boolean;
  /** Seq of the last event in the run's log. */
  readonly lastSeq: number;
  /** The run that started this one with `child()` / `startChild()`, if any. */
  readonly parentId?: string | undefined;
  /** The run's tags (from `start()`, changed by `setTags()`); `{}` when it has none. */
  readonly tags: RunTags;
  /**
   * Ids of the runs this one started as children, oldest first (at most MAX_CHILDREN_SHOWN; `listRuns({ parent })`
   * pages through all of them). Set by `getRun` only.
   */
  readonly children?: readonly string[] | undefined;
  /** The queue the run was started in (docs/queues.md), if any. */
  readonly queue?: string | undefined;
  /** The run's key within its queue (per-key limits), if any. */
  readonly key?: string | undefined;
  /** The run's priority within its queue: lower runs first; 0 unless set. */
  readonly priority: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly finishedAtMs?: number | undefined;
  /**
   * Signals in the run's inbox that no `awaitSignal` has taken yet, oldest first (at most
   * MAX_PENDING_SIGNALS_SHOWN), e.g. one sent under a name the workflow never awaits. Set by `getRun` only;
   * `listRuns` leaves it undefined so that listing stays one query.
   */
  readonly pendingSignals?: readonly PendingSignalInfo[] | undefined;
  /**
   * The episodes during which the run was `blocked`, oldest first (the store keeps the last
   * MAX_BLOCKED_EPISODES_KEPT); the last one has no `endedAtMs` while the run is still blocked. Runs blocked
   * before schema version 4 of the SQLite store have none for that time. Set by `getRun` only; `listRuns` leaves
   * it undefined.
   */
  readonly blockedEpisodes?: readonly BlockedEpisodeInfo[] | undefined;
  /**
   * Only from `listRuns`: the stored values that cannot be decoded (the field is then undefined). `getRun`
   * throws CorruptEventError for such a run instead; other runs are unaffected.
   */
  readonly corrupt?: readonly RunCorruption[] | undefined;
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

/**
 * A stretch of time during which a run was `blocked` (nothing executed; it waited for code matching its history),
 * as `getRun` shows it.
 *
 * @example
 * for (const episode of (await engine.getRun("order-1"))?.blockedEpisodes ?? []) {
 *   console.log(new Date(episode.blockedAtMs), episode.endedBy ?? "still blocked", episode.reason);
 * }
 */
export type BlockedEpisodeInfo = BlockedEpisodeRecord;

/**
 * How many children `getRun` lists at most (the oldest ones); `listRuns({ parent })` lists any number.
 *
 * @example
 * if (info.children?.length === MAX_CHILDREN_SHOWN) console.log("more: engine.listRuns({ parent: info.id })");
 */
export const MAX_CHILDREN_SHOWN = 1000;

/** How many pending signals `getRun` lists at most (the oldest ones); a run rarely holds more than a few. */
export const MAX_PENDING_SIGNALS_SHOWN = 100;

/**
 * Decodes a stored run (for `getRun`). `reason` overrides the stored one when the caller derived a better one.
 * Throws CorruptEventError, naming the run and the column, if a stored value cannot be decoded.
 *
 * @example
 * const info = toRunInfo(await store.getRun("order-1"));
 */
export function toRunInfo<O>(record: RunRecord, reason?: string): RunInfo<O> {
  const { info, damage } = decodeRun<O>(record, reason);
  const first = damage[0];
  if (first === undefined) return info;
  const problem = damage.map((each) => `${each.column}: ${each.corruption.problem}`).join("; ");
  throw new CorruptEventError(record.id, record.lastSeq, problem, { column: first.column, cause: first.cause });
}

/**
 * Decodes a stored run for a list (`listRuns`): a value that cannot be decoded is left undefined and named in
 * `corrupt`, so one damaged row never takes the whole list down.
 *
 * @example
 * const runs = records.map((record) => toListedRunInfo(record));
 */
export function toListedRunInfo<O>(record: RunRecord, reason?: string): RunInfo<O> {
  const { info, damage } = decodeRun<O>(record, reason);
  return damage.length === 0 ? info : { ...info, corrupt: damage.map((each) => each.corruption) };
}

interface Damage {
  readonly column: RunValueColumn;
  readonly corruption: RunCorruption;
  readonly cause: unknown;
}

function decodeRun<O>(record: RunRecord, reason: string | undefined): { info: RunInfo<O>; damage: Damage[] } {
  const damage: Damage[] = [];
  const decode = <T>(column: RunValueColumn, text: string | undefined, read: (text: string) => T): T | undefined => {
    if (text === undefined) return undefined;
    try {
      return read(text);
    } catch (error) {
      const problem = error instanceof Error ? error.message : String(error);
      damage.push({ column, corruption: { column, problem }, cause: error });
      return undefined;
    }
  };
  const info: RunInfo<O> = {
    id: record.id,
    workflow: record.workflow,
    version: record.version,
    generation: record.generation,
    status: record.status,
    input: decode("input", record.input, decodeValue),
    result: decode("result", record.result, (text) => decodeValue(text) as O),
    error: decode("error", record.error, decodeErrorInfo),
    waitingFor: record.waitingFor,
    wakeAtMs: record.wakeAtMs,
    wake: record.wake,
    reason: reason ?? record.reason,
    cancelRequested: record.cancelRequested,
    lastSeq: record.lastSeq,
    parentId: record.parentId,
    queue: record.queue,
    key: record.queueKey,
    priority: record.priority ?? 0,
    tags: record.tags ?? NO_TAGS,
    createdAtMs: record.createdAtMs,
    updatedAtMs: record.updatedAtMs,
    finishedAtMs: record.finishedAtMs,
  };
  return { info, damage };
}

/** A stored error: an encoded object with a string `name` and `message`, as fromErrorInfo needs. */
function decodeErrorInfo(text: string): Error {
  const info = decodeValue(text) as Partial<ErrorInfo> | null;
  if (typeof info !== "object" || info === null || typeof info.name !== "string" || typeof info.message !== "string") {
    throw new Error("not an encoded error (an object with a string name and message)");
  }
  return fromErrorInfo(info as ErrorInfo);
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
      try {
        return { value: run.result === undefined ? undefined : decodeValue(run.result) };
      } catch (error) {
        return { error: corruptOutcome(runId, "result", error) };
      }
    case "failed": {
      let cause: Error;
      try {
        cause = run.error === undefined ? new Error("unknown error") : decodeErrorInfo(run.error);
      } catch (error) {
        return { error: corruptOutcome(runId, "error", error) };
      }
      return { error: new RunFailedError(runId, cause) };
    }
    case "cancelled":
      return { error: new RunCancelledError(runId, run.reason) };
    default:
      return undefined;
  }
}

/** The error `result()` gives for a run whose stored outcome cannot be decoded (its last seq is not at hand). */
function corruptOutcome(runId: string, column: RunValueColumn, error: unknown): CorruptEventError {
  const problem = error instanceof Error ? error.message : String(error);
  return new CorruptEventError(runId, 0, problem, { column, cause: error });
}
