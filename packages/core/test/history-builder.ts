// A tiny builder for hand-made histories in replay tests: seq and atMs are filled in, events read like a story.
import { EVENT_LOG_FORMAT_VERSION, type HistoryEvent, type NewEvent } from "../src/index.js";

/** Builds a run's history event by event. */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];

  constructor(workflow: string, input: unknown) {
    this.add({ type: "run_started", workflow, input, formatVersion: EVENT_LOG_FORMAT_VERSION });
  }

  add(event: NewEvent): this {
    this.events.push({ ...event, seq: this.events.length + 1, atMs: 1_000 * (this.events.length + 1) });
    return this;
  }

  step(name: string, result: unknown, attempt = 1): this {
    return this.add({ type: "step_completed", name, attempt, result });
  }
}

/** Starts a history of `workflow` with `input`. */
export function history(workflow: string, input?: unknown): HistoryBuilder {
  return new HistoryBuilder(workflow, input);
}
