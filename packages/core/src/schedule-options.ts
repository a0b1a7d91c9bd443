// The options of engine.schedules (create, update), what list() and get() answer, and their validation.
// Validation is complete before anything is stored: a bad option throws and the store is never touched.
import { CronTimes } from "./cron-times.js";
import { InvalidArgumentError } from "./errors.js";
import type { ScheduleCatchUpPolicy, ScheduleOverlapPolicy, ScheduleRecord } from "./store.js";
import { textProblem } from "./text-checks.js";
import type { WorkflowDefinition } from "./workflow.js";

/**
 * Longest schedule id: a run started by a schedule gets the id `<schedule id>@<fire time as ISO 8601>` (or
 * `<schedule id>@manual-<time>` for `trigger`), which must stay within the 200 characters of a run id.
 */
export const MAX_SCHEDULE_ID_LENGTH = 160;
/** Default of `catchUpLimit`: at most this many missed fire times are started by catch-up `"all"`. */
export const DEFAULT_CATCH_UP_LIMIT = 100;
/** Largest `catchUpLimit` accepted (the runs of one catch-up are created in one store write). */
export const MAX_CATCH_UP_LIMIT = 1_000;

const OVERLAP_POLICIES: readonly ScheduleOverlapPolicy[] = ["skip", "bufferOne", "allowAll"];
const CATCH_UP_POLICIES: readonly ScheduleCatchUpPolicy[] = ["none", "latest", "all"];

/**
 * Options of `engine.schedules.create()`. Only `id`, `workflow` and `cron` are required.
 *
 * @example
 * await engine.schedules.create({ id: "nightly-report", workflow: report, input: {}, cron: "0 3 * * *",
 *   timezone: "Europe/Berlin", overlap: "skip", catchUp: "latest" });
 */
export interface ScheduleOptions<I = unknown> {
  /** The schedule's id, at most MAX_SCHEDULE_ID_LENGTH characters; it prefixes the ids of the runs it starts. */
  readonly id: string;
  /** The workflow to run: a definition, or the name of a workflow some engine on the store serves. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly workflow: WorkflowDefinition<I, any> | string;
  /** The input of every run. Default `undefined`. */
  readonly input?: I;
  /** 5 fields (`"0 3 * * *"`), 6 with a leading seconds field (`"0 0 3 * * *"`), or a macro such as `"@daily"`. */
  readonly cron: string;
  /** The IANA time zone the cron expression is read in. Default `"UTC"`. */
  readonly timezone?: string;
  /** What a fire time does while the previous run is unfinished. Default `"skip"`. */
  readonly overlap?: ScheduleOverlapPolicy;
  /** Which missed fire times start after downtime. Default `"latest"`. */
  readonly catchUp?: ScheduleCatchUpPolicy;
  /** With `catchUp: "all"`, at most this many (the newest) missed fire times start. Default 100, at most 1,000. */
  readonly catchUpLimit?: number;
  /** Create the schedule paused (`resume()` starts it). Default false. */
  readonly paused?: boolean;
}

/**
 * What `engine.schedules.update(id, patch)` may change: any option but the id.
 *
 * @example
 * await engine.schedules.update("nightly-report", { cron: "30 3 * * *" });
 */
export type SchedulePatch<I = unknown> = Partial<Omit<ScheduleOptions<I>, "id">>;

/**
 * A schedule as `engine.schedules.get()` and `list()` answer it, with its next fire time.
 *
 * @example
 * for (const s of await engine.schedules.list()) console.log(s.id, s.cron, s.timezone, new Date(s.nextFireAtMs ?? 0));
 */
export interface ScheduleInfo<I = unknown> {
  readonly id: string;
  readonly workflow: string;
  readonly input: I;
  readonly cron: string;
  readonly timezone: string;
  readonly overlap: ScheduleOverlapPolicy;
  readonly catchUp: ScheduleCatchUpPolicy;
  readonly catchUpLimit: number;
  readonly paused: boolean;
  /** When it fires next (epoch ms); undefined while paused or when the expression has no time left. */
  readonly nextFireAtMs?: number | undefined;
  /** A fire time held back by `bufferOne` until the previous run ends. */
  readonly bufferedFireAtMs?: number | undefined;
  /** The run it started last. */
  readonly lastRunId?: string | undefined;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/**
 * Checked options: everything but the workflow and input, which the engine resolves and encodes.
 *
 * @example
 * const { cron, overlap } = checkScheduleSpec({ cron: "0 3 * * *" }, undefined, "schedules.create()");
 */
export interface CheckedScheduleSpec {
  readonly cron: CronTimes;
  readonly overlap: ScheduleOverlapPolicy;
  readonly catchUp: ScheduleCatchUpPolicy;
  readonly catchUpLimit: number;
  readonly paused: boolean;
}

const OPTION_NAMES: ReadonlySet<string> = new Set([
  "id",
  "workflow",
  "input",
  "cron",
  "timezone",
  "overlap",
  "catchUp",
  "catchUpLimit",
  "paused",
]);

/**
 * Throws InvalidArgumentError unless `id` can name a schedule.
 *
 * @example
 * assertScheduleId("nightly-report", "schedules.pause()");
 */
export function assertScheduleId(id: unknown, what: string): asserts id is string {
  const problem = textProblem(id, MAX_SCHEDULE_ID_LENGTH);
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      `${what} needs a schedule id: a non-empty string of at most ${MAX_SCHEDULE_ID_LENGTH} characters; the id ` +
        `${problem} (got ${JSON.stringify(id)}).`,
    );
  }
}

/**
 * Checks every option but `workflow` and `input` of create() (`base` undefined) or of an update over `base`.
 *
 * @example
 * const spec = checkScheduleSpec({ cron: "0 3 * * *", timezone: "Europe/Berlin" }, undefined, "schedules.create()");
 */
export function checkScheduleSpec(
  options: SchedulePatch | ScheduleOptions,
  base: ScheduleRecord | undefined,
  what: string,
): CheckedScheduleSpec {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError(`${what} takes an object of options, e.g. { cron: "0 3 * * *" }.`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key) || (base !== undefined && key === "id")) {
      throw new InvalidArgumentError(
        `${what} has no option '${key}'; the options are ${[...OPTION_NAMES].filter((name) => base === undefined || name !== "id").join(", ")}.`,
      );
    }
  }
  const cron = CronTimes.parse(options.cron ?? base?.cron, options.timezone ?? base?.timezone ?? "UTC", what);
  const overlap = options.overlap ?? base?.overlap ?? "skip";
  if (!OVERLAP_POLICIES.includes(overlap)) {
    throw new InvalidArgumentError(
      `${what} got overlap ${JSON.stringify(overlap)}; use one of ${OVERLAP_POLICIES.map((p) => `"${p}"`).join(", ")}.`,
    );
  }
  const catchUp = options.catchUp ?? base?.catchUp ?? "latest";
  if (!CATCH_UP_POLICIES.includes(catchUp)) {
    throw new InvalidArgumentError(
      `${what} got catchUp ${JSON.stringify(catchUp)}; use one of ${CATCH_UP_POLICIES.map((p) => `"${p}"`).join(", ")}.`,
    );
  }
  const catchUpLimit = options.catchUpLimit ?? base?.catchUpLimit ?? DEFAULT_CATCH_UP_LIMIT;
  if (!Number.isSafeInteger(catchUpLimit) || catchUpLimit < 1 || catchUpLimit > MAX_CATCH_UP_LIMIT) {
    throw new InvalidArgumentError(
      `${what} needs catchUpLimit to be an integer from 1 to ${MAX_CATCH_UP_LIMIT} (got ${String(catchUpLimit)}).`,
    );
  }
  const paused = options.paused ?? base?.paused ?? false;
  if (typeof paused !== "boolean") {
    throw new InvalidArgumentError(`${what} needs paused to be true or false (got ${JSON.stringify(paused)}).`);
  }
  return { cron, overlap, catchUp, catchUpLimit, paused };
}
