// The commands a workflow yields: plain data plus an iterator so `yield*` returns the typed result.
// Commands never execute anything themselves; the engine decides, records and answers them.
import type { DateTime } from "luxon";
import { deadlineToMs, durationToMs, type DeadlineInput, type DurationInput } from "./duration.js";
import type { BranchesCommand } from "./branches.js";
import type { ChildCommand, ChildResultCommand } from "./children.js";
import { CommandBase } from "./command-base.js";
import type { PatchCommand } from "./patches.js";
import type { ContinueAsNewCommand } from "./continue-as-new.js";
import type { SetTagsCommand } from "./tags.js";
import { InvalidArgumentError } from "./errors.js";
import { textProblem } from "./text-checks.js";
import type { RetryPolicy } from "./retry.js";

/** What a step function receives. */
export interface StepContext {
  /** The run this step belongs to. */
  readonly runId: string;
  /** The step's sequence number in the run's history (stable across replays), in the run's current generation. */
  readonly seq: number;
  /** The run's generation (1, plus one per `continueAsNew`): with `seq`, the step's identity. */
  readonly generation: number;
  /** 1 on the first try, 2 on the first retry, and so on. */
  readonly attempt: number;
  /**
   * Stable across retries and recoveries of this step, different for every other step and run:
   * pass it to payment gateways and other APIs that de-duplicate requests. `runId:seq` in a run's first
   * generation, `runId:generation-seq` after a `continueAsNew` (e.g. `agent-7:3-12`).
   */
  readonly idempotencyKey: string;
  /** Fires when the run is cancelled or the engine shuts down while the step runs. */
  readonly signal: AbortSignal;
}

/** Options of `step()`. */
export interface StepOptions {
  /** How failed attempts are retried; unset fields fall back to the engine's `retry` defaults. */
  readonly retry?: Partial<RetryPolicy>;
}

/** Options of `awaitSignal()`. */
export interface AwaitSignalOptions {
  /** Give up waiting after this long; the wait then resolves to `undefined`. */
  readonly timeout?: DurationInput;
}

/** A side effect that runs at least once and is recorded exactly once. Created by `step()`. */
export class StepCommand<T = unknown> extends CommandBase<T> {
  readonly kind = "step";
  constructor(
    readonly name: string,
    readonly fn: (ctx: StepContext) => T | Promise<T>,
    readonly options: StepOptions,
  ) {
    super();
  }
}

/** A durable timer. Created by `sleep()` (relative) or `sleepUntil()` (absolute). */
export class SleepCommand extends CommandBase<void> {
  readonly kind = "sleep";
  constructor(
    /** Set for `sleep()`: the deadline is `now + durationMs`, computed once and recorded. */
    readonly durationMs: number | undefined,
    /** Set for `sleepUntil()`: the absolute deadline. */
    readonly deadlineMs: number | undefined,
  ) {
    super();
  }
}

/** A wait for an external signal, optionally bounded by a timeout. Created by `awaitSignal()`. */
export class AwaitSignalCommand<T = unknown> extends CommandBase<T> {
  readonly kind = "signal";
  constructor(
    readonly name: string,
    readonly timeoutMs: number | undefined,
  ) {
    super();
  }
}

/** Sources of non-deterministic values that are recorded once and replayed. */
export type RecordedValueSource = "now" | "random" | "uuid";

/** A value recorded on first execution and replayed identically. Created by `now()`, `random()`, `uuid()`. */
export class RecordValueCommand<T = unknown> extends CommandBase<T> {
  readonly kind = "value";
  constructor(readonly source: RecordedValueSource) {
    super();
  }
}

/** Every command a workflow can yield. */
export type Command =
  | StepCommand
  | SleepCommand
  | AwaitSignalCommand
  | RecordValueCommand
  | PatchCommand<unknown>
  | BranchesCommand
  | ChildCommand
  | ChildResultCommand
  | ContinueAsNewCommand
  | SetTagsCommand;

/** The commands that answer one thing (not a group of branches). */
export type LeafCommand = Exclude<Command, BranchesCommand>;

/**
 * Runs `fn` as a durable step: its result is recorded, and on replay the recorded result is returned
 * without running `fn` again. `fn` may be sync or async; failures are retried per `options.retry`.
 *
 * @example
 * const receipt = yield* step("charge", (ctx) => gateway.charge(order, { idempotencyKey: ctx.idempotencyKey }), {
 *   retry: { maxAttempts: 5, initialInterval: { seconds: 1 } },
 * });
 */
export function step<T>(
  name: string,
  fn: (ctx: StepContext) => T | Promise<T>,
  options: StepOptions = {},
): StepCommand<Awaited<T>> {
  assertName(name, "step");
  if (typeof fn !== "function")
    throw new InvalidArgumentError(`step('${name}') needs a function as its second argument.`);
  return new StepCommand<Awaited<T>>(name, fn as (ctx: StepContext) => Awaited<T>, options);
}

/**
 * Sleeps durably: the deadline is computed once from the engine's clock and recorded, survives
 * restarts, and may be months away. Zero or negative durations fire at once.
 *
 * @example
 * yield* sleep({ days: 3 });
 * yield* sleep(500);
 */
export function sleep(duration: DurationInput): SleepCommand {
  return new SleepCommand(durationToMs(duration, "sleep()"), undefined);
}

/**
 * Sleeps durably until an absolute time. A time in the past fires at once.
 *
 * @example
 * yield* sleepUntil((yield* now()).plus({ days: 1 }).startOf("day")); // now() is recorded, so replay agrees
 * yield* sleepUntil("2030-01-01T09:00:00Z");
 */
export function sleepUntil(deadline: DeadlineInput): SleepCommand {
  return new SleepCommand(undefined, deadlineToMs(deadline, "sleepUntil()"));
}

/**
 * Waits for a signal sent with `engine.signal(runId, name, payload)`. Signals are buffered, so one
 * sent before the wait is not lost; each is consumed once, first in first out per name. With a
 * `timeout`, resolves to `undefined` if the deadline passes first.
 *
 * @example
 * const approval = yield* awaitSignal<{ by: string }>("approved", { timeout: { days: 2 } });
 * if (approval === undefined) return "expired";
 */
export function awaitSignal<T>(name: string): AwaitSignalCommand<T>;
export function awaitSignal<T>(name: string, options: { timeout: DurationInput }): AwaitSignalCommand<T | undefined>;
export function awaitSignal<T>(name: string, options?: AwaitSignalOptions): AwaitSignalCommand<T | undefined>;
export function awaitSignal<T>(name: string, options: AwaitSignalOptions = {}): AwaitSignalCommand<T | undefined> {
  assertName(name, "awaitSignal");
  const timeoutMs = options.timeout === undefined ? undefined : durationToMs(options.timeout, "awaitSignal() timeout");
  return new AwaitSignalCommand<T | undefined>(name, timeoutMs);
}

/**
 * The current time as a luxon `DateTime` in UTC, recorded so replay sees the same instant.
 *
 * @example
 * const placedAt = yield* now();
 */
export function now(): RecordValueCommand<DateTime> {
  return new RecordValueCommand<DateTime>("now");
}

/**
 * A random number in [0, 1), recorded so replay sees the same number.
 *
 * @example
 * if ((yield* random()) < 0.1) yield* step("sample-for-audit", audit);
 */
export function random(): RecordValueCommand<number> {
  return new RecordValueCommand<number>("random");
}

/**
 * A random UUID (v4), recorded so replay sees the same id.
 *
 * @example
 * const orderId = yield* uuid();
 */
export function uuid(): RecordValueCommand<string> {
  return new RecordValueCommand<string>("uuid");
}

export { isCommand } from "./command-base.js";

/** Longest step or signal name accepted; names are stored with every event and shown in tools. */
export const MAX_NAME_LENGTH = 200;

function assertName(name: unknown, command: string): asserts name is string {
  const problem = textProblem(name, MAX_NAME_LENGTH);
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      `${command}() needs a name: a non-empty string of at most ${MAX_NAME_LENGTH} characters; ` +
        `this one ${problem} (got ${JSON.stringify(name)}).`,
    );
  }
}
