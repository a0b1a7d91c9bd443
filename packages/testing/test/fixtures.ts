// Shared setup for engine behaviour tests: a real temporary SQLite store and engines that are always closed.
// Keeps each test about behaviour, not about plumbing.
import { createEngine, type Engine, type EngineOptions } from "@reprise/core";
import type { SqliteStore } from "@reprise/store-sqlite";
import Database from "better-sqlite3";
import { afterEach } from "vitest";
import { temporaryStore, type TemporaryStore } from "../src/index.js";

/** A temporary store plus engines on it; everything is closed and deleted after the test. */
export interface Fixture {
  readonly tmp: TemporaryStore;
  readonly store: SqliteStore;
  /** Creates an engine on the fixture's first connection (or the given store). */
  engine(options: Omit<EngineOptions, "store"> & { store?: EngineOptions["store"] }): Engine;
  /** Errors engines reported from background work; the test fails if any remain at its end. */
  readonly backgroundErrors: unknown[];
}

const cleanups: (() => Promise<void>)[] = [];
let backgroundErrors: unknown[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
  const unexpected = backgroundErrors;
  backgroundErrors = [];
  if (unexpected.length > 0)
    throw new Error(`Engines reported background errors: ${unexpected.map(String).join("; ")}`);
});

/** Opens a fresh store for one test. */
export async function fixture(): Promise<Fixture> {
  const tmp = await temporaryStore();
  cleanups.push(() => tmp.cleanup());
  const errors = backgroundErrors;
  return {
    tmp,
    store: tmp.store,
    backgroundErrors: errors,
    engine(options) {
      const engine = createEngine({
        pollIntervalMs: 50,
        onError: (error) => errors.push(error),
        ...options,
        store: options.store ?? tmp.store,
      });
      cleanups.push(() => engine.close());
      return engine;
    },
  };
}

/** Records calls so tests can assert how often a side effect ran. */
export function counter(): { readonly count: number; bump(): number } {
  let count = 0;
  return {
    get count() {
      return count;
    },
    bump: () => ++count,
  };
}

/**
 * Row counts of every table, plus each run's last seq and status: equal before and after a rejected call means
 * the call wrote nothing.
 */
export function storeSnapshot(f: Fixture): Record<string, number | string> {
  const db = new Database(f.tmp.filename, { readonly: true });
  try {
    const count = (table: string) => (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    const runs = db.prepare("select group_concat(id || ':' || last_seq || ':' || status) as s from runs").get() as {
      s: string | null;
    };
    return { runs: count("runs"), events: count("events"), signals: count("signals"), lastSeqs: runs.s ?? "" };
  } finally {
    db.close();
  }
}
