// Turns the time inputs users write (ms, luxon Durations, { hours: 1 }, ISO strings, Dates) into milliseconds.
// Pure and total: invalid input becomes an InvalidDurationError, never NaN that a timer would misread.
import { DateTime, Duration, type DurationLike } from "luxon";
import { InvalidDurationError } from "./errors.js";

/**
 * A length of time: milliseconds, a luxon `Duration`, a luxon duration object such as
 * `{ hours: 1, minutes: 30 }`, or an ISO-8601 duration string such as `"PT90M"`.
 *
 * @example
 * const a: DurationInput = 5_000;
 * const b: DurationInput = { minutes: 5 };
 * const c: DurationInput = "P1D";
 */
export type DurationInput = DurationLike | string;

/**
 * A point in time: a luxon `DateTime`, a `Date`, or an ISO-8601 timestamp string.
 *
 * @example
 * const t: DeadlineInput = "2030-01-01T09:00:00Z";
 */
export type DeadlineInput = DateTime | Date | string;

/** Milliseconds in a duration; throws InvalidDurationError for anything that is not a finite length of time. */
export function durationToMs(input: DurationInput, what: string): number {
  let duration: Duration;
  try {
    duration = typeof input === "string" ? Duration.fromISO(input) : Duration.fromDurationLike(input);
  } catch (error) {
    throw new InvalidDurationError(what, input, error instanceof Error ? error.message : String(error));
  }
  if (!duration.isValid) throw new InvalidDurationError(what, input, duration.invalidExplanation ?? "not a duration");
  const ms = duration.toMillis();
  if (!Number.isFinite(ms)) throw new InvalidDurationError(what, input, "not a finite length of time");
  return ms;
}

/** Epoch milliseconds of a deadline; throws InvalidDurationError for an invalid or unparseable time. */
export function deadlineToMs(input: DeadlineInput, what: string): number {
  let ms: number;
  if (DateTime.isDateTime(input)) {
    if (!input.isValid) throw new InvalidDurationError(what, input.toString(), input.invalidExplanation ?? "invalid");
    ms = input.toMillis();
  } else if (input instanceof Date) {
    ms = input.getTime();
  } else if (typeof input === "string") {
    const parsed = DateTime.fromISO(input, { setZone: true });
    if (!parsed.isValid) throw new InvalidDurationError(what, input, "not an ISO-8601 timestamp");
    ms = parsed.toMillis();
  } else {
    throw new InvalidDurationError(what, input, "expected a luxon DateTime, a Date or an ISO-8601 string");
  }
  if (!Number.isFinite(ms)) throw new InvalidDurationError(what, input, "not a valid point in time");
  return ms;
}
