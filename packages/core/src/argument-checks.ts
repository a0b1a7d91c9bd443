// Checks of what callers pass to engine methods: ids, names and reasons (bounded, non-empty strings) and run filters.
// A failed check throws InvalidArgumentError before anything touches the store.
import type { CountRunsOptions, ListRunsOptions } from "./engine-options.js";
import { InvalidArgumentError } from "./errors.js";
import { RUN_STATUSES, type RunFilter, type RunSelection } from "./store.js";
import { textProblem } from "./text-checks.js";
import { deadlineToMs } from "./duration.js";
import type { RunPageCursor } from "./store-reader.js";
import { checkTagFilter } from "./tags.js";

/** Longest run id, signal id or signal name accepted. */
export const MAX_ID_LENGTH = 200;
/** Longest cancellation reason accepted. */
export const MAX_REASON_LENGTH = 1000;

/** Throws unless `value` is a non-empty, well-formed string of at most MAX_ID_LENGTH characters. */
export function assertId(value: unknown, what: string): asserts value is string {
  const problem = textProblem(value, MAX_ID_LENGTH);
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      `The ${what} ${problem}; it must be a non-empty string of at most ${MAX_ID_LENGTH} characters ` +
        `(got ${JSON.stringify(value)}).`,
    );
  }
}

/** Whether `value` could be the id of a stored run (getters answer `undefined` for any other value). */
export function isPossibleId(value: unknown): value is string {
  return textProblem(value, MAX_ID_LENGTH) === undefined;
}

/** Throws unless `reason` is undefined or a well-formed string of at most MAX_REASON_LENGTH characters. */
export function assertReason(reason: unknown): asserts reason is string | undefined {
  const problem = reason === undefined ? undefined : textProblem(reason, MAX_REASON_LENGTH, { allowEmpty: true });
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      `A cancellation reason ${problem}; it must be a string of at most ${MAX_REASON_LENGTH} characters.`,
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
  if (options.parent !== undefined) assertId(options.parent, "parent run id");
  const version = options.version;
  if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) {
    throw new InvalidArgumentError(`listRuns({ version }) must be a positive integer (got ${String(version)}).`);
  }
  if (options.queue !== undefined && (typeof options.queue !== "string" || options.queue.length === 0)) {
    throw new InvalidArgumentError(`listRuns({ queue }) must be a queue name (got ${JSON.stringify(options.queue)}).`);
  }
  const tags = checkTagFilter(options.tags, "listRuns()");
  const createdAfterMs = timeFilter(options.createdAfter, "createdAfter");
  const createdBeforeMs = timeFilter(options.createdBefore, "createdBefore");
  const finishedBeforeMs = timeFilter(options.finishedBefore, "finishedBefore");
  const after = pageCursor(options.after);
  return {
    statuses,
    workflow: options.workflow,
    parent: options.parent,
    version,
    queue: options.queue,
    limit,
    ...(tags === undefined ? {} : { tags }),
    ...(createdAfterMs === undefined ? {} : { createdAfterMs }),
    ...(createdBeforeMs === undefined ? {} : { createdBeforeMs }),
    ...(finishedBeforeMs === undefined ? {} : { finishedBeforeMs }),
    ...(after === undefined ? {} : { after }),
  };
}

/**
 * The store selection for `engine.countRuns(options)` and `cancelMany(options)`: runFilter's checks, no paging.
 *
 * @example
 * runSelection({ tags: { customer: "7" } }); // { tags: { customer: "7" }, ... }
 */
export function runSelection(options: CountRunsOptions): RunSelection {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { limit, after, ...selection } = runFilter({ ...options, limit: undefined, after: undefined });
  return selection;
}

/** Epoch ms of a `createdAfter` / `createdBefore` filter; epoch ms pass as they are. */
function timeFilter(value: ListRunsOptions["createdAfter"], name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new InvalidArgumentError(`listRuns({ ${name} }) must be a finite time in epoch ms (got ${String(value)}).`);
    }
    return value;
  }
  return deadlineToMs(value, `listRuns({ ${name} })`);
}

/** A keyset cursor as `listRunsPage` gave it out: `{ createdAtMs, id }`. */
function pageCursor(after: ListRunsOptions["after"]): RunPageCursor | undefined {
  if (after === undefined) return undefined;
  if (typeof after !== "object" || after === null || !Number.isFinite(after.createdAtMs) || !isPossibleId(after.id)) {
    throw new InvalidArgumentError(
      "listRuns({ after }) takes the `next` cursor of the page before ({ createdAtMs, id }), as listRunsPage() gave it.",
    );
  }
  return { createdAtMs: after.createdAtMs, id: after.id };
}
