// Idle memory: heap per run for many runs that sleep or wait for a signal. They must live in SQLite, not in memory:
// the engine may keep only a bounded cache of generators (cacheSize, default 1,000) and one wake-up timer.
import { createEngine } from "@reprise/core";
import Database from "better-sqlite3";
import { type BenchDirectory, nowMs, settledHeapBytes } from "../measure.js";
import { sleeper, waiter } from "../workflows.js";

export interface IdleMemoryResult {
  readonly runs: number;
  /** Heap growth divided by the number of parked runs, after full garbage collection (default cacheSize 1,000). */
  readonly heapBytesPerRun: number;
  readonly heapGrowthBytes: number;
  /** How long it took to start all of them and let them park (seconds), and the rate. */
  readonly parkSeconds: number;
  readonly runsParkedPerSecond: number;
  /** Status counts read back from the file: every run must be sleeping or waiting. */
  readonly statuses: Record<string, number>;
  /** The store file, kept (until the benchmark ends) for the scheduler case. */
  readonly filename: string;
}

const START_CHUNK = 5_000;

export async function measureIdleMemory(dir: BenchDirectory, runs: number): Promise<IdleMemoryResult> {
  const store = await dir.store("idle-memory");
  const engine = createEngine({ store, workflows: [sleeper, waiter] });
  await engine.whenIdle();
  const before = settledHeapBytes();
  const started = nowMs();
  for (let first = 0; first < runs; first += START_CHUNK) {
    const count = Math.min(START_CHUNK, runs - first);
    // Handles are dropped at once: the caller holds nothing per run, so the heap shows what the engine keeps.
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        (first + i) % 2 === 0 ? engine.start(sleeper, undefined) : engine.start(waiter, undefined),
      ),
    );
  }
  await engine.whenIdle();
  const parkSeconds = (nowMs() - started) / 1000;
  const after = settledHeapBytes();
  await engine.close();
  await store.close();

  const raw = new Database(store.filename, { readonly: true });
  const rows = raw.prepare("select status, count(*) as n from runs group by status").all() as {
    status: string;
    n: number;
  }[];
  raw.close();
  const statuses = Object.fromEntries(rows.map((row) => [row.status, row.n]));
  if ((statuses.sleeping ?? 0) + (statuses.waiting ?? 0) !== runs) {
    throw new Error(`expected ${runs} parked runs, found ${JSON.stringify(statuses)}`);
  }
  return {
    runs,
    heapBytesPerRun: (after - before) / runs,
    heapGrowthBytes: after - before,
    parkSeconds,
    runsParkedPerSecond: runs / parkSeconds,
    statuses,
    filename: store.filename,
  };
}
