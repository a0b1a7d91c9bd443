// The only place @reprise/core reads wall-clock time or arms timers; tests swap in a virtual clock.
// Timers here are wake-ups only: deadlines live in the store, so a lost timer delays work, never loses it.

/** A cancellable wake-up. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * Where the engine gets the time and its wake-ups. Implement it to control time in tests.
 *
 * @example
 * const clock: Clock = { nowMs: () => Date.now(), setTimer: (ms, fn) => { const t = setTimeout(fn, ms); return { cancel: () => clearTimeout(t) }; } };
 */
export interface Clock {
  /** Current time, epoch milliseconds. */
  nowMs(): number;
  /** Calls `fn` once, no earlier than `delayMs` from now. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
}

/** setTimeout's upper bound: longer delays overflow and fire at once, so they are split into hops. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The real clock: `Date.now()` and `setTimeout`, with delays beyond 2^31−1 ms split into several timers.
 *
 * @example
 * createEngine({ store, workflows, clock: systemClock });
 */
export const systemClock: Clock = Object.freeze({
  nowMs: () => Date.now(),
  setTimer(delayMs: number, fn: () => void): TimerHandle {
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (remainingMs: number): void => {
      const hop = Math.min(Math.max(remainingMs, 0), MAX_TIMEOUT_MS);
      timer = setTimeout(() => {
        if (cancelled) return;
        if (remainingMs > MAX_TIMEOUT_MS) arm(remainingMs - MAX_TIMEOUT_MS);
        else fn();
      }, hop);
    };
    arm(delayMs);
    return {
      cancel() {
        cancelled = true;
        if (timer !== undefined) clearTimeout(timer);
      },
    };
  },
});
