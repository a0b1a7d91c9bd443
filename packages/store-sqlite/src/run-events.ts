// Appending events to a run's log, inside the caller's write.
// Never checks a lease: run-commit.ts does that before it appends.
import type { EventRecord } from "@reprise/core";
import type { PreparedStatements } from "./statements.js";

/**
 * Appends events to a run's log (its `run_key` range).
 *
 * @example
 * insertEvents(statements, runKey, commit.events);
 */
export function insertEvents(statements: PreparedStatements, runKey: number, events: readonly EventRecord[]): void {
  for (const event of events) {
    statements.run("insertEvent", { runKey, seq: event.seq, type: event.type, atMs: event.atMs, data: event.data });
  }
}
