// What the FaultyStore tests wrap: a fresh in-memory SqliteStore (closed after each test) and runs to create in it.
// Test data only; engines build real runs themselves.
import { EVENT_LOG_FORMAT_VERSION, type NewRun } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterEach } from "vitest";

const opened: SqliteStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

/** A fresh ":memory:" store, closed after the test. */
export async function memoryStore(): Promise<SqliteStore> {
  const store = await SqliteStore.open({ filename: ":memory:" });
  opened.push(store);
  return store;
}

/** A run of workflow "w" with a null input, created at time 1. */
export function newRun(id: string): NewRun {
  const startedEvent = encodeEvent(
    { type: "run_started", seq: 1, atMs: 1, workflow: "w", input: null, formatVersion: EVENT_LOG_FORMAT_VERSION },
    "input",
    1_000,
  );
  return { id, workflow: "w", input: '{"json":null}', startedEvent, nowMs: 1 };
}
