// Wake-ups for callers waiting on runs (RunHandle.result): notified on local completion and on every poll.
// A local completion hands waiters the run's final state (durable, and final, so no re-read is needed).
import type { FinishedRun } from "./run-info.js";

/** Lets callers wait until something about a run may have changed. */
export class RunWatchers {
  readonly #waiters = new Map<string, Set<(finished: FinishedRun | undefined) => void>>();

  /**
   * A promise that resolves at the next notification for `runId` (or for all runs): with the run's final state
   * if it just finished here, otherwise with undefined (look in the store).
   */
  next(runId: string): Promise<FinishedRun | undefined> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(runId);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(runId, set);
      }
      set.add(resolve);
    });
  }

  notify(runId: string, finished?: FinishedRun): void {
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
