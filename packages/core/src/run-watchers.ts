// Waiting for runs to finish (RunHandle.result): wake-ups on local completion and on each poll, and the wait itself.
// A poll (on the interval, or when the store reports runs ended) asks what ended since the last one; decodes nothing.
import { EngineClosedError, RunNotFoundError } from "./errors.js";
import { finishedOutcome } from "./run-info.js";
import type { RunOutcomeRecord, Store } from "./store.js";

/** Run endings read per store call while polling: bounds what one answer holds in memory. */
export const FINISHED_RUNS_PAGE_SIZE = 500;
/** Most pages one poll reads (25,000 endings); a larger backlog is read by the following polls. */
const MAX_PAGES_PER_POLL = 50;

/**
 * Lets callers wait until a run finished, here or in any other engine on the store.
 *
 * Runs this engine finishes are handed to their waiters at once (`notify`). For the others, `poll()` reads the
 * runs that ended since the previous poll from the store's order of endings (`finishedRunsSince`): one query per
 * poll (per 500 endings), however many handles wait, and only the outcomes of runs someone waits for are decoded.
 *
 * @example
 * const watchers = new RunWatchers(store, { polling: true });
 * const watch = watchers.watch("order-7");
 * await watchers.ready(); // before reading the run: an ending after that read is caught by a later poll
 * const finished = await watch.changed;
 */
export class RunWatchers {
  readonly #store: Store;
  readonly #polling: boolean;
  readonly #waiters = new Map<string, Set<(finished: RunOutcomeRecord | undefined) => void>>();
  /** Endings up to this position in the store's order are handled; undefined until first needed. */
  #cursor: number | undefined;
  #cursorRead: Promise<void> | undefined;
  /** Counts registrations, so that a poll can tell whether a waiter arrived while it read. */
  #registrations = 0;
  /** The poll reading now, and the one queued after it (see poll). */
  #pollInProgress: Promise<void> | undefined;
  #pollAfter: Promise<void> | undefined;

  constructor(store: Store, options: { readonly polling: boolean }) {
    this.#store = store;
    this.#polling = options.polling;
  }

  /**
   * Starts watching `runId`: `changed` resolves at the next notification for it, with the run's final state if it
   * finished (here, or as a poll found), or with undefined when the engine closes (look in the store). Call `stop()`
   * when no longer waiting, so that a finished run's watch does not linger.
   */
  watch(runId: string): { readonly changed: Promise<RunOutcomeRecord | undefined>; stop(): void } {
    this.#registrations += 1;
    let set = this.#waiters.get(runId);
    if (set === undefined) {
      set = new Set();
      this.#waiters.set(runId, set);
    }
    const waiters = set;
    let resolver: ((finished: RunOutcomeRecord | undefined) => void) | undefined;
    const changed = new Promise<RunOutcomeRecord | undefined>((resolve) => (resolver = resolve));
    const entry = resolver as (finished: RunOutcomeRecord | undefined) => void;
    waiters.add(entry);
    return {
      changed,
      stop: () => {
        waiters.delete(entry);
        if (waiters.size === 0 && this.#waiters.get(runId) === waiters) this.#waiters.delete(runId);
      },
    };
  }

  /**
   * Resolves once polls will see every run that ends from now on. A waiter calls it after `watch()` and before it
   * reads its run, so that an ending after that read has a position after the cursor. Reads the store at most
   * once per engine (the first time); at once when polling is off.
   */
  async ready(): Promise<void> {
    if (!this.#polling || this.#cursor !== undefined) return;
    this.#cursorRead ??= this.#store
      .finishedRunsSince(0, 0)
      .then((page) => {
        this.#cursor ??= page.cursor;
      })
      .finally(() => {
        this.#cursorRead = undefined;
      });
    await this.#cursorRead;
  }

  /**
   * Hands the waiters of every run that ended since the last poll its final state. With nobody waiting it only
   * moves the cursor to "now" (one cheap query), so a later waiter never pages through old endings.
   *
   * Single-flight: the engine polls on its interval and whenever the store reports runs ended (a change
   * notification), and those may overlap. A call made while a poll reads gets one more poll after it (calls
   * meanwhile share it), so its answer still covers every ending committed before the call.
   */
  poll(): Promise<void> {
    if (this.#pollInProgress === undefined) {
      this.#pollInProgress = this.#pollOnce().finally(() => {
        this.#pollInProgress = undefined;
      });
      return this.#pollInProgress;
    }
    this.#pollAfter ??= this.#pollInProgress
      .catch(() => {})
      .then(() => {
        this.#pollAfter = undefined;
        return this.poll();
      });
    return this.#pollAfter;
  }

  /**
   * Resolves once no poll is reading the store (failures are the poll's caller's to report). The engine awaits it
   * on close, so that a poll a change notification started never reads a store the caller has closed meanwhile.
   */
  async settled(): Promise<void> {
    while (this.#pollInProgress !== undefined || this.#pollAfter !== undefined) {
      await (this.#pollAfter ?? this.#pollInProgress)?.catch(() => {});
    }
  }

  async #pollOnce(): Promise<void> {
    if (!this.#polling) return;
    if (this.#cursor === undefined) return this.ready();
    if (this.#waiters.size === 0) {
      const registrations = this.#registrations;
      const { cursor } = await this.#store.finishedRunsSince(this.#cursor, 0);
      // A waiter that arrived meanwhile may have read its run before that answer: skipping ahead could miss it.
      if (registrations === this.#registrations) this.#cursor = Math.max(this.#cursor, cursor);
      return;
    }
    for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
      const { runs, cursor } = await this.#store.finishedRunsSince(this.#cursor, FINISHED_RUNS_PAGE_SIZE);
      this.#cursor = cursor;
      for (const run of runs) if (this.#waiters.has(run.runId)) this.notify(run.runId, run.outcome);
      if (runs.length < FINISHED_RUNS_PAGE_SIZE || this.#waiters.size === 0) return;
    }
  }

  notify(runId: string, finished?: RunOutcomeRecord): void {
    const set = this.#waiters.get(runId);
    if (set === undefined) return;
    this.#waiters.delete(runId);
    for (const resolve of set) resolve(finished);
  }

  notifyAll(): void {
    for (const runId of [...this.#waiters.keys()]) this.notify(runId);
  }

  get watching(): number {
    return this.#waiters.size;
  }
}

/**
 * Resolves with a run's return value once it finished, or throws what `result()` throws: RunFailedError,
 * RunCancelledError, RunNotFoundError, or EngineClosedError if the engine closes first. Reads the run's outcome
 * once (`getRunOutcome`, not the whole row); after that a local completion or a poll brings the final state.
 *
 * @example
 * const value = await waitForResult("order-1", store, watchers, () => closing !== undefined);
 */
export async function waitForResult(
  runId: string,
  store: Store,
  watchers: RunWatchers,
  isClosing: () => boolean,
): Promise<unknown> {
  for (;;) {
    const watch = watchers.watch(runId);
    let outcome: ReturnType<typeof finishedOutcome>;
    try {
      await watchers.ready();
      const run = await store.getRunOutcome(runId);
      if (run === undefined) throw new RunNotFoundError(runId);
      outcome = finishedOutcome(runId, run);
      if (outcome === undefined && isClosing()) throw new EngineClosedError(`wait for run '${runId}'`);
      if (outcome === undefined) {
        // A finished run never changes: the final state a notification brings needs no re-read.
        const finished = await watch.changed;
        if (finished !== undefined) outcome = finishedOutcome(runId, finished);
      }
    } finally {
      watch.stop();
    }
    if (outcome === undefined) continue;
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  }
}
