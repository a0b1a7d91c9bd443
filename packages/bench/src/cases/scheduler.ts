// Scheduler cost: the store calls an engine makes per pass (claimDueRuns, nextDueAtMs) and per heartbeat
// (renewLeases), timed against a store that already holds many parked runs.
import { SqliteStore } from "@reprise/store-sqlite";
import Database from "better-sqlite3";
import { nowMs, repeat, summarize, type Summary } from "../measure.js";
import { newRun } from "../new-runs.js";

export interface SchedulerResult {
  /** Runs already in the store (parked: sleeping or waiting), besides the 100 this engine holds. */
  readonly parkedRuns: number;
  /** claimDueRuns when nothing is due (the common case for a busy engine's pass), µs per call. */
  readonly claimNothingDueUs: Summary;
  /** nextDueAtMs, µs per call. */
  readonly nextDueUs: Summary;
  /** renewLeases for 100 held runs, µs per call (one call per leaseMs / 3 while anything runs). */
  readonly renew100Us: Summary;
}

const CALLS = 200;
const HELD = 100;

/** Times the scheduler's store calls on an existing store file (e.g. the idle-memory case's 100,000 runs). */
export async function measureScheduler(filename: string, repetitions: number): Promise<SchedulerResult> {
  const store = await SqliteStore.open({ filename });
  const workflows = ["bench-sleeper", "bench-waiter", "bench-held"].map((name) => ({ name, version: 1 }));
  const nowAtStart = Date.now();
  for (let i = 0; i < HELD; i++) {
    await store.createRun(newRun(`held-${i}`, "bench-held", i, nowAtStart));
  }
  const held = await store.claimDueRuns({
    owner: "bench",
    nowMs: Date.now(),
    leaseMs: 600_000,
    limit: HELD,
    workflows,
  });
  if (held.length !== HELD) throw new Error(`expected to hold ${HELD} runs, got ${held.length}`);
  const heldIds = held.map((run) => run.id);

  /** Microseconds per call, `CALLS` calls one after another (each awaited, as the engine does). */
  const time = async (call: () => Promise<unknown>): Promise<number> => {
    const started = nowMs();
    for (let i = 0; i < CALLS; i++) await call();
    return ((nowMs() - started) * 1000) / CALLS;
  };
  const samples = await repeat(repetitions, 1, async () => ({
    claim: await time(() =>
      store.claimDueRuns({ owner: "bench", nowMs: Date.now(), leaseMs: 600_000, limit: 100, workflows }),
    ),
    nextDue: await time(() => store.nextDueAtMs(workflows)),
    renew: await time(() => store.renewLeases("bench", heldIds, Date.now(), 600_000)),
  }));
  await store.close();
  return {
    parkedRuns: countParked(filename),
    claimNothingDueUs: summarize(samples.map((s) => s.claim)),
    nextDueUs: summarize(samples.map((s) => s.nextDue)),
    renew100Us: summarize(samples.map((s) => s.renew)),
  };
}

function countParked(filename: string): number {
  const db = new Database(filename, { readonly: true });
  const row = db.prepare("select count(*) as n from runs where status in ('sleeping', 'waiting')").get() as {
    n: number;
  };
  db.close();
  return row.n;
}
