// The user-facing shape of queues: `createEngine({ queues })` and the queue/key/priority/startAt/delay options of
// start, startMany and child runs, validated into the plain data of the Store contract. Writes nothing.
import { deadlineToMs, durationToMs, type DeadlineInput, type DurationInput } from "./duration.js";
import { InvalidArgumentError, InvalidDurationError } from "./errors.js";
import type { NewRun, QueueLimits, RateLimit } from "./store.js";
import { textProblem } from "./text-checks.js";

/** Longest queue name or queue key, in UTF-16 code units. */
export const MAX_QUEUE_NAME_LENGTH = 200;
/** Longest rate-limit period: one day. Starts are kept in the store for one period, so the bound bounds them. */
export const MAX_RATE_PERIOD_MS = 24 * 3600_000;
/** Priorities are integers in [-MAX_PRIORITY, MAX_PRIORITY]; lower runs first, default 0. */
export const MAX_PRIORITY = 1_000_000;
/** The priority of a run started without one. */
export const DEFAULT_PRIORITY = 0;

/**
 * A rate limit as users write it: at most `limit` execution starts per `period` (a sliding window).
 *
 * @example
 * const rate: RateLimitOptions = { limit: 100, period: { minutes: 1 } };
 */
export interface RateLimitOptions {
  readonly limit: number;
  /** Milliseconds, `{ minutes: 1 }`, a luxon Duration or an ISO-8601 duration ("PT1M"); at most one day. */
  readonly period: DurationInput;
}

/**
 * Flow control of one queue (`createEngine({ queues: { name: QueueOptions } })`). Limits hold across every engine
 * on the store; a run counts against concurrency only while it executes (sleeping, waiting and blocked runs hold
 * no slot). Every field is optional: a queue without limits still orders its runs by priority.
 *
 * @example
 * const queues = { email: { concurrency: 20, rateLimit: { limit: 100, period: { minutes: 1 } } },
 *                  imports: { concurrency: 50, perKeyConcurrency: 2 } };
 */
export interface QueueOptions {
  /** Most runs of the queue executing at once, across every engine on the store. */
  readonly concurrency?: number;
  /** Most runs with the same `key` executing at once. */
  readonly perKeyConcurrency?: number;
  /** Most execution starts of the queue per period. */
  readonly rateLimit?: RateLimitOptions;
  /** Most execution starts per period for each `key`. */
  readonly perKeyRateLimit?: RateLimitOptions;
}

/**
 * Where and when a new run goes: its queue, key and priority, and a delayed start. Part of StartOptions, of
 * startMany items and of child run options.
 *
 * @example
 * await engine.start(importJob, input, { queue: "imports", key: customerId, priority: 10, startAt: "2026-12-02T03:00:00Z" });
 */
export interface QueueStartOptions {
  /** The queue the run belongs to (see QueueOptions). Default: none (claimed by due time, no limits). */
  readonly queue?: string | undefined;
  /** The run's key within its queue, for per-key limits (e.g. a customer id). Needs `queue`. */
  readonly key?: string | undefined;
  /** Orders the queue's due runs: lower first (1 before 10); default 0; an integer within ±1,000,000. Needs `queue`. */
  readonly priority?: number | undefined;
  /** Start no earlier than this: an ISO-8601 timestamp, a Date, a luxon DateTime or epoch milliseconds. */
  readonly startAt?: DeadlineInput | number | undefined;
  /** Start no earlier than this long from now (milliseconds, `{ minutes: 5 }`, "PT5M"). Not with `startAt`. */
  readonly delay?: DurationInput | undefined;
}

/** The fields of NewRun that QueueStartOptions decide. */
export type RunPlacement = Pick<NewRun, "queue" | "queueKey" | "priority" | "dueAtMs">;

/**
 * Validates `createEngine({ queues })` into the limits claims pass to the store (periods in milliseconds).
 *
 * @example
 * resolveQueueOptions({ email: { concurrency: 20 } }); // { email: { concurrency: 20 } }
 */
export function resolveQueueOptions(queues: unknown): Readonly<Record<string, QueueLimits>> {
  if (queues === undefined) return Object.freeze({});
  if (typeof queues !== "object" || queues === null || Array.isArray(queues)) {
    throw new InvalidArgumentError(
      `createEngine({ queues }) takes an object of queue names to options, e.g. { email: { concurrency: 20 } }.`,
    );
  }
  const resolved: Record<string, QueueLimits> = {};
  for (const [name, options] of Object.entries(queues as Record<string, unknown>)) {
    assertQueueName(name, `createEngine({ queues }) has a queue name that`);
    resolved[name] = Object.freeze(resolveQueue(name, options));
  }
  return Object.freeze(resolved);
}

const QUEUE_OPTION_NAMES: ReadonlySet<string> = new Set([
  "concurrency",
  "perKeyConcurrency",
  "rateLimit",
  "perKeyRateLimit",
]);

function resolveQueue(name: string, options: unknown): QueueLimits {
  const where = `createEngine({ queues: { ${JSON.stringify(name)}: ... } })`;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `${where} takes an object such as { concurrency: 20 } (got ${JSON.stringify(options) ?? typeof options}).`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!QUEUE_OPTION_NAMES.has(key)) {
      throw new InvalidArgumentError(
        `${where} has no option '${key}'; the options are ${[...QUEUE_OPTION_NAMES].join(", ")}.`,
      );
    }
  }
  const given = options as QueueOptions;
  return {
    concurrency: limitNumber(`${where}: concurrency`, given.concurrency),
    perKeyConcurrency: limitNumber(`${where}: perKeyConcurrency`, given.perKeyConcurrency),
    rateLimit: rateLimit(`${where}: rateLimit`, given.rateLimit),
    perKeyRateLimit: rateLimit(`${where}: perKeyRateLimit`, given.perKeyRateLimit),
  };
}

function limitNumber(what: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(
      `${what} must be a positive integer (got ${JSON.stringify(value) ?? typeof value}).`,
    );
  }
  return value;
}

function rateLimit(what: string, value: unknown): RateLimit | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || !("limit" in value) || !("period" in value)) {
    throw new InvalidArgumentError(`${what} takes { limit, period }, e.g. { limit: 100, period: { minutes: 1 } }.`);
  }
  const { limit, period } = value as RateLimitOptions;
  const periodMs = durationToMs(period, `${what}.period`);
  if (!Number.isSafeInteger(periodMs) || periodMs < 1 || periodMs > MAX_RATE_PERIOD_MS) {
    throw new InvalidArgumentError(
      `${what}.period must be a whole number of milliseconds from 1 ms to one day (got ${String(periodMs)} ms).`,
    );
  }
  return { limit: limitNumber(`${what}.limit`, limit) as number, periodMs };
}

function assertQueueName(value: unknown, what: string): asserts value is string {
  const problem = textProblem(value, MAX_QUEUE_NAME_LENGTH);
  if (problem !== undefined) throw new InvalidArgumentError(`${what} ${problem} (got ${JSON.stringify(value)}).`);
}

/**
 * The queue fields of a new run from its start options, checked: `key` and `priority` need `queue`, `startAt` and
 * `delay` exclude each other, a delay is ≥ 0. A start time in the past means "due now".
 *
 * @example
 * runPlacement({ queue: "imports", key: "c-7", delay: { minutes: 5 } }, nowMs, "start()");
 */
export function runPlacement(options: QueueStartOptions, nowMs: number, api: string): RunPlacement {
  const { queue, key, priority, startAt, delay } = options;
  if (queue !== undefined) assertQueueName(queue, `${api} { queue }`);
  if (key !== undefined) {
    assertQueueName(key, `${api} { key }`);
    if (queue === undefined) {
      throw new InvalidArgumentError(`${api} { key } is a key within a queue: pass { queue } too.`);
    }
  }
  if (priority !== undefined) {
    assertPriority(priority, `${api} { priority }`);
    if (queue === undefined) {
      throw new InvalidArgumentError(`${api} { priority } orders the runs of a queue: pass { queue } too.`);
    }
  }
  if (startAt !== undefined && delay !== undefined) {
    throw new InvalidArgumentError(`${api} takes { startAt } or { delay }, not both.`);
  }
  let dueAtMs: number | undefined;
  if (startAt !== undefined) {
    dueAtMs =
      typeof startAt === "number"
        ? epochMs(startAt, `${api} { startAt }`)
        : deadlineToMs(startAt, `${api} { startAt }`);
  } else if (delay !== undefined) {
    const delayMs = durationToMs(delay, `${api} { delay }`);
    if (delayMs < 0) throw new InvalidArgumentError(`${api} { delay } must not be negative (got ${delayMs} ms).`);
    dueAtMs = nowMs + Math.ceil(delayMs);
  }
  return {
    queue,
    queueKey: key,
    priority,
    dueAtMs: dueAtMs === undefined || dueAtMs <= nowMs ? undefined : Math.ceil(dueAtMs),
  };
}

function epochMs(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new InvalidDurationError(what, value, "not finite epoch milliseconds");
  return value;
}

/**
 * Throws InvalidArgumentError unless `priority` is an integer within ±MAX_PRIORITY.
 *
 * @example
 * assertPriority(10, "setPriority()"); // passes
 */
export function assertPriority(priority: unknown, what: string): asserts priority is number {
  if (typeof priority !== "number" || !Number.isSafeInteger(priority) || Math.abs(priority) > MAX_PRIORITY) {
    throw new InvalidArgumentError(
      `${what} must be an integer from -${MAX_PRIORITY} to ${MAX_PRIORITY}; lower runs first (got ${String(priority)}).`,
    );
  }
}
