// Checks of the ids, names and reasons callers pass to engine methods: bounded, non-empty strings.
// A failed check throws InvalidArgumentError before anything touches the store.
import { InvalidArgumentError } from "./errors.js";

/** Longest run id, signal id or signal name accepted. */
export const MAX_ID_LENGTH = 200;
/** Longest cancellation reason accepted. */
export const MAX_REASON_LENGTH = 1000;

/** Throws unless `value` is a non-empty string of at most MAX_ID_LENGTH characters. */
export function assertId(value: unknown, what: string): asserts value is string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(
      `The ${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters (got ${JSON.stringify(value)}).`,
    );
  }
}

/** Throws unless `reason` is undefined or a string of at most MAX_REASON_LENGTH characters. */
export function assertReason(reason: unknown): asserts reason is string | undefined {
  if (reason !== undefined && (typeof reason !== "string" || reason.length > MAX_REASON_LENGTH)) {
    throw new InvalidArgumentError(
      `A cancellation reason must be a string of at most ${MAX_REASON_LENGTH} characters.`,
    );
  }
}
