// A run handle for the test engine: reads through whichever engine is current, so it survives restarts,
// and fails fast instead of hanging when a run cannot finish without virtual time passing.
import { RunCancelledError, RunFailedError, type RunInfo } from "@reprise/core";
import { DateTime } from "luxon";
import type { VirtualClock } from "./virtual-clock.js";

/** The test engine operations a handle uses. */
export interface TestRunHandleHost {
  getRun(runId: string): Promise<RunInfo | undefined>;
  settle(): Promise<void>;
}

/** Thrown by `TestRunHandle.result()` when the run is still waiting at the current virtual time. */
export class RunNotFinishedError extends Error {
  readonly runId: string;
  readonly status: string;
  constructor(info: RunInfo, nowMs: number) {
    const at = DateTime.fromMillis(nowMs, { zone: "utc" }).toISO();
    const wait = info.waitingFor === undefined ? "" : ` for ${JSON.stringify(info.waitingFor)}`;
    const until =
      info.wakeAtMs === undefined ? "" : ` until ${DateTime.fromMillis(info.wakeAtMs, { zone: "utc" }).toISO()}`;
    const reason = info.reason === undefined ? "" : ` (${info.reason})`;
    super(
      `Run '${info.id}' has not finished at virtual time ${at}: it is ${info.status}${wait}${until}${reason}. ` +
        `Advance the clock with t.advance(...) or send the signal it waits for, then ask again.`,
    );
    this.name = "RunNotFinishedError";
    this.runId = info.id;
    this.status = info.status;
  }
}

/**
 * A started run in a test engine.
 *
 * @example
 * const run = await t.start(order, input);
 * await t.advance({ days: 1 });
 * expect(await run.result()).toBe("delivered");
 */
export class TestRunHandle<O = unknown> {
  readonly id: string;
  readonly workflow: string;
  readonly #host: TestRunHandleHost;
  readonly #clock: VirtualClock;

  constructor(host: TestRunHandleHost, id: string, workflow: string, clock: VirtualClock) {
    this.#host = host;
    this.id = id;
    this.workflow = workflow;
    this.#clock = clock;
  }

  /** The run's output once finished; rejects like `RunHandle.result()`, or with RunNotFinishedError if it is not done yet. */
  async result(): Promise<O> {
    await this.#host.settle();
    const info = await this.#host.getRun(this.id);
    if (info === undefined) throw new Error(`Run '${this.id}' does not exist.`);
    if (info.status === "completed") return info.result as O;
    if (info.status === "failed") throw new RunFailedError(this.id, info.error ?? new Error("unknown error"));
    if (info.status === "cancelled") throw new RunCancelledError(this.id, info.reason);
    throw new RunNotFinishedError(info, this.#clock.nowMs());
  }

  /** The run's current state. */
  async info(): Promise<RunInfo<O> | undefined> {
    return (await this.#host.getRun(this.id)) as RunInfo<O> | undefined;
  }
}
