// The run_started events of runs this engine created while it had no free slot, kept until it claims them, so
// such a run starts from the event it just wrote instead of reading its history back from the store.
import type { EventRecord } from "./events.js";

/** Runs remembered at most: a few hundred bytes each for a small input. */
const MAX_ENTRIES = 10_000;
/** Encoded characters kept at most, whatever the entry count: each input can be up to `maxPayloadBytes`. */
const MAX_CHARACTERS = 4 * 1024 * 1024;

/**
 * A bounded first-in-first-out memory of runs' first events; each entry is used (or dropped) once.
 *
 * @example
 * const started = new StartedEvents();
 * started.remember("order-7", startedEvent);
 * started.take("order-7", 1); // [startedEvent]: the log still ends at seq 1
 */
export class StartedEvents {
  readonly #entries = new Map<string, EventRecord>();
  #characters = 0;

  /**
   * Keeps the event, dropping the oldest entries while over the bounds. Entries of runs another engine claimed
   * are never taken here; dropping the oldest first is what clears them out.
   */
  remember(runId: string, started: EventRecord): void {
    if (started.data.length > MAX_CHARACTERS) return;
    this.#drop(runId);
    this.#entries.set(runId, started);
    this.#characters += started.data.length;
    while (this.#entries.size > MAX_ENTRIES || this.#characters > MAX_CHARACTERS) {
      this.#drop(this.#entries.keys().next().value as string);
    }
  }

  /** The run's whole log, if it is still just the remembered run_started event (`lastSeq` 1). */
  take(runId: string, lastSeq: number): readonly EventRecord[] | undefined {
    const started = this.#entries.get(runId);
    if (started === undefined) return undefined;
    this.#drop(runId);
    return lastSeq === started.seq ? [started] : undefined;
  }

  get size(): number {
    return this.#entries.size;
  }

  #drop(runId: string): void {
    const started = this.#entries.get(runId);
    if (started === undefined) return;
    this.#entries.delete(runId);
    this.#characters -= started.data.length;
  }
}
