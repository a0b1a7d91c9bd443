// Retention: how long finished runs are kept, and the sweep that deletes older ones in bounded store batches.
// Runs on the engine's clock in the background; never blocks the work loop and never touches unfinished runs.
import type { Clock, TimerHandle } from "./clock.js";
import { durationToMs, type DurationInput } from "./duration.js";
import { InvalidArgumentError } from "./errors.js";
import type { Store } from "./store.js";

/**
 * The statuses retention deletes: the final ones.
 *
 * @example
 * const status: FinishedStatus = "failed";
 */
export type FinishedStatus = "completed" | "failed" | "cancelled";

/**
 * How long finished runs are kept after they finished, per final status; a status left out is kept for ever.
 *
 * @example
 * const policy: RetentionPolicy = { completed: { days: 7 }, failed: { days: 30 }, cancelled: { days: 7 } };
 */
export interface RetentionPolicy {
  readonly completed?: DurationInput | undefined;
  readonly failed?: DurationInput | undefined;
  readonly cancelled?: DurationInput | undefined;
}

/**
 * `createEngine({ retention })`: the policy, and how the background sweep paces itself.
 *
 * @example
 * createEngine({ store, workflows, retention: { completed: { days: 7 }, failed: { days: 30 } } });
 */
export interface RetentionOptions extends RetentionPolicy {
  /** How often the engine looks for runs past their retention. Default 60,000 ms. */
  readonly intervalMs?: number | undefined;
  /** Runs deleted per store write (one short transaction each). Default 500, at most 10,000. */
  readonly batchSize?: number | undefined;
  /** Most batches per look, so that a large backlog is worked off over several intervals. Default 20. */
  readonly maxBatchesPerSweep?: number | undefined;
}

/** Retention with its periods in ms and every pacing default filled in. */
export interface ResolvedRetention {
  readonly keepMs: Readonly<Partial<Record<FinishedStatus, number>>>;
  readonly intervalMs: number;
  readonly batchSize: number;
  readonly maxBatchesPerSweep: number;
}

const STATUSES: readonly FinishedStatus[] = ["completed", "failed", "cancelled"];

/**
 * Checks a retention option; undefined when there is none (nothing is ever deleted).
 *
 * @example
 * resolveRetention({ completed: { days: 7 } }).keepMs.completed; // 604800000
 */
export function resolveRetention(options: RetentionOptions | undefined): ResolvedRetention | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("createEngine({ retention }) takes e.g. { completed: { days: 7 } }.");
  }
  const keepMs = retentionPeriods(options, "createEngine({ retention })");
  return Object.freeze({
    keepMs,
    intervalMs: whole(options.intervalMs, 60_000, "intervalMs", 1),
    batchSize: whole(options.batchSize, 500, "batchSize", 1, 10_000),
    maxBatchesPerSweep: whole(options.maxBatchesPerSweep, 20, "maxBatchesPerSweep", 1),
  });
}

/**
 * The periods of a policy in ms, checked (a period is a duration ≥ 0).
 *
 * @example
 * retentionPeriods({ failed: { days: 30 } }, "purge()"); // { failed: 2592000000 }
 */
export function retentionPeriods(
  policy: RetentionPolicy,
  api: string,
): Readonly<Partial<Record<FinishedStatus, number>>> {
  const keepMs: Partial<Record<FinishedStatus, number>> = {};
  for (const status of STATUSES) {
    const period = policy[status];
    if (period === undefined) continue;
    const ms = durationToMs(period, `${api} ${status}`);
    if (ms < 0) throw new InvalidArgumentError(`${api}: the period for ${status} runs must not be negative.`);
    keepMs[status] = ms;
  }
  return Object.freeze(keepMs);
}

/**
 * Deletes every run past its period, `batchSize` runs per store write, at most `maxBatches` writes; resolves with
 * how many it deleted. Each write is short, so engines working on the store wait for at most one batch.
 *
 * @example
 * const deleted = await purgeExpired(store, { completed: 604800000 }, clock.nowMs(), 500, Infinity);
 */
export async function purgeExpired(
  store: Store,
  keepMs: Readonly<Partial<Record<FinishedStatus, number>>>,
  nowMs: number,
  batchSize: number,
  maxBatches: number,
): Promise<number> {
  let deleted = 0;
  let batches = 0;
  for (const status of STATUSES) {
    const period = keepMs[status];
    if (period === undefined) continue;
    for (;;) {
      if (batches >= maxBatches) return deleted;
      const count = await store.purgeRuns({ statuses: [status], finishedBeforeMs: nowMs - period, limit: batchSize });
      batches += 1;
      deleted += count;
      if (count < batchSize) break;
    }
  }
  return deleted;
}

/**
 * The engine's background retention: one sweep every `intervalMs` on the engine's clock (a virtual clock drives it
 * in tests), never two at once. `stop()` cancels the timer and waits for a sweep in progress.
 *
 * @example
 * const sweeper = new RetentionSweeper(store, clock, retention, onError);
 * sweeper.start();
 * await sweeper.stop();
 */
export class RetentionSweeper {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #retention: ResolvedRetention;
  readonly #onError: (error: unknown) => void;
  #timer: TimerHandle | undefined;
  #sweeping: Promise<void> | undefined;
  #stopped = false;
  /** Runs deleted by this sweeper so far. */
  deleted = 0;

  constructor(store: Store, clock: Clock, retention: ResolvedRetention, onError: (error: unknown) => void) {
    this.#store = store;
    this.#clock = clock;
    this.#retention = retention;
    this.#onError = onError;
  }

  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimer(this.#retention.intervalMs, () => {
      this.#timer = undefined;
      this.#sweeping = this.#sweep().finally(() => {
        this.#sweeping = undefined;
        this.start();
      });
    });
  }

  /** Resolves once the sweep in progress (if any) has finished. */
  settled(): Promise<void> {
    return this.#sweeping ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#sweeping;
  }

  async #sweep(): Promise<void> {
    const { keepMs, batchSize, maxBatchesPerSweep } = this.#retention;
    try {
      this.deleted += await purgeExpired(this.#store, keepMs, this.#clock.nowMs(), batchSize, maxBatchesPerSweep);
    } catch (error) {
      this.#onError(error);
    }
  }
}

function whole(value: number | undefined, fallback: number, name: string, min: number, max = Infinity): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min || resolved > max) {
    const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new InvalidArgumentError(
      `createEngine({ retention: { ${name} } }) must be a whole number ${range} (got ${String(value)}).`,
    );
  }
  return resolved;
}
