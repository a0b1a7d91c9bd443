// Runs as start() writes them (the encoded input and the run_started event), for the cases that fill a store
// directly through the Store API instead of through an engine.
import { DEFAULT_MAX_PAYLOAD_BYTES, encodeValue, EVENT_LOG_FORMAT_VERSION } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import type { NewRun } from "@reprise/core";

/**
 * The `createRun` argument for a run of `workflow` with `input`, encoded with the engine's own encoder.
 *
 * @example
 * await store.createRun(newRun("held-1", "bench-held", 1, Date.now()));
 */
export function newRun(id: string, workflow: string, input: unknown, nowMs: number): NewRun {
  const startedEvent = encodeEvent(
    { type: "run_started", seq: 1, atMs: nowMs, workflow, input, formatVersion: EVENT_LOG_FORMAT_VERSION },
    "The workflow input",
    DEFAULT_MAX_PAYLOAD_BYTES,
  );
  return {
    id,
    workflow,
    input: encodeValue(input, "The workflow input", DEFAULT_MAX_PAYLOAD_BYTES),
    startedEvent,
    nowMs,
  };
}
