// Faults of whole worker processes on one schema: a worker SIGKILLed mid-step (its runs are taken over and
// finished) and a worker stalled (SIGSTOP) longer than its lease (another engine takes over; its late commits
// are refused and never reach the log). Real processes, real server, a ledger file for the steps' side effects.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, decodeValue, type Engine } from "@reprise/core";
import { waitFor } from "@reprise/testing";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import { exactlyOnceProblem, killWorker, readLedger, spawnWorker, taggedUrl, type Worker } from "./fault-support.js";
import { stepsWorkflow } from "./fault-workflows.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
} from "./postgres-server.js";

const LEASE_MS = 1_000;
const RUNS = 3;
const STEPS = 3;
/** Longer than the lease: the worker renews while it works, and the kill or stall always lands mid-step. */
const STEP_MS = 1_200;
const STEP_NAMES = ["s1", "s2", "s3"];

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "worker processes on PostgresStore that die or stall", () => {
  let schema: string | undefined;
  let directory: string | undefined;
  let ledger: string;
  const workers: Worker[] = [];
  const closers: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const worker of workers.splice(0)) await killWorker(worker);
    for (const close of closers.splice(0).reverse()) await close();
    if (schema !== undefined) await dropSchema(schema);
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
    schema = directory = undefined;
  });

  /** A fresh schema (created here first), a ledger, and a worker that starts RUNS runs of STEPS long steps. */
  async function setUp(
    connectionString = POSTGRES_URL,
  ): Promise<{ schema: string; store: PostgresStore; worker: Worker }> {
    requirePostgres();
    const fresh = freshSchemaName();
    schema = fresh;
    directory = mkdtempSync(join(tmpdir(), "reprise-pg-worker-"));
    ledger = join(directory, "ledger.jsonl");
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema: fresh });
    closers.push(() => store.close());
    const start = Array.from({ length: RUNS }, (_, i) => ({
      id: `w-${i + 1}`,
      input: { steps: STEPS, stepMs: STEP_MS, ledger },
    }));
    const worker = spawnWorker({ connectionString, schema: fresh, leaseMs: LEASE_MS, pollIntervalMs: 20, start });
    workers.push(worker);
    await worker.ready;
    return { schema: fresh, store, worker };
  }

  /** Waits until the worker has begun step `name` of every run (it is then mid-step: each step takes STEP_MS). */
  async function midStep(worker: Worker, name: string): Promise<void> {
    await waitFor(
      () => {
        const begun = readLedger(ledger).filter((line) => line.step === name && line.pid === worker.child.pid);
        return new Set(begun.map((line) => line.runId)).size === RUNS;
      },
      { timeoutMs: 20_000, message: `the worker to begin step ${name} of every run` },
    );
  }

  function engineOn(store: PostgresStore, errors: unknown[]): Engine {
    const engine = createEngine({
      store,
      workflows: [stepsWorkflow],
      leaseMs: LEASE_MS,
      pollIntervalMs: 20,
      onError: (error) => errors.push(error),
    });
    closers.push(() => engine.close());
    return engine;
  }

  async function allCompleted(store: PostgresStore): Promise<boolean> {
    return (await store.listRuns({ statuses: ["completed"], limit: RUNS + 1 })).length === RUNS;
  }

  /** Who ran each step of `runId`, in ledger order: pids per step name. */
  function runnersOf(runId: string): Record<string, number[]> {
    const runners: Record<string, number[]> = {};
    for (const line of readLedger(ledger).filter((entry) => entry.runId === runId)) {
      (runners[line.step] ??= []).push(line.pid);
    }
    return runners;
  }

  it("a worker SIGKILLed mid-step: another engine takes its runs over and finishes them, each step once", async () => {
    const { schema, store, worker } = await setUp();
    await midStep(worker, "s2");
    const workerPid = worker.child.pid as number;
    worker.child.kill("SIGKILL");
    await worker.exited;

    // The dead worker's leases are taken over (at once when its pid is provably gone, else once they lapse).
    const errors: unknown[] = [];
    engineOn(await PostgresStore.open({ connectionString: POSTGRES_URL, schema }), errors);
    await waitFor(() => allCompleted(store), { timeoutMs: 20_000, message: "the runs to complete after the kill" });

    for (let i = 1; i <= RUNS; i++) {
      const runId = `w-${i}`;
      expect(exactlyOnceProblem(await store.readEvents(runId), STEP_NAMES), runId).toBeUndefined();
      // s1 was committed by the worker; s2 died with it and ran again here; s3 only ever ran here.
      expect(runnersOf(runId), runId).toEqual({ s1: [workerPid], s2: [workerPid, process.pid], s3: [process.pid] });
      const result = (await store.getRun(runId))?.result;
      expect(decodeValue(result ?? "null")).toEqual(STEP_NAMES.map((name) => `${runId}/${name}`));
    }
    expect(errors).toEqual([]);
  });

  it("a worker stalled past its lease is taken over; once it resumes, its late commits are refused", async () => {
    // A stalled client must not hold row locks meanwhile: the server ends a transaction it left open.
    const url = taggedUrl(`fault-stall-${process.pid}`, { idle_in_transaction_session_timeout: "500ms" });
    const { schema, store, worker } = await setUp(url);
    await midStep(worker, "s2");
    const workerPid = worker.child.pid as number;
    worker.child.kill("SIGSTOP");

    // Its pid still exists, so only the lapsed leases (judged by the database's clock) let this engine in.
    const errors: unknown[] = [];
    engineOn(await PostgresStore.open({ connectionString: POSTGRES_URL, schema }), errors);
    await waitFor(() => allCompleted(store), { timeoutMs: 20_000, message: "the runs to complete during the stall" });
    const before = await Promise.all(Array.from({ length: RUNS }, (_, i) => store.readEvents(`w-${i + 1}`)));

    // Resumed, the worker finishes its s2 attempts and commits them: each commit is refused (LeaseLostError).
    worker.child.kill("SIGCONT");
    const fencedRuns = () => new Set(worker.messages().flatMap((message) => message.fenced ?? []));
    await waitFor(() => fencedRuns().size === RUNS, {
      timeoutMs: 20_000,
      message: "the resumed worker's commits to be refused",
    });
    expect(fencedRuns()).toEqual(new Set(["w-1", "w-2", "w-3"]));
    // The engine drops a fenced commit without reporting it (the run is another engine's now). What it does
    // report is a connection the server closed during the stall (a transaction it was in when stopped).
    for (const message of worker.messages().filter((line) => line.error !== undefined)) {
      expect(message, JSON.stringify(message)).toMatchObject({ error: "StoreError", message: /connection/ });
    }
    await killWorker(worker);

    for (let i = 1; i <= RUNS; i++) {
      const runId = `w-${i}`;
      const events = await store.readEvents(runId);
      expect(events, runId).toEqual(before[i - 1]);
      expect(exactlyOnceProblem(events, STEP_NAMES), runId).toBeUndefined();
      // The stalled worker never went past the step it was in: fencing stopped its side effects too.
      expect(runnersOf(runId), runId).toEqual({ s1: [workerPid], s2: [workerPid, process.pid], s3: [process.pid] });
    }
    expect(errors).toEqual([]);
  });
});
