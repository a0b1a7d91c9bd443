// A bounded least-recently-used cache of parked runs' replayers, so a woken run resumes without replay.
// An entry is only reused when the store's log still ends where the cached replayer stopped.
import type { Replayer } from "./replay.js";

/** Keeps at most `capacity` replayers; the least recently parked one is dropped first. */
export class ReplayerCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, Replayer>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Removes and returns the run's replayer if it stopped exactly at `lastSeq`. */
  take(runId: string, lastSeq: number): Replayer | undefined {
    const replayer = this.#entries.get(runId);
    if (replayer === undefined) return undefined;
    this.#entries.delete(runId);
    return replayer.lastSeq === lastSeq ? replayer : undefined;
  }

  put(replayer: Replayer): void {
    if (this.#capacity <= 0) return;
    this.#entries.delete(replayer.runId);
    this.#entries.set(replayer.runId, replayer);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  delete(runId: string): void {
    this.#entries.delete(runId);
  }

  get size(): number {
    return this.#entries.size;
  }
}
