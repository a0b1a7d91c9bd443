// Recorded histories: save a run's event log as a JSON document and replay it against (new) workflow code.
// Replay runs the workflow's code with the exported Replayer and never calls a step function or touches a store.
import {
  InvalidArgumentError,
  RepriseError,
  RunNotFoundError,
  type EventRecord,
  type EventType,
  type HistoryEvent,
  type WorkflowDefinition,
} from "@reprise/core";
import {
  decodeEvent,
  encodeEvent,
  Replayer,
  type NextCommand,
  type OpenCommand,
  type RunOutcome,
} from "@reprise/core/internal";

/**
 * The first thing a replayed workflow waits for: the oldest open command, or else the command whose first event
 * comes next (`waitStarted: false`, e.g. a signal wait not yet recorded). `path` is its branch path ("" outside
 * parallel branches).
 *
 * @example
 * expect(state).toMatchObject({ type: "waiting", pending: { kind: "signal", seq: 8, waitStarted: true } });
 */
export type PendingCommand =
  | (OpenCommand & { readonly waitStarted: true })
  | (NextCommand & { readonly kind: string; readonly waitStarted: false });

/**
 * Where a replayed history leaves the workflow: before its start, finished with its outcome, or waiting, with
 * the first thing it waits for (`pending`), every open command (`open`, oldest first) and the command whose
 * first event would come next (`next`), if any.
 *
 * @example
 * const state = replayHistory(order, history);
 * if (state.type === "waiting") console.log(state.pending.kind, state.open.length);
 */
export type ReplayedState =
  | { readonly type: "not_started" }
  | { readonly type: "finished"; readonly outcome: RunOutcome }
  | {
      readonly type: "waiting";
      readonly pending: PendingCommand;
      readonly open: readonly OpenCommand[];
      readonly next: NextCommand | undefined;
    };

/**
 * `format` of every recorded history document.
 *
 * @example
 * const isHistory = (doc: { format?: unknown }) => doc.format === HISTORY_FORMAT;
 */
export const HISTORY_FORMAT = "reprise-history";
/**
 * Version of the recorded history document layout (not of the events inside; see `formatVersion`).
 *
 * @example
 * expect((await recordHistory(engine, id)).version).toBe(HISTORY_FORMAT_VERSION);
 */
export const HISTORY_FORMAT_VERSION = 1;

/**
 * One event as the store keeps it. `data` holds the event's fields (everything but seq, type and atMs)
 * in the stored encoding: a superjson document `{ json, meta? }`, where `json` is readable JSON and
 * `meta` says which values to restore as Date, BigInt, Map, Set, undefined, ...
 *
 * @example
 * const event: RecordedEvent = { seq: 2, type: "step_completed", atMs: 0, data: { json: { name: "a", attempt: 1, result: 1 } } };
 */
export interface RecordedEvent {
  readonly seq: number;
  readonly type: EventType;
  readonly atMs: number;
  readonly data: unknown;
}

/**
 * A run's history as a JSON document, written by `recordHistory` and read by `replayHistory`.
 *
 * @example
 * {
 *   "format": "reprise-history", "version": 1, "workflow": "order", "runId": "order-1001",
 *   "events": [{ "seq": 1, "type": "run_started", "atMs": 1893456000000, "data": { "json": { ... } } }]
 * }
 */
export interface RecordedHistory {
  readonly format: typeof HISTORY_FORMAT;
  readonly version: typeof HISTORY_FORMAT_VERSION;
  readonly workflow: string;
  readonly runId: string;
  readonly events: readonly RecordedEvent[];
}

/**
 * Where `recordHistory` reads a run: an engine (or test engine), or a store.
 *
 * @example
 * const sources: HistorySource[] = [engine, store];
 */
export type HistorySource =
  | {
      history(runId: string): Promise<HistoryEvent[]>;
      getRun(runId: string): Promise<{ readonly workflow: string } | undefined>;
    }
  | {
      readEvents(runId: string, afterSeq?: number): Promise<EventRecord[]>;
      getRun(runId: string): Promise<{ readonly workflow: string } | undefined>;
    };

/**
 * A recorded history document is malformed: not JSON, not a Reprise history, from a newer version, or
 * with an event that cannot be decoded.
 *
 * @example
 * expect(() => replayHistory(order, "{}")).toThrow(HistoryFormatError);
 */
export class HistoryFormatError extends RepriseError {
  constructor(problem: string, options?: { cause?: unknown }) {
    super(
      "INVALID_HISTORY",
      `This is not a usable recorded history: ${problem}. Record histories with recordHistory(engine, runId) ` +
        `and save them with JSON.stringify(history, null, 2); do not edit them by hand.`,
      options,
    );
  }
}

/**
 * Reads a run's history from an engine or a store as a JSON-ready document. Save it
 * (`JSON.stringify(history, null, 2)`) next to your tests and replay it with `replayHistory` to check that
 * changed workflow code can still continue runs like it. Throws RunNotFoundError for an unknown run.
 *
 * Error stacks in `step_failed` and `run_failed` events are left out unless `keepStacks` is set: they hold
 * absolute paths and line numbers of the recording machine, replay never needs them, and without them a
 * re-recorded file only changes when the history does.
 *
 * @example
 * const history = await recordHistory(engine, "order-1001");
 * writeFileSync("test/histories/order-1001.json", `${JSON.stringify(history, null, 2)}\n`);
 */
export async function recordHistory(
  source: HistorySource,
  runId: string,
  options: { keepStacks?: boolean } = {},
): Promise<RecordedHistory> {
  const run = await source.getRun(runId);
  if (run === undefined) throw new RunNotFoundError(runId);
  const records =
    "readEvents" in source
      ? await source.readEvents(runId)
      : (await source.history(runId)).map((event) => encodeEvent(event, "A recorded event", Number.MAX_SAFE_INTEGER));
  return {
    format: HISTORY_FORMAT,
    version: HISTORY_FORMAT_VERSION,
    workflow: run.workflow,
    runId,
    events: records.map((record) => ({
      seq: record.seq,
      type: record.type,
      atMs: record.atMs,
      data: options.keepStacks === true ? (JSON.parse(record.data) as unknown) : withoutStack(record.data),
    })),
  };
}

/**
 * Decodes a recorded history (the document, or its JSON text) into the events `engine.history()` returns.
 * Throws HistoryFormatError if the document or one of its events is malformed.
 *
 * @example
 * const events = decodeHistory(readFileSync("test/histories/order-1001.json", "utf8"));
 * expect(events.filter((e) => e.type === "step_failed")).toHaveLength(2);
 */
export function decodeHistory(history: RecordedHistory | string): HistoryEvent[] {
  const document = parseDocument(history);
  return document.events.map((event, index) => {
    if (typeof event !== "object" || event === null) throw new HistoryFormatError(`events[${index}] is not an object`);
    const { seq, type, atMs, data } = event as Partial<RecordedEvent>;
    if (!Number.isSafeInteger(seq) || typeof type !== "string" || typeof atMs !== "number" || data === undefined) {
      throw new HistoryFormatError(`events[${index}] needs seq (an integer), type, atMs and data`);
    }
    const record = { seq: seq as number, type, atMs, data: typeof data === "string" ? data : JSON.stringify(data) };
    try {
      return decodeEvent(document.runId, record);
    } catch (error) {
      throw new HistoryFormatError(`events[${index}] (seq ${String(seq)}) cannot be decoded`, { cause: error });
    }
  });
}

/**
 * Replays a recorded history against workflow code, exactly as an engine does when it resumes a run,
 * without calling any step function. Returns where the workflow stands at the end of the history
 * (`finished` with its outcome, or `waiting` on its next command). Throws `NonDeterminismError` when the
 * code yields something other than what the history recorded, `CorruptEventError` for a history with
 * gaps, and `HistoryFormatError` for a malformed document. `options.runId` names the run in errors
 * (default: the document's `runId`, or "replayed-run" for an array of events).
 *
 * @example
 * import { readFileSync } from "node:fs";
 * it("order v2 still replays runs recorded with v1", () => {
 *   const state = replayHistory(order, readFileSync("test/histories/order-1001.json", "utf8"));
 *   expect(state).toMatchObject({ type: "finished", outcome: { status: "completed" } });
 * });
 */
export function replayHistory(
  workflow: WorkflowDefinition<never, unknown>,
  history: readonly HistoryEvent[] | RecordedHistory | string,
  options: { runId?: string } = {},
): ReplayedState {
  let runId = options.runId ?? "replayed-run";
  let events: readonly HistoryEvent[];
  if (Array.isArray(history)) {
    events = history as readonly HistoryEvent[];
  } else {
    const document = parseDocument(history as RecordedHistory | string);
    if (document.workflow !== workflow.name) {
      throw new InvalidArgumentError(
        `This history was recorded from workflow '${document.workflow}' but is replayed with workflow ` +
          `'${workflow.name}'. Pass the definition registered under '${document.workflow}'.`,
      );
    }
    runId = options.runId ?? document.runId;
    events = decodeHistory(document);
  }
  if (events.length === 0) throw new HistoryFormatError("it has no events (a run always starts with run_started)");
  const replayer = new Replayer(runId, workflow);
  for (const event of events) replayer.apply(event);
  const state = replayer.state;
  if (state.type !== "waiting") return state;
  const open = [...replayer.open.values()];
  const next = replayer.next;
  const first = open[0];
  const pending: PendingCommand =
    first !== undefined
      ? { ...first, waitStarted: true }
      : { ...(next as NextCommand), kind: (next as NextCommand).command.kind, waitStarted: false };
  return { type: "waiting", pending, open, next };
}

/** The stored event data with `json.error.stack` removed (errors are stored as { name, message, stack? }). */
function withoutStack(data: string): unknown {
  const document = JSON.parse(data) as { json?: { error?: { stack?: unknown } } };
  if (typeof document.json?.error === "object" && document.json.error !== null) delete document.json.error.stack;
  return document;
}

function parseDocument(history: RecordedHistory | string): RecordedHistory {
  let document: unknown = history;
  if (typeof history === "string") {
    try {
      document = JSON.parse(history);
    } catch (error) {
      throw new HistoryFormatError("the text is not JSON", { cause: error });
    }
  }
  if (typeof document !== "object" || document === null) throw new HistoryFormatError("it is not an object");
  const { format, version, workflow, runId, events } = document as Partial<RecordedHistory>;
  if (format !== HISTORY_FORMAT) throw new HistoryFormatError(`"format" is not "${HISTORY_FORMAT}"`);
  if (typeof version !== "number" || version > HISTORY_FORMAT_VERSION) {
    throw new HistoryFormatError(
      `it has version ${String(version)}, and this @reprise/testing reads up to ${HISTORY_FORMAT_VERSION}; upgrade it`,
    );
  }
  if (typeof workflow !== "string" || typeof runId !== "string" || !Array.isArray(events)) {
    throw new HistoryFormatError('it needs "workflow", "runId" and an "events" array');
  }
  return document as RecordedHistory;
}
