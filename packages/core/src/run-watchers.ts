// Wake-ups for callers waiting on runs (RunHandle.result): notified on local completion and on every poll.
// Holds only resolvers, never run data; a waiter always re-reads the store after waking.

/** Lets callers wait until something about a run may have changed. */
export class RunWatchers {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** A promise that resolves at the next notification for `runId` (or for all runs). */
  next(runId: string): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(runId);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(runId, set);
      }
      set.add(resolve);
    });
  }

  notify(runId: string): void {
    const set = this.#waiters.get(runId);
    if (set === undefined) return;
    this.#waiters.delete(runId);
    for (const resolve of set) resolve();
  }

  notifyAll(): void {
    for (const runId of [...this.#waiters.keys()]) this.notify(runId);
  }

  get watching(): number {
    return this.#waiters.size;
  }
}
