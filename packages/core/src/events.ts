// The event log's vocabulary: past-tense facts with a `type` discriminator, and their stored form.
// Every event is validated before it is written and after it is read; a new kind is a compile error until handled.
import { decodeValue, encodeDocument } from "./codec.js";
import type { RecordedValueSource } from "./commands.js";
import { isErrorInfo, type ErrorInfo } from "./error-codec.js";
import { CorruptEventError } from "./errors.js";
import { MAX_VALUE_DEPTH } from "./value-inspection.js";

export { fromErrorInfo, toErrorInfo, type ErrorInfo } from "./error-codec.js";

/** Version of the event format written into every `run_started` event; readers refuse newer ones. */
export const EVENT_LOG_FORMAT_VERSION = 1;

interface EventBase {
  /** Position in the run's log, from 1, without gaps. */
  readonly seq: number;
  /** Engine clock time when the event was recorded (epoch ms). */
  readonly atMs: number;
}

/** The run was created with this input. Always seq 1. */
export interface RunStartedEvent extends EventBase {
  readonly type: "run_started";
  readonly workflow: string;
  readonly input: unknown;
  readonly formatVersion: number;
}
/** A step's attempt succeeded; this is the step's recorded result. */
export interface StepCompletedEvent extends EventBase {
  readonly type: "step_completed";
  readonly name: string;
  readonly attempt: number;
  readonly result: unknown;
}
/** A step's attempt failed. With `retryAtMs` another attempt follows at that time; without it the step failed for good. */
export interface StepFailedEvent extends EventBase {
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
export interface TimerFiredEvent extends EventBase {
  readonly type: "timer_fired";
}
/** The workflow began waiting for signal `name`, until `timeoutAtMs` if set. */
export interface SignalWaitStartedEvent extends EventBase {
  readonly type: "signal_wait_started";
  readonly name: string;
  readonly timeoutAtMs?: number | undefined;
}
/** The workflow consumed signal `signalId` with this payload. */
export interface SignalReceivedEvent extends EventBase {
  readonly type: "signal_received";
  readonly name: string;
  readonly signalId: string;
  readonly payload: unknown;
}
/** The wait for signal `name` reached its timeout first. */
export interface SignalTimedOutEvent extends EventBase {
  readonly type: "signal_timed_out";
  readonly name: string;
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
/** The run ended after a cancellation. */
export interface RunCancelledEvent extends EventBase {
  readonly type: "run_cancelled";
  readonly reason?: string | undefined;
}

/**
 * Every fact a run's log can hold, as returned by `engine.history(runId)`.
 *
 * @example
 * for (const event of await engine.history(run.id)) console.log(event.seq, event.type);
 */
export type HistoryEvent =
  | RunStartedEvent
  | StepCompletedEvent
  | StepFailedEvent
  | TimerStartedEvent
  | TimerFiredEvent
  | SignalWaitStartedEvent
  | SignalReceivedEvent
  | SignalTimedOutEvent
  | ValueRecordedEvent
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

/** One validator per event kind: adding a kind to HistoryEvent fails to compile until it is listed here. */
const VALIDATORS: { [K in EventType]: (data: Record<string, unknown>) => boolean } = {
  run_started: (d) => isString(d.workflow) && isNumber(d.formatVersion) && "input" in d,
  step_completed: (d) => isString(d.name) && isNumber(d.attempt) && "result" in d,
  step_failed: (d) =>
    isString(d.name) && isNumber(d.attempt) && isErrorInfo(d.error) && isOptional(d.retryAtMs, isNumber),
  timer_started: (d) => isNumber(d.wakeAtMs),
  timer_fired: () => true,
  signal_wait_started: (d) => isString(d.name) && isOptional(d.timeoutAtMs, isNumber),
  signal_received: (d) => isString(d.name) && isString(d.signalId) && "payload" in d,
  signal_timed_out: (d) => isString(d.name),
  value_recorded: (d) => (d.source === "now" || d.source === "random" || d.source === "uuid") && "value" in d,
  cancellation_requested: (d) => isOptional(d.reason, isString),
  run_completed: (d) => "result" in d,
  run_failed: (d) => isErrorInfo(d.error),
  run_cancelled: (d) => isOptional(d.reason, isString),
};
