// Waiting for runs to finish (RunHandle.result): wake-ups on local completion and on every poll, and the wait itself.
// A local completion hands waiters the run's final state (durable, and final, so no re-read is needed).
import { EngineClosedError, RunNotFoundError } from "./errors.js";
import { finishedOutcome } from "./run-info.js";
import type { RunOutcomeRecord, Store } from "./store.js";

/** Lets callers wait until something about a run may have changed. */
export class RunWatchers {
  readonly #waiters = new Map<string, Set<(finished: RunOutcomeRecord | undefined) => void>>();

  /**
   * A promise that resolves at the next notification for `runId` (or for all runs): with the run's final state
   * if it just finished here, otherwise with undefined (look in the store).
   */
  next(runId: string): Promise<RunOutcomeRecord | undefined> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(runId);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(runId, set);
      }
      set.add(resolve);
    });
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
 * (`getRunOutcome`, not the whole row), then again at each wake-up that does not bring the final state.
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
    const changed = watchers.next(runId);
    const run = await store.getRunOutcome(runId);
    if (run === undefined) throw new RunNotFoundError(runId);
    let outcome = finishedOutcome(runId, run);
    if (outcome === undefined && isClosing()) throw new EngineClosedError(`wait for run '${runId}'`);
    if (outcome === undefined) {
      // A run that finished here comes with its final state: a finished run never changes, so no re-read.
      const finished = await changed;
      if (finished !== undefined) outcome = finishedOutcome(runId, finished);
    }
    if (outcome === undefined) continue;
    if ("error" in outcome) throw outcome.error;
    return outcome.value;
  }
}
