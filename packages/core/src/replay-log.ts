// Rebuilding a run from its stored log, and what a run that cannot be rebuilt is blocked with.
// Shared by executions (a cache miss) and the engine's start-up check of parked runs; never writes anything.
import { encodeValue } from "./codec.js";
import { CorruptEventError, NonDeterminismError } from "./errors.js";
import { decodeEvent, toErrorInfo, type EventRecord } from "./events.js";
import { Replayer } from "./replay.js";
import type { WorkflowDefinition } from "./workflow.js";

/** Room for an event or a run row carrying a truncated error (8 KiB message, 16 KiB stack, JSON escaping). */
export const ERROR_EVENT_LIMIT_BYTES = 128 * 1024;

/** Why a run cannot be rebuilt with this code: its history diverges, or cannot be read. */
export type BlockingError = NonDeterminismError | CorruptEventError;

/**
 * Feeds a run's whole log to a new replayer. Returns it, or the error that blocks the run with this code; any
 * other error is thrown. What replay withdrew was undone by the writes that recorded it, so it is dropped.
 *
 * @example
 * const replayed = replayLog("order-1", order, await store.readEvents("order-1"));
 * if ("blocking" in replayed) console.log(replayed.blocking.message);
 */
export function replayLog(
  runId: string,
  definition: WorkflowDefinition<never, unknown>,
  records: readonly EventRecord[],
): { readonly replayer: Replayer } | { readonly blocking: BlockingError } {
  const replayer = new Replayer(runId, definition);
  try {
    for (const record of records) replayer.apply(decodeEvent(runId, record));
  } catch (error) {
    if (error instanceof NonDeterminismError || error instanceof CorruptEventError) return { blocking: error };
    throw error;
  }
  replayer.takeWithdrawn();
  return { replayer };
}

/**
 * The `reason` and encoded `error` a blocked run carries in its row, as every way of blocking one writes them.
 *
 * @example
 * const { reason, error } = blockedRecord(divergence, maxPayloadBytes);
 */
export function blockedRecord(blocking: BlockingError, maxPayloadBytes: number): { reason: string; error: string } {
  const limit = Math.max(maxPayloadBytes, ERROR_EVENT_LIMIT_BYTES);
  return {
    reason: `${blocking.name}: ${blocking.message}`,
    error: encodeValue(toErrorInfo(blocking), "The blocking error", limit),
  };
}
