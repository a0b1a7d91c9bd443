// An AbortController made only when a step reads `ctx.signal`: most steps never do, and each controller costs
// an EventTarget (microseconds per step on the hot path). Observable behaviour is that of a plain controller.

/** Aborting before anyone asked for the signal is remembered: the signal is born aborted, with the same reason. */
export class LazyAbortController {
  #controller: AbortController | undefined;
  #aborted: { readonly reason: unknown } | undefined;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted !== undefined) this.#controller.abort(this.#aborted.reason);
    }
    return this.#controller.signal;
  }

  /** Like AbortController.abort: the first reason wins, later calls do nothing. */
  abort(reason: unknown): void {
    if (this.#aborted !== undefined) return;
    this.#aborted = { reason };
    this.#controller?.abort(reason);
  }
}
