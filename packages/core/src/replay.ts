// Pure replay: feeds a run's events into its generator and says what the workflow waits for next.
// Never touches a store, a clock or I/O; live execution feeds new events through the same `apply`.
import { DateTime } from "luxon";
import {
  type AwaitSignalCommand,
  isCommand,
  type RecordValueCommand,
  type SleepCommand,
  type StepCommand,
  type Command,
} from "./commands.js";
import { CancelledError, CorruptEventError, NonDeterminismError, StepFailedError } from "./errors.js";
import { fromErrorInfo, type HistoryEvent } from "./events.js";
import type { WorkflowDefinition } from "./workflow.js";

/** A command the workflow is blocked on, with what history already recorded about it. */
export type PendingCommand =
  | { readonly kind: "step"; readonly seq: number; readonly command: StepCommand; attempt: number; retryAtMs?: number }
  | { readonly kind: "sleep"; readonly seq: number; readonly command: SleepCommand; wakeAtMs?: number }
  | {
      readonly kind: "signal";
      readonly seq: number;
      readonly command: AwaitSignalCommand;
      waitStarted: boolean;
      timeoutAtMs?: number;
    }
  | { readonly kind: "value"; readonly seq: number; readonly command: RecordValueCommand };

/** How a workflow's generator ended. */
export type RunOutcome =
  | { readonly status: "completed"; readonly result: unknown }
  | { readonly status: "failed"; readonly error: unknown }
  | { readonly status: "cancelled"; readonly reason: string | undefined };

/** Where replay stands: before `run_started`, blocked on a command, or finished. */
export type ReplayState =
  | { readonly type: "not_started" }
  | { readonly type: "waiting"; readonly pending: PendingCommand }
  | { readonly type: "finished"; readonly outcome: RunOutcome };

/** Names of the codec's errors: a return value refused with one of them ends the run `failed`. */
const UNSTORABLE_RESULT: ReadonlySet<string> = new Set(["UnencodableValueError", "PayloadTooLargeError"]);

type Resume = (generator: Generator<unknown, unknown, unknown>) => IteratorResult<unknown, unknown>;

/**
 * Drives one run's generator from its events. Apply every event in order (replayed or freshly
 * recorded); `state` then tells what the workflow needs next. `apply` throws NonDeterminismError
 * when the code and the history disagree, after which the replayer must be discarded.
 *
 * @example
 * const replayer = new Replayer("run-1", greet);
 * for (const event of history) replayer.apply(event);
 * console.log(replayer.state); // { type: "waiting", pending: { kind: "sleep", seq: 3, ... } }
 */
export class Replayer {
  readonly runId: string;
  readonly #definition: WorkflowDefinition<unknown, unknown>;
  #generator: Generator<unknown, unknown, unknown> | undefined;
  #state: ReplayState = { type: "not_started" };
  #lastSeq = 0;
  #cancelReason: { reason: string | undefined } | undefined;

  constructor(runId: string, definition: WorkflowDefinition<never, unknown>) {
    this.runId = runId;
    this.#definition = definition as WorkflowDefinition<unknown, unknown>;
  }

  get state(): ReplayState {
    return this.#state;
  }

  /** Seq of the last event applied (0 before any). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Whether a cancellation has been delivered to the workflow. */
  get cancellationDelivered(): boolean {
    return this.#cancelReason !== undefined;
  }

  /** Applies the next event of the log. */
  apply(event: HistoryEvent): void {
    if (event.seq !== this.#lastSeq + 1) {
      throw new CorruptEventError(this.runId, event.seq, `expected seq ${this.#lastSeq + 1}; the log has a gap`);
    }
    this.#lastSeq = event.seq;
    const state = this.#state;
    if (state.type === "not_started") return this.#start(event);
    if (state.type === "finished") return this.#checkTerminal(event, state.outcome);
    if (event.type === "cancellation_requested") {
      this.#cancelReason = { reason: event.reason };
      return this.#advance((g) => g.throw(new CancelledError(event.reason)));
    }
    this.#applyToPending(state.pending, event);
  }

  #start(event: HistoryEvent): void {
    if (event.type !== "run_started") {
      throw new CorruptEventError(
        this.runId,
        event.seq,
        `the log starts with '${event.type}' instead of 'run_started'`,
      );
    }
    if (event.workflow !== this.#definition.name) {
      throw new CorruptEventError(
        this.runId,
        event.seq,
        `the run belongs to workflow '${event.workflow}' but is replayed with '${this.#definition.name}'`,
      );
    }
    this.#advance(() => {
      this.#generator = this.#definition.fn(event.input) as Generator<unknown, unknown, unknown>;
      return this.#generator.next();
    });
  }

  #checkTerminal(event: HistoryEvent, outcome: RunOutcome): void {
    if (event.type === `run_${outcome.status}`) return;
    // A workflow that returned a value the codec refuses ends failed, not completed: RunExecution records
    // run_failed with the codec's error. Replay of that log returns the same value, so the two agree.
    if (outcome.status === "completed" && event.type === "run_failed" && UNSTORABLE_RESULT.has(event.error.name)) {
      this.#state = { type: "finished", outcome: { status: "failed", error: fromErrorInfo(event.error) } };
      return;
    }
    throw this.#divergence(event, `the end of the workflow (run ${outcome.status})`);
  }

  #applyToPending(pending: PendingCommand, event: HistoryEvent): void {
    switch (pending.kind) {
      case "step":
        if (event.type === "step_completed" && event.name === pending.command.name) {
          return this.#advance((g) => g.next(event.result));
        }
        if (event.type === "step_failed" && event.name === pending.command.name) {
          if (event.retryAtMs !== undefined) {
            pending.attempt = event.attempt + 1;
            pending.retryAtMs = event.retryAtMs;
            return;
          }
          const failure = new StepFailedError(event.name, event.attempt, fromErrorInfo(event.error));
          return this.#advance((g) => g.throw(failure));
        }
        break;
      case "sleep":
        if (event.type === "timer_started" && pending.wakeAtMs === undefined) {
          pending.wakeAtMs = event.wakeAtMs;
          return;
        }
        if (event.type === "timer_fired" && pending.wakeAtMs !== undefined) return this.#advance((g) => g.next());
        break;
      case "signal": {
        const sameName = "name" in event && event.name === pending.command.name;
        if (event.type === "signal_wait_started" && sameName && !pending.waitStarted) {
          pending.waitStarted = true;
          pending.timeoutAtMs = event.timeoutAtMs;
          return;
        }
        if (event.type === "signal_received" && sameName) return this.#advance((g) => g.next(event.payload));
        if (event.type === "signal_timed_out" && sameName && pending.waitStarted) {
          return this.#advance((g) => g.next(undefined));
        }
        break;
      }
      case "value":
        if (event.type === "value_recorded" && event.source === pending.command.source) {
          const value =
            event.source === "now" ? DateTime.fromMillis(event.value as number, { zone: "utc" }) : event.value;
          return this.#advance((g) => g.next(value));
        }
        break;
    }
    throw this.#divergence(event, describeCommand(pending.command));
  }

  /** Resumes the generator and records where it stopped: at a new command, or finished. */
  #advance(resume: Resume): void {
    let result: IteratorResult<unknown, unknown>;
    try {
      result = resume(this.#generator as Generator<unknown, unknown, unknown>);
    } catch (error) {
      this.#finish(this.#cancelReason ? { status: "cancelled", ...this.#cancelReason } : { status: "failed", error });
      return;
    }
    if (result.done === true) {
      const outcome: RunOutcome = this.#cancelReason
        ? { status: "cancelled", ...this.#cancelReason }
        : { status: "completed", result: result.value };
      this.#finish(outcome);
      return;
    }
    if (!isCommand(result.value)) {
      const error = new TypeError(
        `Workflow '${this.#definition.name}' yielded ${describeValue(result.value)}, which is not a Reprise command. ` +
          `Yield commands only: \`yield* step(...)\`, \`yield* sleep(...)\`, \`yield* awaitSignal(...)\`.`,
      );
      this.#finish(this.#cancelReason ? { status: "cancelled", ...this.#cancelReason } : { status: "failed", error });
      return;
    }
    this.#state = { type: "waiting", pending: toPending(result.value, this.#lastSeq + 1) };
  }

  #finish(outcome: RunOutcome): void {
    this.#state = { type: "finished", outcome };
    this.#generator = undefined;
  }

  #divergence(event: HistoryEvent, actual: string): NonDeterminismError {
    return new NonDeterminismError({ runId: this.runId, seq: event.seq, expected: describeEvent(event), actual });
  }
}

function toPending(command: Command, seq: number): PendingCommand {
  // By kind, never instanceof: the command may come from another copy of @reprise/core (see isCommand).
  switch (command.kind) {
    case "step":
      return { kind: "step", seq, command, attempt: 1 };
    case "sleep":
      return { kind: "sleep", seq, command };
    case "signal":
      return { kind: "signal", seq, command, waitStarted: false };
    case "value":
      return { kind: "value", seq, command };
  }
}

/** Names a command the way a workflow author wrote it. */
export function describeCommand(command: Command): string {
  switch (command.kind) {
    case "step":
      return `step '${command.name}'`;
    case "sleep":
      return command.durationMs === undefined ? "sleepUntil()" : "sleep()";
    case "signal":
      return `awaitSignal '${command.name}'`;
    case "value":
      return `${command.source}()`;
  }
}

/** Names an event as `type 'name'`, e.g. "step_completed 'charge'". */
export function describeEvent(event: HistoryEvent): string {
  if ("name" in event) return `${event.type} '${event.name}'`;
  if (event.type === "value_recorded") return `${event.type} (${event.source}())`;
  return event.type;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return `a ${typeof value}`;
}
