// RunHandle: a typed reference to one run, returned by engine.start().
// Holds only the id and the engine; every call reads the store, so a handle never goes stale.
import type { RunInfo } from "./run-info.js";

/** The engine operations a handle uses. */
export interface RunHandleHost {
  getRun(runId: string): Promise<RunInfo | undefined>;
  waitForResult(runId: string): Promise<unknown>;
}

/**
 * A started run. `result()` waits for the run to finish wherever it executes.
 *
 * @example
 * const run = await engine.start(greet, "Ada", { id: "greet-ada" });
 * console.log(run.id, await run.result());
 */
export class RunHandle<O = unknown> {
  readonly id: string;
  readonly workflow: string;
  readonly #host: RunHandleHost;

  constructor(host: RunHandleHost, id: string, workflow: string) {
    this.#host = host;
    this.id = id;
    this.workflow = workflow;
  }

  /**
   * Resolves with the workflow's return value; rejects with RunFailedError or RunCancelledError.
   *
   * @example
   * try { await run.result(); } catch (e) { if (e instanceof RunFailedError) console.error(e.cause); }
   */
  async result(): Promise<O> {
    return (await this.#host.waitForResult(this.id)) as O;
  }

  /**
   * The run's current state (same as `engine.getRun(run.id)`).
   *
   * @example
   * console.log((await run.info())?.status);
   */
  async info(): Promise<RunInfo<O> | undefined> {
    return (await this.#host.getRun(this.id)) as RunInfo<O> | undefined;
  }
}
