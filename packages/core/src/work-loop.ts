// A single-flight loop: runs one pass at a time, when poked or when its own timer falls due.
// Owns no engine state; the pass decides what to do and when it wants to run again.
import type { Clock, TimerHandle } from "./clock.js";

/** Runs `pass` on demand, never concurrently; `pass` returns the delay (ms, or Infinity) before the next pass. */
export class WorkLoop {
  readonly #clock: Clock;
  readonly #pass: () => Promise<number>;
  readonly #onError: (error: unknown) => void;
  readonly #retryDelayMs: number;
  #timer: TimerHandle | undefined;
  #timerDueAtMs = Number.POSITIVE_INFINITY;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** Earliest wake-up requested while a pass was running; honoured when it ends. */
  #requestedWakeAtMs = Number.POSITIVE_INFINITY;

  constructor(options: {
    clock: Clock;
    pass: () => Promise<number>;
    onError: (error: unknown) => void;
    retryDelayMs: number;
  }) {
    this.#clock = options.clock;
    this.#pass = options.pass;
    this.#onError = options.onError;
    this.#retryDelayMs = options.retryDelayMs;
  }

  /** Runs a pass as soon as possible (after the current one, if one is running). */
  poke(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#cancelTimer();
    this.#running = this.#runPasses();
  }

  /** Makes sure a pass runs no later than `atMs`. */
  wakeAt(atMs: number): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#requestedWakeAtMs = Math.min(this.#requestedWakeAtMs, atMs);
      return;
    }
    if (atMs < this.#timerDueAtMs) this.#arm(atMs - this.#clock.nowMs());
  }

  /** Whether a pass is running now. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Resolves when no pass is running (at once if none is). */
  async settled(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Stops the loop and waits for a running pass to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer();
    await this.#running;
  }

  async #runPasses(): Promise<void> {
    let delayMs = this.#retryDelayMs;
    try {
      do {
        this.#again = false;
        delayMs = await this.#pass();
      } while (this.#again && !this.#stopped);
    } catch (error) {
      this.#onError(error);
      delayMs = this.#retryDelayMs;
    } finally {
      this.#running = undefined;
    }
    if (!this.#stopped) {
      const requestedDelayMs = this.#requestedWakeAtMs - this.#clock.nowMs();
      this.#requestedWakeAtMs = Number.POSITIVE_INFINITY;
      if (this.#again) this.poke();
      else this.#arm(Math.min(delayMs, requestedDelayMs));
    }
  }

  #arm(delayMs: number): void {
    this.#cancelTimer();
    if (delayMs === Number.POSITIVE_INFINITY) return;
    const safeDelayMs = Math.max(0, delayMs);
    this.#timerDueAtMs = this.#clock.nowMs() + safeDelayMs;
    this.#timer = this.#clock.setTimer(safeDelayMs, () => {
      this.#timer = undefined;
      this.#timerDueAtMs = Number.POSITIVE_INFINITY;
      this.poke();
    });
  }

  #cancelTimer(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerDueAtMs = Number.POSITIVE_INFINITY;
  }
}
