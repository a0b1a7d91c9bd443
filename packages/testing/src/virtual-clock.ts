// A Clock whose time moves only when a test says so; timers fire in deadline order as time passes.
// Lets a test run months of durable timers in milliseconds with the same engine code as production.
import type { Clock, TimerHandle } from "@reprise/core";
import { Duration, type DurationLike } from "luxon";

interface PendingTimer {
  readonly id: number;
  readonly dueAtMs: number;
  readonly fn: () => void;
}

/** Lets pending promise callbacks and I/O callbacks run a few rounds. */
async function settleMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A manually advanced clock. Timers armed with a delay of zero or less are already due, so they
 * fire on the next turn of the event loop without an `advance`.
 *
 * @example
 * const clock = new VirtualClock();
 * const engine = createEngine({ store, workflows: [reminder], clock, pollIntervalMs: Infinity });
 * await clock.advance({ days: 30 }); // every timer due in the next 30 days fires, in order
 */
export class VirtualClock implements Clock {
  #nowMs: number;
  #nextId = 0;
  #timers: PendingTimer[] = [];

  /** Starts at `startMs` (default 2030-01-01T00:00:00Z), so tests never depend on the real date. */
  constructor(startMs: number = Date.UTC(2030, 0, 1)) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    if (delayMs <= 0) {
      let cancelled = false;
      setImmediate(() => {
        if (!cancelled) fn();
      });
      return { cancel: () => (cancelled = true) };
    }
    const timer = { id: this.#nextId++, dueAtMs: this.#nowMs + delayMs, fn };
    this.#timers.push(timer);
    return { cancel: () => (this.#timers = this.#timers.filter((t) => t !== timer)) };
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the earliest pending timer is due, if any. */
  nextTimerAtMs(): number | undefined {
    return this.#nextTimer()?.dueAtMs;
  }

  /**
   * Moves time forward by `duration` (ms or a luxon duration), firing each timer at its own deadline,
   * in order, and awaiting `settle` after each so the work it starts finishes before the next fires.
   */
  async advance(duration: DurationLike, settle: () => Promise<void> = settleMicrotasks): Promise<void> {
    const targetMs = this.#nowMs + Duration.fromDurationLike(duration).toMillis();
    await settle();
    for (;;) {
      const next = this.#nextTimer();
      if (next === undefined || next.dueAtMs > targetMs) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#nowMs = Math.max(this.#nowMs, next.dueAtMs);
      next.fn();
      await settle();
    }
    this.#nowMs = Math.max(this.#nowMs, targetMs);
    await settle();
  }

  /** Sets the time directly, e.g. backwards to test clock skew. Fires nothing by itself. */
  setNow(ms: number): void {
    this.#nowMs = ms;
  }

  #nextTimer(): PendingTimer | undefined {
    let next: PendingTimer | undefined;
    for (const timer of this.#timers) {
      if (
        next === undefined ||
        timer.dueAtMs < next.dueAtMs ||
        (timer.dueAtMs === next.dueAtMs && timer.id < next.id)
      ) {
        next = timer;
      }
    }
    return next;
  }
}
