// engine.schedules: create, get, list, pause, resume, trigger, update and delete schedules in the store.
// Checks every argument before writing; never fires schedules itself (schedule-firing.ts does, in the work loop).
import type { Clock } from "./clock.js";
import { decodeValue, encodeValue } from "./codec.js";
import { CronTimes } from "./cron-times.js";
import { InvalidArgumentError, ScheduleConflictError, ScheduleNotFoundError } from "./errors.js";
import { encodeEvent } from "./events.js";
import { runStartedEvent } from "./run-execution.js";
import type { RunHandle } from "./run-handle.js";
import {
  assertScheduleId,
  checkScheduleSpec,
  type ScheduleInfo,
  type ScheduleOptions,
  type SchedulePatch,
} from "./schedule-options.js";
import { stateOf, triggeredRunId } from "./schedule-plan.js";
import type { NewRun, ScheduleRecord, ScheduleState, Store } from "./store.js";
import type { WorkflowDefinition } from "./workflow.js";

/** How often a compare-and-set of a schedule is tried again when another writer got there first. */
const MAX_UPDATE_ATTEMPTS = 10;
/** Most schedules `list()` returns per call. */
const MAX_LIST_LIMIT = 10_000;

/**
 * What engine.schedules needs from its engine (engine.ts builds it from its own private methods).
 *
 * @example
 * const schedules = new Schedules({ store, clock, maxPayloadBytes, assertOpen, resolveWorkflow, versionFor, handle, changed });
 */
export interface SchedulesHost {
  readonly store: Store;
  readonly clock: Clock;
  readonly maxPayloadBytes: number;
  assertOpen(action: string): void;
  /** The workflow's name; throws UnknownWorkflowError for a name no engine on the store serves. */
  resolveWorkflow(workflow: WorkflowDefinition<never, unknown> | string, api: string): Promise<string>;
  /** The version a new run of this workflow starts on when none is asked for (as start() chooses it by name). */
  versionFor(workflow: string): number;
  handle(runId: string, workflow: string): RunHandle;
  /** Schedules changed here: the engine looks at them (and at new runs) at once. */
  changed(): void;
}

/**
 * The schedules of an engine's store (`engine.schedules`). Every engine has it, a client-only one too; only
 * engines that serve a schedule's workflow fire it.
 *
 * @example
 * await engine.schedules.create({ id: "nightly-report", workflow: report, input: {}, cron: "0 3 * * *",
 *   timezone: "Europe/Berlin", overlap: "skip", catchUp: "latest" });
 * for (const s of await engine.schedules.list()) console.log(s.id, s.nextFireAtMs);
 */
export class Schedules {
  readonly #host: SchedulesHost;

  constructor(host: SchedulesHost) {
    this.#host = host;
  }

  /**
   * Creates a schedule; it fires from the next fire time after now. Creating one that exists with the same
   * workflow, input, cron expression, time zone and policies returns it unchanged (so calling create() at every
   * start-up is safe, and keeps a pause an operator made); with other settings it throws ScheduleConflictError.
   *
   * @example
   * await engine.schedules.create({ id: "hourly-sync", workflow: sync, cron: "0 * * * *" });
   */
  async create<I>(options: ScheduleOptions<I>): Promise<ScheduleInfo<I>> {
    this.#host.assertOpen("create a schedule");
    if (typeof options !== "object" || options === null) {
      throw new InvalidArgumentError(
        `schedules.create() takes { id, workflow, cron, ... }, e.g. { id: "nightly", workflow: report, cron: "0 3 * * *" }.`,
      );
    }
    assertScheduleId(options.id, "schedules.create()");
    const spec = checkScheduleSpec(options as ScheduleOptions, undefined, "schedules.create()");
    const workflow = await this.#host.resolveWorkflow(
      options.workflow as WorkflowDefinition<never, unknown> | string,
      "schedules.create()",
    );
    const input = encodeValue(options.input, "The schedule's input", this.#host.maxPayloadBytes);
    const nowMs = this.#host.clock.nowMs();
    const state: ScheduleState = {
      workflow,
      input,
      cron: spec.cron.expression,
      timezone: spec.cron.timezone,
      overlap: spec.overlap,
      catchUp: spec.catchUp,
      catchUpLimit: spec.catchUpLimit,
      paused: spec.paused,
      nextFireAtMs: spec.paused ? undefined : spec.cron.next(nowMs),
    };
    const { created, schedule } = await this.#host.store.createSchedule({ id: options.id, ...state, nowMs });
    if (!created) {
      const differences = (
        ["workflow", "input", "cron", "timezone", "overlap", "catchUp", "catchUpLimit"] as const
      ).filter((field) => schedule[field] !== state[field]);
      if (differences.length > 0) throw new ScheduleConflictError(options.id, differences);
    }
    this.#host.changed();
    return toInfo<I>(schedule);
  }

  /**
   * The schedule with its next fire time, or undefined for an unknown id.
   *
   * @example
   * const s = await engine.schedules.get("nightly-report");
   */
  async get<I = unknown>(id: string): Promise<ScheduleInfo<I> | undefined> {
    assertScheduleId(id, "schedules.get()");
    const schedule = await this.#host.store.getSchedule(id);
    return schedule === undefined ? undefined : toInfo<I>(schedule);
  }

  /**
   * Schedules in order of id, each with its next fire time: at most `limit` (default 100), after `after` if given.
   *
   * @example
   * const page = await engine.schedules.list({ limit: 50 });
   * const next = await engine.schedules.list({ after: page.at(-1)?.id, limit: 50 });
   */
  async list(options: { readonly limit?: number; readonly after?: string } = {}): Promise<ScheduleInfo[]> {
    const limit = options.limit ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new InvalidArgumentError(
        `schedules.list({ limit }) must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${String(limit)}).`,
      );
    }
    if (options.after !== undefined) assertScheduleId(options.after, "schedules.list({ after })");
    const schedules = await this.#host.store.listSchedules(options.after, limit);
    return schedules.map((schedule) => toInfo(schedule));
  }

  /**
   * Stops the schedule firing until `resume`; runs already started go on. Pausing a paused schedule does nothing.
   *
   * @example
   * await engine.schedules.pause("nightly-report");
   */
  async pause(id: string): Promise<ScheduleInfo> {
    return this.#change(id, "schedules.pause()", (schedule) =>
      schedule.paused ? undefined : { ...stateOf(schedule), paused: true, nextFireAtMs: undefined },
    );
  }

  /**
   * Fires again from the next fire time after now: fire times that passed while paused never start.
   *
   * @example
   * await engine.schedules.resume("nightly-report");
   */
  async resume(id: string): Promise<ScheduleInfo> {
    return this.#change(id, "schedules.resume()", (schedule) => {
      if (!schedule.paused) return undefined;
      const cron = CronTimes.parse(schedule.cron, schedule.timezone, "schedules.resume()");
      return { ...stateOf(schedule), paused: false, nextFireAtMs: cron.next(this.#host.clock.nowMs()) };
    });
  }

  /**
   * Changes any option but the id. A new cron expression or time zone takes effect from now (the next fire time
   * is computed again); a new workflow or input applies to runs started from now on.
   *
   * @example
   * await engine.schedules.update("nightly-report", { cron: "30 3 * * *", overlap: "bufferOne" });
   */
  async update<I = unknown>(id: string, patch: SchedulePatch<I>): Promise<ScheduleInfo<I>> {
    this.#host.assertOpen("update a schedule");
    assertScheduleId(id, "schedules.update()");
    const what = "schedules.update()";
    if (typeof patch !== "object" || patch === null) {
      throw new InvalidArgumentError(`${what} takes the options to change, e.g. { cron: "30 3 * * *" }.`);
    }
    const workflow =
      patch.workflow === undefined
        ? undefined
        : await this.#host.resolveWorkflow(patch.workflow as WorkflowDefinition<never, unknown> | string, what);
    const input =
      "input" in patch ? encodeValue(patch.input, "The schedule's input", this.#host.maxPayloadBytes) : undefined;
    const info = await this.#change(id, what, (schedule) => {
      const spec = checkScheduleSpec(patch as SchedulePatch, schedule, what);
      const retimed = spec.cron.expression !== schedule.cron || spec.cron.timezone !== schedule.timezone;
      const nowMs = this.#host.clock.nowMs();
      const nextFireAtMs = spec.paused
        ? undefined
        : retimed || schedule.paused
          ? spec.cron.next(nowMs)
          : schedule.nextFireAtMs;
      return {
        ...stateOf(schedule),
        workflow: workflow ?? schedule.workflow,
        input: input ?? schedule.input,
        cron: spec.cron.expression,
        timezone: spec.cron.timezone,
        overlap: spec.overlap,
        catchUp: spec.catchUp,
        catchUpLimit: spec.catchUpLimit,
        paused: spec.paused,
        nextFireAtMs,
      };
    });
    return info as ScheduleInfo<I>;
  }

  /**
   * Starts a run of the schedule now, paused or not and whatever its overlap policy (an operator asked for it),
   * with the id `<schedule id>@manual-<now as ISO 8601>`. The schedule's own fire times do not move; the run
   * counts as the schedule's last run for its overlap policy. `version`: as start()'s (default: the highest this
   * engine serves, else 1).
   *
   * @example
   * const run = await engine.schedules.trigger("nightly-report");
   * await run.result();
   */
  async trigger(id: string, options: { readonly version?: number } = {}): Promise<RunHandle> {
    const what = "schedules.trigger()";
    if (options.version !== undefined && (!Number.isSafeInteger(options.version) || options.version < 1)) {
      throw new InvalidArgumentError(
        `${what} needs { version } to be a positive integer (got ${String(options.version)}).`,
      );
    }
    let runId = "";
    let workflow = "";
    await this.#change(id, what, (schedule) => {
      const nowMs = this.#host.clock.nowMs();
      runId = triggeredRunId(schedule.id, nowMs);
      workflow = schedule.workflow;
      const version = options.version ?? this.#host.versionFor(schedule.workflow);
      const started = runStartedEvent({ workflow, version, generation: 1 }, decodeValue(schedule.input), nowMs);
      const startedEvent = encodeEvent(started, "The schedule's input", this.#host.maxPayloadBytes);
      return {
        state: { ...stateOf(schedule), lastRunId: runId },
        startRuns: [{ id: runId, workflow, version, input: schedule.input, startedEvent, nowMs }],
      };
    });
    return this.#host.handle(runId, workflow);
  }

  /**
   * Deletes the schedule; runs it started are kept. Throws ScheduleNotFoundError for an unknown id.
   *
   * @example
   * await engine.schedules.delete("nightly-report");
   */
  async delete(id: string): Promise<void> {
    this.#host.assertOpen("delete a schedule");
    assertScheduleId(id, "schedules.delete()");
    if (!(await this.#host.store.deleteSchedule(id))) throw new ScheduleNotFoundError(id);
    this.#host.changed();
  }

  /**
   * Reads the schedule, computes its new state (undefined: nothing to change) and writes it if nobody wrote in
   * between; tries again from a fresh read otherwise.
   */
  async #change(
    id: string,
    what: string,
    next: (
      schedule: ScheduleRecord,
    ) => ScheduleState | { readonly state: ScheduleState; readonly startRuns: readonly NewRun[] } | undefined,
  ): Promise<ScheduleInfo> {
    this.#host.assertOpen(`change a schedule (${what})`);
    assertScheduleId(id, what);
    const { store, clock } = this.#host;
    for (let attempt = 1; ; attempt++) {
      const schedule = await store.getSchedule(id);
      if (schedule === undefined) throw new ScheduleNotFoundError(id);
      const change = next(schedule);
      if (change === undefined) return toInfo(schedule);
      const { state, startRuns } = "state" in change ? change : { state: change, startRuns: undefined };
      const written = await store.updateSchedule({
        id,
        expectedRevision: schedule.revision,
        state,
        startRuns,
        nowMs: clock.nowMs(),
      });
      if (written.applied && written.schedule !== undefined) {
        this.#host.changed();
        return toInfo(written.schedule);
      }
      if (attempt >= MAX_UPDATE_ATTEMPTS) {
        throw new InvalidArgumentError(
          `${what} could not change schedule '${id}': it kept changing under this call (${attempt} attempts). Try again.`,
        );
      }
    }
  }
}

/** A stored schedule as the API shows it. */
function toInfo<I = unknown>(schedule: ScheduleRecord): ScheduleInfo<I> {
  return {
    id: schedule.id,
    workflow: schedule.workflow,
    input: decodeValue(schedule.input) as I,
    cron: schedule.cron,
    timezone: schedule.timezone,
    overlap: schedule.overlap,
    catchUp: schedule.catchUp,
    catchUpLimit: schedule.catchUpLimit,
    paused: schedule.paused,
    nextFireAtMs: schedule.nextFireAtMs,
    bufferedFireAtMs: schedule.bufferedFireAtMs,
    lastRunId: schedule.lastRunId,
    createdAtMs: schedule.createdAtMs,
    updatedAtMs: schedule.updatedAtMs,
  };
}
