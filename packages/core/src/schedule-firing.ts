// Schedules as a claim source of the engine's work loop: fires the due schedules of the workflows this engine
// serves, and says when the next one is due. Never runs workflow code and never holds a lease: exactly-once comes
// from the store's compare-and-set (Store.updateSchedule) and from run ids derived from the fire time.
import type { Clock } from "./clock.js";
import { decodeValue } from "./codec.js";
import { CronTimes } from "./cron-times.js";
import { RunIdConflictError } from "./errors.js";
import { encodeEvent } from "./events.js";
import { runStartedEvent } from "./run-execution.js";
import { planFiring } from "./schedule-plan.js";
import { FINISHED_STATUSES, type NewRun, type ScheduleRecord, type Store } from "./store.js";
import type { WorkflowRegistry } from "./workflow-registry.js";

/** Most due schedules fired in one pass; more make the next pass come at once. */
const SCHEDULES_PER_PASS = 100;
/** How long a schedule whose firing failed (a store error, a corrupt row) waits before it is tried again. */
const FAILED_FIRE_RETRY_MS = 1_000;

/**
 * What the firing needs from its engine.
 *
 * @example
 * const host: ScheduleFiringHost = { store, clock, workflows, maxPayloadBytes, pollIntervalMs: 500, onError };
 */
export interface ScheduleFiringHost {
  readonly store: Store;
  readonly clock: Clock;
  readonly workflows: WorkflowRegistry;
  readonly maxPayloadBytes: number;
  /** How often to look for schedules changed by other processes (the engine's pollIntervalMs). */
  readonly pollIntervalMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * Fires due schedules once per work-loop pass. Between passes it keeps the next fire time it knows, and asks the
 * store again when that time comes, when `pollIntervalMs` has passed (schedules created or changed by another
 * process), or when this engine changed a schedule (`invalidate`).
 *
 * @example
 * const firing = new ScheduleFiring({ store, clock, workflows, maxPayloadBytes, pollIntervalMs, onError });
 * const delayMs = await firing.pass(); // fires what is due; delay until the next fire time
 */
export class ScheduleFiring {
  readonly #host: ScheduleFiringHost;
  readonly #names: readonly string[];
  /** The earliest next fire time the store reported at the last look. */
  #knownNextMs = Number.POSITIVE_INFINITY;
  #lastLookMs = Number.NEGATIVE_INFINITY;
  #stale = true;
  /** Last runs of schedules holding a buffered fire time: when one ends here, the buffered run can start. */
  readonly #awaited = new Set<string>();
  /**
   * Schedules whose firing failed, and when to try again. Without it a schedule that cannot be fired would stay
   * due, and every pass (one per millisecond) would fail on it again.
   */
  readonly #retryAtMs = new Map<string, number>();

  constructor(host: ScheduleFiringHost) {
    this.#host = host;
    this.#names = host.workflows.names();
  }

  /** Something changed schedules (here): look at the store at the next pass. */
  invalidate(): void {
    this.#stale = true;
  }

  /** A run ended here; true when a schedule waits for it (`bufferOne`), so that a pass should run now. */
  runFinished(runId: string): boolean {
    if (!this.#awaited.delete(runId)) return false;
    this.#stale = true;
    return true;
  }

  /**
   * Fires every due schedule it can; resolves with the delay (ms, or Infinity) until it wants to look again. Never
   * rejects: a failure is reported to `onError` and tried again later, so that it never keeps the engine's pass from
   * claiming runs.
   */
  async pass(): Promise<number> {
    if (this.#names.length === 0) return Number.POSITIVE_INFINITY;
    try {
      return await this.#look();
    } catch (error) {
      this.#stale = true;
      this.#host.onError(error);
      return FAILED_FIRE_RETRY_MS;
    }
  }

  async #look(): Promise<number> {
    const { store, clock, pollIntervalMs } = this.#host;
    const nowMs = clock.nowMs();
    const fresh = !this.#stale && nowMs - this.#lastLookMs < pollIntervalMs;
    if (fresh && nowMs < this.#knownNextMs) return this.#knownNextMs - nowMs;
    this.#stale = false;
    this.#lastLookMs = nowMs;
    for (const [id, atMs] of this.#retryAtMs) if (atMs <= nowMs) this.#retryAtMs.delete(id);
    const due = await store.dueSchedules(this.#names, nowMs, SCHEDULES_PER_PASS);
    for (const schedule of due) {
      if (this.#retryAtMs.has(schedule.id)) continue;
      try {
        await this.#fire(schedule, nowMs);
        this.#retryAtMs.delete(schedule.id);
      } catch (error) {
        // One schedule's problem (e.g. a run id another workflow took) must not stop the others.
        this.#retryAtMs.set(schedule.id, nowMs + FAILED_FIRE_RETRY_MS);
        this.#host.onError(error);
      }
    }
    if (due.length === SCHEDULES_PER_PASS) {
      this.#stale = true;
      return 0;
    }
    this.#knownNextMs = (await store.nextScheduleFireAtMs(this.#names)) ?? Number.POSITIVE_INFINITY;
    const afterMs = clock.nowMs();
    if (this.#knownNextMs > afterMs) return this.#knownNextMs - afterMs;
    // Still due: only schedules waiting to be tried again (or written meanwhile by another engine) are left.
    this.#stale = true;
    const retryAtMs = Math.min(...[...this.#retryAtMs.values()].filter((atMs) => atMs > afterMs));
    return Number.isFinite(retryAtMs) ? retryAtMs - afterMs : 1;
  }

  /**
   * Fires one schedule: plans from the state read, then writes the runs and the new state in one compare-and-set.
   * If another engine wrote first, the write changes nothing and the next pass plans again from the new state.
   */
  async #fire(schedule: ScheduleRecord, nowMs: number): Promise<void> {
    const { store } = this.#host;
    const cron = CronTimes.parse(schedule.cron, schedule.timezone, `Schedule '${schedule.id}'`);
    const previous = schedule.lastRunId === undefined ? undefined : await store.getRunOutcome(schedule.lastRunId);
    const previousUnfinished = previous !== undefined && !FINISHED_STATUSES.has(previous.status);
    const plan = planFiring(schedule, cron, nowMs, previousUnfinished);
    if (plan === undefined) {
      if (schedule.bufferedFireAtMs !== undefined && schedule.lastRunId !== undefined) {
        this.#awaited.add(schedule.lastRunId);
      }
      return;
    }
    let startRuns = plan.runs.map(({ runId }) => this.#newRun(schedule, runId, nowMs));
    let state = plan.state;
    for (;;) {
      try {
        const written = await store.updateSchedule({
          id: schedule.id,
          expectedRevision: schedule.revision,
          state,
          startRuns,
          nowMs,
        });
        if (written.applied && state.bufferedFireAtMs !== undefined && state.lastRunId !== undefined) {
          this.#awaited.add(state.lastRunId);
        }
        if (!written.applied) this.#stale = true;
        return;
      } catch (error) {
        // A run of another workflow has the id of this fire time (someone started it by hand): that fire time
        // can never start its run. Say so, and advance past it rather than fail on it for ever.
        if (!(error instanceof RunIdConflictError) || !startRuns.some((run) => run.id === error.runId)) throw error;
        this.#host.onError(error);
        startRuns = startRuns.filter((run) => run.id !== error.runId);
        const lastRunId = startRuns.at(-1)?.id ?? schedule.lastRunId;
        state = {
          ...state,
          lastRunId,
          lastFireAtMs: startRuns.length === 0 ? schedule.lastFireAtMs : state.lastFireAtMs,
        };
      }
    }
  }

  /** A run of the schedule's workflow at the newest version this engine serves, with the schedule's input. */
  #newRun(schedule: ScheduleRecord, runId: string, nowMs: number): NewRun {
    const version = this.#host.workflows.latest(schedule.workflow) ?? 1;
    const started = runStartedEvent(
      { workflow: schedule.workflow, version, generation: 1 },
      decodeValue(schedule.input),
      nowMs,
    );
    const startedEvent = encodeEvent(started, "The schedule's input", this.#host.maxPayloadBytes);
    return { id: runId, workflow: schedule.workflow, version, input: schedule.input, startedEvent, nowMs };
  }
}
