// Checks of what callers pass to engine methods: ids, names and reasons (bounded, non-empty strings) and run filters.
// A failed check throws InvalidArgumentError before anything touches the store.
import type { ListRunsOptions } from "./engine-options.js";
import { InvalidArgumentError } from "./errors.js";
import { RUN_STATUSES, type RunFilter } from "./store.js";

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

/**
 * The store filter for `engine.listRuns(options)`; throws for an unknown status or a limit outside 1 to 10,000.
 *
 * @example
 * runFilter({ status: "waiting" }); // { statuses: ["waiting"], workflow: undefined, limit: 100 }
 */
export function runFilter(options: ListRunsOptions): RunFilter {
  const statuses = options.status === undefined ? undefined : [options.status].flat();
  for (const status of statuses ?? []) {
    if (!RUN_STATUSES.includes(status)) {
      throw new InvalidArgumentError(`Unknown run status '${String(status)}'; use one of ${RUN_STATUSES.join(", ")}.`);
    }
  }
  const limit = options.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw new InvalidArgumentError(`listRuns({ limit }) must be an integer from 1 to 10000 (got ${String(limit)}).`);
  }
  return { statuses, workflow: options.workflow, limit };
}
