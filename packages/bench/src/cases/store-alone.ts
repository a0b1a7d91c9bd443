// The store alone: the throughput case's workflows as nothing but the store calls an engine makes for them, with
// no engine. What any engine on SqliteStore could reach at most with this schema and these durability settings.
import { randomUUID } from "node:crypto";
import { DEFAULT_MAX_PAYLOAD_BYTES, encodeValue } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import type { EventRecord, RunCommit, Store } from "@reprise/core";
import { type StoreSource, nowMs, repeat, type Storage, summarize, type Summary } from "../measure.js";
import { newRun } from "../new-runs.js";
import { threeSteps } from "../workflows.js";

export interface StoreAloneResult {
  readonly workflows: number;
  readonly workflowsPerSecond: Summary;
  /** Statements per workflow, from `store.stats()`: what the engine's own reads and claims add is left out. */
  readonly statementsPerWorkflow: number;
}

export interface StoreAloneOptions {
  readonly workflows: number;
  readonly repetitions: number;
  /** How many workflows are in flight at once: the engine's default concurrency. */
  readonly inFlight?: number;
  /** A file (durable, as in the throughput case) by default. */
  readonly storage?: Storage;
}

/** Runs are created claimed by this owner, as `start()` does on an engine with a free slot. */
const LEASE = { owner: "bench-store-alone", leaseMs: 60_000 };

/**
 * Per workflow, exactly the writes of a three-step run that `start()` claims: createRun with a lease, a commit
 * per step, the last one with run_completed and the final projection. Events are encoded before timing.
 */
export async function measureStoreAlone(dir: StoreSource, options: StoreAloneOptions): Promise<StoreAloneResult> {
  let statementsPerWorkflow = 0;
  const samples = await repeat(options.repetitions, 1, async () => {
    const store = await dir.store("store-alone", options.storage);
    try {
      const before = store.stats().statements;
      const seconds = await runWorkflows(store, options.workflows, options.inFlight ?? 100);
      statementsPerWorkflow = (store.stats().statements - before) / options.workflows;
      return options.workflows / seconds;
    } finally {
      await store.close();
    }
  });
  return { workflows: options.workflows, workflowsPerSecond: summarize(samples), statementsPerWorkflow };
}

async function runWorkflows(store: Store, workflows: number, inFlight: number): Promise<number> {
  const encoded = (event: Parameters<typeof encodeEvent>[0]) => encodeEvent(event, "bench", DEFAULT_MAX_PAYLOAD_BYTES);
  const starts = Array.from({ length: workflows }, (_, n) => ({
    run: newRun(randomUUID(), threeSteps.name, n, 0),
    completed: encoded({ type: "run_completed", seq: 5, atMs: 0, result: n }),
    result: encodeValue(n, "bench", DEFAULT_MAX_PAYLOAD_BYTES),
  }));
  const steps = ["one", "two", "three"].map((name, index) =>
    encoded({ type: "step_completed", seq: 2 + index, atMs: 0, name, attempt: 1, result: undefined }),
  );
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let start = starts[next++]; start !== undefined; start = starts[next++]) {
      const { id } = start.run;
      await store.createRun({ ...start.run, nowMs: Date.now(), lease: LEASE });
      for (let index = 0; index < 3; index++) {
        const last = index === 2;
        const events: EventRecord[] = last
          ? [steps[index] as EventRecord, start.completed]
          : [steps[index] as EventRecord];
        const commit: RunCommit = {
          runId: id,
          owner: LEASE.owner,
          expectedLastSeq: 1 + index,
          events,
          consumedSignals: [],
          update: last
            ? { status: "completed", result: start.result, release: true }
            : { status: "running", release: false },
          nowMs: Date.now(),
        };
        await store.commit(commit);
      }
    }
  };
  const started = nowMs();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return (nowMs() - started) / 1000;
}
