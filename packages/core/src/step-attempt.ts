// One attempt of a step function: its context (seq, idempotency key, abort signal) and its outcome as data.
// Never records anything: RunExecution decides what the outcome means for the log.
import { randomUUID } from "node:crypto";
import type { StepCommand, StepContext } from "./commands.js";
import { LazyAbortController } from "./lazy-abort.js";
import { resolveRetryPolicy, type ResolvedRetryPolicy, type RetryPolicy } from "./retry.js";

/** How an attempt ended: the step function's value, or what it threw. */
export type AttemptOutcome =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** A step attempt in flight: abort it through `abort`; `done` never rejects. */
export interface RunningAttempt {
  readonly seq: number;
  readonly attempt: number;
  readonly abort: LazyAbortController;
  readonly done: Promise<AttemptOutcome>;
}

/**
 * A command's identity within its run, for keys that must differ between every command of every run and stay the
 * same across replays: its seq, prefixed by the generation after a `continueAsNew` (seqs start again at 1 in each
 * generation). The generation goes in the last part so that `runId:identity` never equals another run's key.
 *
 * @example
 * commandIdentity(1, 7); // "7"
 * commandIdentity(3, 7); // "3-7"
 */
export function commandIdentity(generation: number, seq: number): string {
  return generation === 1 ? String(seq) : `${generation}-${seq}`;
}

/**
 * Calls the step function once. `seq` (in `generation`) is the step's identity, so `idempotencyKey`
 * (`runId:seq`, see commandIdentity) is the same on every attempt and every recovery of this step.
 *
 * @example
 * const running = startAttempt({ runId: "order-1", generation: 1 }, 3, 1, command);
 * const outcome = await running.done;
 */
export function startAttempt(
  run: { readonly runId: string; readonly generation: number },
  seq: number,
  attempt: number,
  command: StepCommand,
): RunningAttempt {
  const abort = new LazyAbortController();
  const { runId, generation } = run;
  const ctx: StepContext = {
    runId,
    seq,
    generation,
    attempt,
    idempotencyKey: `${runId}:${commandIdentity(generation, seq)}`,
    get signal() {
      return abort.signal;
    },
  };
  // No async wrapper: a synchronous step's outcome is known at once, and an async one costs one `then`.
  let done: Promise<AttemptOutcome>;
  try {
    const value = command.fn(ctx);
    done = isThenable(value)
      ? Promise.resolve(value).then(
          (resolved): AttemptOutcome => ({ ok: true, value: resolved }),
          (error: unknown): AttemptOutcome => ({ ok: false, error }),
        )
      : Promise.resolve({ ok: true, value });
  } catch (error) {
    done = Promise.resolve({ ok: false, error });
  }
  return { seq, attempt, abort, done };
}

/**
 * Whether a function's return value is a promise (or any thenable): a step's, or a hook's.
 *
 * @example
 * if (isThenable(returned)) returned.then(undefined, report);
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** The engine defaults resolved once per engine: most steps have no retry options of their own. */
const resolvedDefaults = new WeakMap<RetryPolicy, ResolvedRetryPolicy>();

/** The policy of one step attempt; resolving durations through luxon costs microseconds, so defaults are cached. */
export function retryPolicyOf(defaults: RetryPolicy, override: Partial<RetryPolicy> | undefined): ResolvedRetryPolicy {
  if (override !== undefined) return resolveRetryPolicy(defaults, override);
  let resolved = resolvedDefaults.get(defaults);
  if (resolved === undefined) {
    resolved = resolveRetryPolicy(defaults);
    resolvedDefaults.set(defaults, resolved);
  }
  return resolved;
}

/** A fresh value for now()/random()/uuid(); `random` (seeded, in tests) makes them reproducible per `key`. */
export function freshValue(
  source: "now" | "random" | "uuid",
  nowMs: number,
  key: string,
  random: ((key: string) => number) | undefined,
): unknown {
  if (source === "now") return nowMs;
  if (source === "random") return random === undefined ? Math.random() : random(key);
  if (random === undefined) return randomUUID();
  const bytes = Array.from({ length: 16 }, (_, i) => Math.floor(random(`${key}/${i}`) * 256) & 0xff);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40; // version 4
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
