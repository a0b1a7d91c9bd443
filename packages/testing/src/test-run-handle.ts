// A run handle for the test engine: reads through whichever engine is current, so it survives restarts,
// and fails fast instead of hanging when a run cannot finish without virtual time passing.
import { RunCancelledError, RunFailedError, type RunInfo, type WaitInfo } from "@reprise/core";
import { DateTime } from "luxon";
import type { VirtualClock } from "./virtual-clock.js";

/** The test engine operations a handle uses. */
export interface TestRunHandleHost {
  getRun(runId: string): Promise<RunInfo | undefined>;
  settle(): Promise<void>;
}

/**
 * Thrown by `TestRunHandle.result()` when the run is still waiting at the current virtual time. The message says
 * in words what it waits for ("waiting for signal 'shipped' (times out at ...)", "sleeping until ...") and how to
 * move it on.
 *
 * @example
 * const error = await run.result().catch((e: unknown) => e);
 * if (error instanceof RunNotFinishedError) console.log(error.status, error.waitingFor);
 */
export class RunNotFinishedError extends Error {
  readonly runId: string;
  readonly status: string;
  readonly waitingFor: WaitInfo | undefined;
  readonly wakeAtMs: number | undefined;
  constructor(info: RunInfo, nowMs: number) {
    const reason = info.reason === undefined ? "" : ` (${info.reason})`;
    const stray = info.pendingSignals ?? [];
    const inbox =
      stray.length === 0
        ? ""
        : ` Its inbox holds signals no awaitSignal() has taken: ${stray.map((signal) => `'${signal.name}'`).join(", ")}.`;
    super(
      `Run '${info.id}' has not finished at virtual time ${isoTime(nowMs)}: it is ${describeState(info)}${reason}.` +
        `${inbox} ${nextMove(info)}, then ask again.`,
    );
    this.name = "RunNotFinishedError";
    this.runId = info.id;
    this.status = info.status;
    this.waitingFor = info.waitingFor;
    this.wakeAtMs = info.wakeAtMs;
  }
}

/** "waiting for signal 'x' (times out at ...)", "sleeping until ...", "retrying step 'x' at ...", or the status. */
function describeState(info: RunInfo): string {
  const wait = info.waitingFor;
  const at = info.wakeAtMs === undefined ? undefined : isoTime(info.wakeAtMs);
  if (wait?.kind === "signal")
    return `waiting for signal '${wait.name}' (${at === undefined ? "no timeout" : `times out at ${at}`})`;
  if (wait?.kind === "timer") return `sleeping${at === undefined ? "" : ` until ${at}`}`;
  if (wait?.kind === "retry") return `retrying step '${wait.step}'${at === undefined ? "" : ` at ${at}`}`;
  return info.status;
}

function nextMove(info: RunInfo): string {
  const wait = info.waitingFor;
  if (wait?.kind === "signal") {
    const timeout = info.wakeAtMs === undefined ? "" : " or advance the clock past its timeout with t.advance(...)";
    return `Send it with t.signal('${info.id}', '${wait.name}', payload)${timeout}`;
  }
  if (wait !== undefined) return "Advance the clock with t.advance(...)";
  return "Advance the clock with t.advance(...) or send the signal it waits for";
}

function isoTime(ms: number): string {
  return DateTime.fromMillis(ms, { zone: "utc" }).toISO() ?? String(ms);
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
