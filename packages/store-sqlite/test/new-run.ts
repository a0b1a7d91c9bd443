// The run the store tests create: workflow "w" with a run_started event, and an input of a chosen size.
// Test data only; the engine builds real runs itself.
import { EVENT_LOG_FORMAT_VERSION, type NewRun } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";

/** A run of workflow "w" created at time 1, whose stored input is a string of `inputBytes` characters (or null). */
export function newRun(id: string, inputBytes?: number): NewRun {
  const startedEvent = encodeEvent(
    { type: "run_started", seq: 1, atMs: 1, workflow: "w", input: null, formatVersion: EVENT_LOG_FORMAT_VERSION },
    "input",
    10_000,
  );
  const input = inputBytes === undefined ? '{"json":null}' : JSON.stringify({ json: "x".repeat(inputBytes) });
  return { id, workflow: "w", input, startedEvent, nowMs: 1 };
}
