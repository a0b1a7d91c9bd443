// The event log's vocabulary: past-tense facts with a `type` discriminator, and their stored form.
// Every event is validated before it is written and after it is read; a new kind is a compile error until handled.
import { decodeValue, encodeDocument } from "./codec.js";
import type { Combinator } from "./branches.js";
import type { RecordedValueSource } from "./commands.js";
import { isErrorInfo, type ErrorInfo } from "./error-codec.js";
import { CorruptEventError } from "./errors.js";
import { MAX_VALUE_DEPTH } from "./value-inspection.js";

export { fromErrorInfo, toErrorInfo, type ErrorInfo } from "./error-codec.js";

/**
 * Version of the event format written into every `run_started` event; readers refuse newer ones. Format 2 added
 * parallel branches and children, and `commandSeq` on the events that answer a command; format 1 logs (one
 * command open at a time, answers without `commandSeq`) are read by the same replayer.
 */
export const EVENT_LOG_FORMAT_VERSION = 2;

interface EventBase {
  /** Position in the run's log, from 1, without gaps. */
  readonly seq: number;
  /** Engine clock time when the event was recorded (epoch ms). */
  readonly atMs: number;
  /**
   * On the first event of a command yielded inside parallel branches: its branch path, e.g. `all[2] > race.late`
   * (absent for the workflow's own commands). Replay checks it, and tools draw lanes from it.
   */
  readonly path?: string | undefined;
}

/**
 * Events that answer a command carry its `commandSeq`: the seq of the command's first event (which is the event
 * itself when the answer is the first event). Format 1 logs lack it: there, the one open command is meant.
 */
interface AnswerBase extends EventBase {
  readonly commandSeq?: number | undefined;
}

/** The run was created with this input. Always seq 1. */
export interface RunStartedEvent extends EventBase {
  readonly type: "run_started";
  readonly workflow: string;
  readonly input: unknown;
  readonly formatVersion: number;
  /** The version of the workflow's definition the run started on; omitted for version 1. */
  readonly version?: number;
  /** The generation this log is, once the run has continued as new; omitted for the first. */
  readonly generation?: number;
  /** The run's tags when this generation started (from `start()`, or carried over by `continueAsNew`); omitted for none. */
  readonly tags?: Readonly<Record<string, string>> | undefined;
}
/** The run continued as new (`continueAsNew`): this generation ends here; the next starts with `input`. Always last. */
export interface RunContinuedEvent extends EventBase {
  readonly type: "run_continued";
  readonly input: unknown;
}
/** A step's attempt succeeded; this is the step's recorded result. */
export interface StepCompletedEvent extends AnswerBase {
  readonly type: "step_completed";
  readonly name: string;
  readonly attempt: number;
  readonly result: unknown;
}
/** A step's attempt failed. With `retryAtMs` another attempt follows at that time; without it the step failed for good. */
export interface StepFailedEvent extends AnswerBase {
  readonly type: "step_failed";
  readonly name: string;
  readonly attempt: number;
  readonly error: ErrorInfo;
  readonly retryAtMs?: number | undefined;
}
/** A durable timer started and fires at `wakeAtMs`. */
export interface TimerStartedEvent extends EventBase {
  readonly type: "timer_started";
  readonly wakeAtMs: number;
}
/** The timer started by the preceding `timer_started` fired. */
export interface TimerFiredEvent extends AnswerBase {
  readonly type: "timer_fired";
}
/** The workflow began waiting for signal `name`, until `timeoutAtMs` if set. */
export interface SignalWaitStartedEvent extends EventBase {
  readonly type: "signal_wait_started";
  readonly name: string;
  readonly timeoutAtMs?: number | undefined;
}
/** The workflow consumed signal `signalId` with this payload. */
export interface SignalReceivedEvent extends AnswerBase {
  readonly type: "signal_received";
  readonly name: string;
  readonly signalId: string;
  readonly payload: unknown;
}
/** The wait for signal `name` reached its timeout first. */
export interface SignalTimedOutEvent extends AnswerBase {
  readonly type: "signal_timed_out";
  readonly name: string;
}
/** A group of parallel branches (`all`, `allSettled`, `race`) started; its branches' commands follow. */
export interface BranchesStartedEvent extends EventBase {
  readonly type: "branches_started";
  readonly combinator: Combinator;
  readonly count: number;
  /** The record form's keys, in order; absent for the array form. */
  readonly keys?: readonly string[] | undefined;
  /**
   * The `concurrency` bound, if any. It is part of the group's shape: it decides when later branches start, and
   * so the order in which their commands are yielded.
   */
  readonly concurrency?: number | undefined;
}
/** A step inside a group of branches began (its attempts run alongside other branches); its seq is the step's. */
export interface StepStartedEvent extends EventBase {
  readonly type: "step_started";
  readonly name: string;
}
/** A child run was created, in the same write as this event. */
export interface ChildStartedEvent extends EventBase {
  readonly type: "child_started";
  readonly childId: string;
  readonly workflow: string;
  /** True for `startChild()`: the workflow went on at once (it waits later, if at all, with `handle.result()`). */
  readonly detached?: boolean | undefined;
}
/** A child run could not be started (e.g. its id belongs to a run of another workflow); nothing was created. */
export interface ChildStartFailedEvent extends EventBase {
  readonly type: "child_start_failed";
  readonly childId: string;
  readonly workflow: string;
  readonly error: ErrorInfo;
}
/** The workflow began waiting for a child started earlier (`handle.result()`). */
export interface ChildWaitStartedEvent extends EventBase {
  readonly type: "child_wait_started";
  readonly childId: string;
}
/** A child run the workflow waits for completed with `result`. */
export interface ChildCompletedEvent extends AnswerBase {
  readonly type: "child_completed";
  readonly childId: string;
  readonly workflow: string;
  readonly result: unknown;
}
/** A child run the workflow waits for failed with `error`. */
export interface ChildFailedEvent extends AnswerBase {
  readonly type: "child_failed";
  readonly childId: string;
  readonly workflow: string;
  readonly error: ErrorInfo;
}
/** A child run the workflow waits for was cancelled. */
export interface ChildCancelledEvent extends AnswerBase {
  readonly type: "child_cancelled";
  readonly childId: string;
  readonly workflow: string;
  readonly reason?: string | undefined;
}
/**
 * `patched(id)` was reached by code that has the patch (`deprecated` absent), or `deprecatePatch(id)` was
 * (`deprecated: true`). Replay of code without any call for a deprecated patch skips this event.
 */
export interface PatchRecordedEvent extends EventBase {
  readonly type: "patch_recorded";
  readonly patchId: string;
  readonly deprecated?: boolean | undefined;
}
/** `setTags()` changed the run's tags: a string value set a key, `null` removed it. */
export interface TagsSetEvent extends EventBase {
  readonly type: "tags_set";
  readonly tags: Readonly<Record<string, string | null>>;
}
/** A value from `now()`, `random()` or `uuid()`. */
export interface ValueRecordedEvent extends EventBase {
  readonly type: "value_recorded";
  readonly source: RecordedValueSource;
  readonly value: unknown;
}
/** Cancellation was delivered to the workflow at this point (a CancelledError thrown at its `yield*`). */
export interface CancellationRequestedEvent extends EventBase {
  readonly type: "cancellation_requested";
  readonly reason?: string | undefined;
}
/** The workflow returned `result`. */
export interface RunCompletedEvent extends EventBase {
  readonly type: "run_completed";
  readonly result: unknown;
}
/** The workflow threw `error`. */
export interface RunFailedEvent extends EventBase {
  readonly type: "run_failed";
  readonly error: ErrorInfo;
}
/**
 * The run ended after a cancellation. `forced`: it was blocked and ended by `cancel(id, { force: true })` without
 * running its code (no compensation ran), so this event follows whatever its log held.
 */
export interface RunCancelledEvent extends EventBase {
  readonly type: "run_cancelled";
  readonly reason?: string | undefined;
  readonly forced?: boolean | undefined;
}

/**
 * Every fact a run's log can hold, as returned by `engine.history(runId)`.
 *
 * @example
 * for (const event of await engine.history(run.id)) console.log(event.seq, event.type);
 */
export type HistoryEvent =
  | RunStartedEvent
  | RunContinuedEvent
  | StepCompletedEvent
  | StepFailedEvent
  | TimerStartedEvent
  | TimerFiredEvent
  | SignalWaitStartedEvent
  | SignalReceivedEvent
  | SignalTimedOutEvent
  | ValueRecordedEvent
  | PatchRecordedEvent
  | TagsSetEvent
  | BranchesStartedEvent
  | StepStartedEvent
  | ChildStartedEvent
  | ChildStartFailedEvent
  | ChildWaitStartedEvent
  | ChildCompletedEvent
  | ChildFailedEvent
  | ChildCancelledEvent
  | CancellationRequestedEvent
  | RunCompletedEvent
  | RunFailedEvent
  | RunCancelledEvent;

/** The `type` of every event kind. */
export type EventType = HistoryEvent["type"];

/** An event before the log assigns it a place: what a writer supplies. */
export type NewEvent = HistoryEvent extends infer E
  ? E extends HistoryEvent
    ? Omit<E, "seq" | "atMs">
    : never
  : never;

/** An event as a store keeps it: the fields beyond seq/type/atMs are encoded in `data`. */
export interface EventRecord {
  readonly seq: number;
  readonly type: EventType;
  readonly atMs: number;
  readonly data: string;
}

/** Terminal event types: nothing follows them in a log. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<EventType> = new Set(["run_completed", "run_failed", "run_cancelled"]);

/** Encodes an event for the store; throws UnencodableValueError / PayloadTooLargeError naming `what`. */
export function encodeEvent(event: HistoryEvent, what: string, limitBytes: number): EventRecord {
  const { seq, type, atMs, ...fields } = event;
  // The event's fields are one level around the value: a value may still nest MAX_VALUE_DEPTH levels itself.
  return { seq, type, atMs, data: encodeDocument(fields, what, limitBytes, MAX_VALUE_DEPTH, 1) };
}

/** Decodes and validates a stored event; throws CorruptEventError if it is not one. */
export function decodeEvent(runId: string, record: EventRecord): HistoryEvent {
  let fields: unknown;
  try {
    fields = decodeValue(record.data);
  } catch (error) {
    throw new CorruptEventError(runId, record.seq, "its data is not a valid encoded document", { cause: error });
  }
  if (typeof fields !== "object" || fields === null) {
    throw new CorruptEventError(runId, record.seq, "its data is not an object");
  }
  const validate = (VALIDATORS as Partial<Record<string, (data: Record<string, unknown>) => boolean>>)[record.type];
  if (validate === undefined) throw new CorruptEventError(runId, record.seq, `unknown event type '${record.type}'`);
  const data = fields as Record<string, unknown>;
  if (data.path !== undefined && typeof data.path !== "string") {
    throw new CorruptEventError(runId, record.seq, "its branch path is not a string");
  }
  if (!validate(data)) throw new CorruptEventError(runId, record.seq, `a '${record.type}' event is missing fields`);
  if (record.type === "run_started" && (data.formatVersion as number) > EVENT_LOG_FORMAT_VERSION) {
    throw new CorruptEventError(
      runId,
      record.seq,
      `it was written in event format ${String(data.formatVersion)}, newer than this version of Reprise ` +
        `(${EVENT_LOG_FORMAT_VERSION}); upgrade @reprise/core`,
    );
  }
  // `data` was just parsed and belongs to nobody else: complete it in place instead of copying it.
  data.seq = record.seq;
  data.type = record.type;
  data.atMs = record.atMs;
  return data as unknown as HistoryEvent;
}

const isString = (value: unknown): value is string => typeof value === "string";
const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isOptional = (value: unknown, check: (v: unknown) => boolean): boolean => value === undefined || check(value);

/** A plain object of string values (and `null`s when `nullable`): a run's tags or changes to them. */
const isTagMap = (value: unknown, nullable: boolean): boolean =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  Object.values(value).every((v) => isString(v) || (nullable && v === null));
const isCommandSeq = (d: Record<string, unknown>): boolean => isOptional(d.commandSeq, isNumber);
const isChild = (d: Record<string, unknown>): boolean => isString(d.childId) && isString(d.workflow);

/** One validator per event kind: adding a kind to HistoryEvent fails to compile until it is listed here. */
const VALIDATORS: { [K in EventType]: (data: Record<string, unknown>) => boolean } = {
  run_started: (d) =>
    isString(d.workflow) && isNumber(d.formatVersion) && "input" in d && isOptional(d.tags, (t) => isTagMap(t, false)),
  run_continued: (d) => "input" in d,
  step_completed: (d) => isString(d.name) && isNumber(d.attempt) && "result" in d && isCommandSeq(d),
  step_failed: (d) =>
    isString(d.name) &&
    isNumber(d.attempt) &&
    isErrorInfo(d.error) &&
    isOptional(d.retryAtMs, isNumber) &&
    isCommandSeq(d),
  timer_started: (d) => isNumber(d.wakeAtMs),
  timer_fired: (d) => isCommandSeq(d),
  signal_wait_started: (d) => isString(d.name) && isOptional(d.timeoutAtMs, isNumber),
  signal_received: (d) => isString(d.name) && isString(d.signalId) && "payload" in d && isCommandSeq(d),
  signal_timed_out: (d) => isString(d.name) && isCommandSeq(d),
  value_recorded: (d) => (d.source === "now" || d.source === "random" || d.source === "uuid") && "value" in d,
  tags_set: (d) => isTagMap(d.tags, true),
  patch_recorded: (d) => isString(d.patchId) && isOptional(d.deprecated, (value) => typeof value === "boolean"),
  branches_started: (d) =>
    (d.combinator === "all" || d.combinator === "allSettled" || d.combinator === "race") &&
    isNumber(d.count) &&
    isOptional(d.keys, (keys) => Array.isArray(keys) && keys.every(isString)) &&
    isOptional(d.concurrency, isNumber),
  step_started: (d) => isString(d.name),
  child_started: (d) => isChild(d) && isOptional(d.detached, (value) => typeof value === "boolean"),
  child_start_failed: (d) => isChild(d) && isErrorInfo(d.error),
  child_wait_started: (d) => isString(d.childId),
  child_completed: (d) => isChild(d) && "result" in d && isCommandSeq(d),
  child_failed: (d) => isChild(d) && isErrorInfo(d.error) && isCommandSeq(d),
  child_cancelled: (d) => isChild(d) && isOptional(d.reason, isString) && isCommandSeq(d),
  cancellation_requested: (d) => isOptional(d.reason, isString),
  run_completed: (d) => "result" in d,
  run_failed: (d) => isErrorInfo(d.error),
  run_cancelled: (d) => isOptional(d.reason, isString) && isOptional(d.forced, (value) => typeof value === "boolean"),
};
