// Narrates what a run waits for (a signal, a durable timer) and which signals arrived, by polling
// engine.getRun() and engine.history(), the reads any dashboard would use. It never changes the run.
import type { Engine, HistoryEvent, RunInfo } from "@reprise/core";
import { clockTime, type Narrator } from "./narrator.js";

/** What a RunWatcher watches and whom it tells. */
export interface RunWatcherOptions {
  readonly engine: Engine;
  readonly runId: string;
  readonly say: Narrator;
  /** Events up to this seq are already known and not narrated again. */
  readonly afterSeq: number;
  /** Called once each time the run starts waiting for a signal (the demo prints how to send it). */
  readonly onSignalWait: (name: string, timeoutAtMs: number | undefined) => void;
}

/**
 * Polls one run every 100 ms and narrates changes: "sleeping until 14:03:27", "signal 'shipped' received".
 *
 * @example
 * const watcher = new RunWatcher({ engine, runId, say, afterSeq: 0, onSignalWait: () => {} });
 * watcher.start();
 * await run.result();
 * await watcher.stop(); // narrates what is left, then stops
 */
export class RunWatcher {
  readonly #options: RunWatcherOptions;
  #seenSeq: number;
  #lastWait = "";
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;

  constructor(options: RunWatcherOptions) {
    this.#options = options;
    this.#seenSeq = options.afterSeq;
  }

  /** Starts polling. */
  start(): void {
    this.#timer = setInterval(() => {
      this.#polling ??= this.#poll().finally(() => (this.#polling = undefined));
    }, 100);
  }

  /** Stops polling; with `catchUp`, narrates anything not yet narrated first (the store must still be open). */
  async stop(catchUp = true): Promise<void> {
    clearInterval(this.#timer);
    await this.#polling?.catch(() => undefined);
    if (catchUp) await this.#poll();
  }

  async #poll(): Promise<void> {
    const { engine, runId } = this.#options;
    const info = await engine.getRun(runId);
    if (info === undefined) return;
    if (info.lastSeq > this.#seenSeq) {
      const events = (await engine.history(runId)).filter((event) => event.seq > this.#seenSeq);
      for (const event of events) this.#narrateEvent(event);
      this.#seenSeq = Math.max(this.#seenSeq, ...events.map((event) => event.seq));
    }
    this.#narrateWait(info);
  }

  #narrateEvent(event: HistoryEvent): void {
    const { say, runId } = this.#options;
    if (event.type === "signal_received") {
      say.line(`signal '${event.name}' received: ${JSON.stringify(event.payload)}`, runId);
    } else if (event.type === "signal_timed_out") {
      say.line(`no '${event.name}' signal arrived in time; carrying on without it`, runId);
    }
  }

  #narrateWait(info: RunInfo): void {
    const wait = info.waitingFor;
    const key = wait === undefined ? "" : `${wait.kind}:${"name" in wait ? wait.name : ""}:${info.wakeAtMs}`;
    if (key === this.#lastWait) return;
    this.#lastWait = key;
    if (info.status === "waiting" && wait?.kind === "signal") {
      this.#options.onSignalWait(wait.name, info.wakeAtMs);
    } else if (info.status === "sleeping" && wait?.kind === "timer" && info.wakeAtMs !== undefined) {
      this.#options.say.line(
        `sleeping ${formatSeconds(info.wakeAtMs - Date.now())} until ${clockTime(info.wakeAtMs)} before the ` +
          "follow-up — a durable timer: its deadline is in the database, so it survives a restart",
        this.#options.runId,
      );
    }
  }
}

function formatSeconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 100) / 10)} s`;
}
