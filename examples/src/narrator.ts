// The demo's console output: plain lines, prefixed with the run id, and one line per step attempt that
// opens when the attempt starts and is completed with its outcome ("... charged €57.50 as ch_…").
import type { ProgressReporter } from "./order-workflow.js";

/**
 * Writes the demo's narration to stdout. Implements the workflow's ProgressReporter.
 *
 * @example
 * const say = new Narrator();
 * say.line("waiting for the 'shipped' signal", "order-1001"); // "[order-1001] waiting for the 'shipped' signal"
 */
export class Narrator implements ProgressReporter {
  /** Whether a step attempt's line is open (started, outcome not yet written). */
  #open = false;

  /** Prints one line, prefixed with `[runId]` when given. */
  line(text: string, runId?: string): void {
    this.#closeOpenLine();
    process.stdout.write(`${runId === undefined ? "" : `[${runId}] `}${text}\n`);
  }

  /** Opens the line of a step attempt: "[order-1001] step 'charge' attempt 2 ...". */
  stepStarted(runId: string, step: string, attempt: number): void {
    this.#closeOpenLine();
    process.stdout.write(`[${runId}] step '${step}' attempt ${attempt} ...`);
    this.#open = true;
  }

  /** Completes the open step line with the attempt's outcome. */
  stepFinished(outcome: string): void {
    process.stdout.write(this.#open ? ` ${outcome}\n` : `    ${outcome}\n`);
    this.#open = false;
  }

  #closeOpenLine(): void {
    if (this.#open) process.stdout.write("\n");
    this.#open = false;
  }
}

/**
 * A time of day for humans, e.g. "14:03:27".
 *
 * @example
 * clockTime(Date.now());
 */
export function clockTime(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString("en-GB");
}
