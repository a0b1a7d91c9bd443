// Step retry policy: the defaults, merging per-step overrides, and the backoff schedule.
// Pure: the engine records the computed retry time, so a restart never shortens or repeats a wait.
import { durationToMs, type DurationInput } from "./duration.js";
import { InvalidArgumentError, NonRetryableError } from "./errors.js";

/**
 * How a failing step is retried. The wait before attempt n+1 is
 * `min(initialInterval × backoffCoefficient^(n-1), maxInterval)`.
 *
 * @example
 * createEngine({ store, workflows, retry: { maxAttempts: 5, initialInterval: { seconds: 2 } } });
 * yield* step("call-api", callApi, { retry: { maxAttempts: 1 } }); // never retried
 */
export interface RetryPolicy {
  /** Attempts in total, including the first. 1 means "never retry". */
  readonly maxAttempts: number;
  /** Wait before the first retry. */
  readonly initialInterval: DurationInput;
  /** Each further wait is the previous one times this (≥ 1). */
  readonly backoffCoefficient: number;
  /** Upper bound on any single wait. */
  readonly maxInterval: DurationInput;
  /**
   * Error names (`error.name`) that fail the step at once. Throwing `NonRetryableError` from the
   * step does the same without configuration.
   */
  readonly nonRetryableErrors: readonly string[];
}

/** Engine-wide defaults: 3 attempts, waits of 1 s then 2 s, capped at 1 minute. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  initialInterval: 1000,
  backoffCoefficient: 2,
  maxInterval: 60_000,
  nonRetryableErrors: Object.freeze([]),
});

/** A retry policy with every duration already in milliseconds. */
export interface ResolvedRetryPolicy {
  readonly maxAttempts: number;
  readonly initialIntervalMs: number;
  readonly backoffCoefficient: number;
  readonly maxIntervalMs: number;
  readonly nonRetryableErrors: readonly string[];
}

/** Merges `override` onto `base` and validates the result; throws InvalidArgumentError on nonsense. */
export function resolveRetryPolicy(base: RetryPolicy, override: Partial<RetryPolicy> = {}): ResolvedRetryPolicy {
  const merged = { ...base, ...override };
  const resolved: ResolvedRetryPolicy = {
    maxAttempts: merged.maxAttempts,
    initialIntervalMs: durationToMs(merged.initialInterval, "retry.initialInterval"),
    backoffCoefficient: merged.backoffCoefficient,
    maxIntervalMs: durationToMs(merged.maxInterval, "retry.maxInterval"),
    nonRetryableErrors: merged.nonRetryableErrors,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new InvalidArgumentError(`retry.maxAttempts must be an integer ≥ 1 (got ${String(merged.maxAttempts)}).`);
  }
  if (!Number.isFinite(resolved.backoffCoefficient) || resolved.backoffCoefficient < 1) {
    throw new InvalidArgumentError(
      `retry.backoffCoefficient must be a finite number ≥ 1 (got ${String(merged.backoffCoefficient)}).`,
    );
  }
  if (resolved.initialIntervalMs < 0 || resolved.maxIntervalMs < 0) {
    throw new InvalidArgumentError("retry.initialInterval and retry.maxInterval must not be negative.");
  }
  return resolved;
}

/** Milliseconds to wait after failed attempt number `attempt` (1-based) before the next one. */
export function retryDelayMs(policy: ResolvedRetryPolicy, attempt: number): number {
  const delay = policy.initialIntervalMs * policy.backoffCoefficient ** (attempt - 1);
  return Math.min(delay, policy.maxIntervalMs);
}

/** Whether `error`, thrown by attempt number `attempt`, should be retried under `policy`. */
export function shouldRetry(policy: ResolvedRetryPolicy, error: unknown, attempt: number): boolean {
  if (attempt >= policy.maxAttempts) return false;
  if (error instanceof NonRetryableError) return false;
  const name = error instanceof Error ? error.name : undefined;
  return name === undefined || !policy.nonRetryableErrors.includes(name);
}
