// Faults of the connections under one store: backends terminated mid-transaction, a pool far smaller than the
// work, and statement_timeout cancelling statements. Engines keep going; nothing half-written ever shows.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, encodeValue, EVENT_LOG_FORMAT_VERSION, StoreError, type Engine } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import { waitFor } from "@reprise/testing";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import { exactlyOnceProblem, pause, readLedger, taggedUrl, terminateBackends } from "./fault-support.js";
import { stepsWorkflow } from "./fault-workflows.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
  withClient,
} from "./postgres-server.js";

const stepNames = (count: number) => Array.from({ length: count }, (_, i) => `s${i + 1}`);

/** A run of stepsWorkflow as the store takes it (what engine.start writes), for driving the store directly. */
function newRun(id: string, nowMs: number) {
  const input = { steps: 1, stepMs: 0 };
  const event = { type: "run_started", seq: 1, atMs: nowMs, workflow: stepsWorkflow.name, input } as const;
  return {
    id,
    workflow: stepsWorkflow.name,
    input: encodeValue(input, "input", 1 << 20),
    startedEvent: encodeEvent({ ...event, formatVersion: EVENT_LOG_FORMAT_VERSION }, "input", 1 << 20),
    nowMs,
  };
}

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "PostgresStore when connections fail", () => {
  const schemas: string[] = [];
  const closers: (() => Promise<void>)[] = [];
  let directory: string | undefined;

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
    directory = undefined;
  });

  async function open(connectionString: string, max = 4, schema = freshSchemaName()): Promise<PostgresStore> {
    requirePostgres();
    if (!schemas.includes(schema)) schemas.push(schema);
    const store = await PostgresStore.open({ connectionString, schema, max, connectTimeoutMs: 5_000 });
    closers.push(() => store.close());
    return store;
  }

  function engineOn(store: PostgresStore, errors: unknown[], options: { concurrency?: number } = {}): Engine {
    const engine = createEngine({
      store,
      workflows: [stepsWorkflow],
      leaseMs: 1_000,
      pollIntervalMs: 20,
      concurrency: options.concurrency ?? 100,
      onError: (error) => errors.push(error),
    });
    closers.push(() => engine.close());
    return engine;
  }

  it("a write whose backend is terminated mid-transaction rejects with a StoreError and leaves nothing behind", async () => {
    const app = `fault-kill-${process.pid}`;
    const store = await open(taggedUrl(app));
    // Another session holds the runs table, so the store's createRun sits inside its transaction, waiting.
    const blocker = new pg.Client({ connectionString: POSTGRES_URL });
    await blocker.connect();
    closers.push(() => blocker.end());
    await blocker.query("begin");
    await blocker.query(`lock table "${store.schema}".runs in access exclusive mode`);
    const creating = store.createRun(newRun("half", Date.now()));
    const settled = creating.then(
      () => undefined,
      (error: unknown) => error,
    );
    await waitFor(
      () =>
        withClient(async (client) => {
          const { rows } = await client.query(
            "select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'",
            [app],
          );
          return rows.length > 0;
        }),
      { message: "the store's write to wait for the lock" },
    );
    expect(await terminateBackends(app)).toBeGreaterThan(0);
    const error = await settled;
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/create a run/);
    await blocker.query("rollback");

    // The transaction died with its backend: no run row, no event. The next write gets a fresh connection.
    expect(await store.getRun("half")).toBeUndefined();
    const { rows } = await withClient((client) =>
      client.query(`select count(*)::int as n from "${store.schema}".events`),
    );
    expect(rows[0]).toEqual({ n: 0 });
    expect((await store.createRun(newRun("half", Date.now()))).created).toBe(true);
    expect((await store.readEvents("half")).map((event) => event.type)).toEqual(["run_started"]);
  });

  it("engines whose backends are terminated again and again finish every run, each step recorded once", async () => {
    const app = `fault-kills-${process.pid}`;
    const store = await open(taggedUrl(app));
    const errors: unknown[] = [];
    const engine = engineOn(store, errors);
    directory = mkdtempSync(join(tmpdir(), "reprise-pg-kill-"));
    const ledger = join(directory, "ledger.jsonl");
    const RUNS = 20;
    const STEPS = 5;
    // Started before the kills begin: every start is acknowledged.
    for (let i = 1; i <= RUNS; i++) {
      await engine.start(stepsWorkflow, { steps: STEPS, stepMs: 15, ledger }, { id: `kill-${i}` });
    }

    // Kill every backend of the store while the runs are mid-flight, until commits have visibly failed.
    let kills = 0;
    let rounds = 0;
    while (rounds < 40 && (errors.filter((error) => error instanceof StoreError).length < 5 || rounds < 10)) {
      kills += await terminateBackends(app);
      rounds += 1;
      await pause(25);
    }
    expect(kills).toBeGreaterThan(0);
    expect(errors.some((error) => error instanceof StoreError)).toBe(true);
    // Anything the engine reported is a StoreError naming what failed: never a corrupt log or a lease mix-up.
    for (const error of errors) expect(error, String(error)).toBeInstanceOf(StoreError);

    await waitFor(async () => (await store.listRuns({ statuses: ["completed"], limit: RUNS + 1 })).length === RUNS, {
      timeoutMs: 30_000,
      message: "every run to complete after the kills",
    });
    for (let i = 1; i <= RUNS; i++) {
      const runId = `kill-${i}`;
      expect(exactlyOnceProblem(await store.readEvents(runId), stepNames(STEPS)), runId).toBeUndefined();
      // A step whose result was lost with its connection ran again: at least once in the ledger, never zero.
      const ran = new Set(
        readLedger(ledger)
          .filter((line) => line.runId === runId)
          .map((line) => line.step),
      );
      expect([...ran].sort(), runId).toEqual(stepNames(STEPS));
    }
  });
  it("50 runs at once on a pool of 2 connections all finish: runs wait for a connection, none deadlocks", async () => {
    const store = await open(POSTGRES_URL, 2);
    const errors: unknown[] = [];
    const engine = engineOn(store, errors);
    const RUNS = 50;
    const STEPS = 3;
    const ids = Array.from({ length: RUNS }, (_, i) => `pool-${i + 1}`);
    // Started all at once too: 50 creations queue for the same two connections as the runs' commits.
    const handles = await Promise.all(
      ids.map((id) => engine.start(stepsWorkflow, { steps: STEPS, stepMs: 5 }, { id })),
    );
    const results = await Promise.all(handles.map((handle) => handle.result()));
    expect(results).toEqual(ids.map((id) => stepNames(STEPS).map((name) => `${id}/${name}`)));
    for (const id of ids) expect(exactlyOnceProblem(await store.readEvents(id), stepNames(STEPS)), id).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it("a statement cancelled by statement_timeout is a StoreError; the engine retries and every run finishes", async () => {
    const app = `fault-timeout-${process.pid}`;
    const store = await open(taggedUrl(app, { statement_timeout: "300ms" }));
    const errors: unknown[] = [];
    const engine = engineOn(store, errors);
    const RUNS = 8;
    const STEPS = 4;
    for (let i = 1; i <= RUNS; i++)
      await engine.start(stepsWorkflow, { steps: STEPS, stepMs: 20 }, { id: `slow-${i}` });

    // Another session holds the events table: every statement that appends or reads events waits, and the
    // server cancels it after 300 ms (SQLSTATE 57014) instead of letting it wait for ever.
    const blocker = new pg.Client({ connectionString: POSTGRES_URL });
    await blocker.connect();
    closers.push(() => blocker.end());
    await blocker.query("begin");
    await blocker.query(`lock table "${store.schema}".events in access exclusive mode`);
    const read = await store.readEvents("slow-1").then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(read).toBeInstanceOf(StoreError);
    expect((read as Error).message).toMatch(/read events.*\[57014\]/);
    await waitFor(() => errors.some((error) => error instanceof StoreError && /\[57014\]/.test(error.message)), {
      message: "a commit of the engine to time out",
    });
    await blocker.query("rollback");

    // A commit that timed out was rolled back whole; its run's lease lapses and the engine runs it again.
    await waitFor(async () => (await store.listRuns({ statuses: ["completed"], limit: RUNS + 1 })).length === RUNS, {
      timeoutMs: 20_000,
      message: "every run to complete after the timeouts",
    });
    for (let i = 1; i <= RUNS; i++) {
      expect(exactlyOnceProblem(await store.readEvents(`slow-${i}`), stepNames(STEPS)), `slow-${i}`).toBeUndefined();
    }
    for (const error of errors) expect(error, String(error)).toBeInstanceOf(StoreError);
  });
});
