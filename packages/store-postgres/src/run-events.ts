// Appending events to a run's log, inside the caller's transaction: one multi-row INSERT for any number of events.
// Never checks a lease: run-commit.ts does that before it appends.
import type { EventRecord } from "@reprise/core";
import type { Statements } from "./statements.js";

/**
 * Appends events to a run's log (its `run_key` range) in one statement; nothing for an empty list.
 *
 * @example
 * await insertEvents(statements, runKey, commit.events);
 */
export async function insertEvents(
  statements: Statements,
  runKey: number,
  events: readonly EventRecord[],
): Promise<void> {
  if (events.length === 0) return;
  await statements.run("insertEvents", {
    runKey,
    seqs: events.map((event) => event.seq),
    types: events.map((event) => event.type),
    atMs: events.map((event) => event.atMs),
    data: events.map((event) => event.data),
  });
}
