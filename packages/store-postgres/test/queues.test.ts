// Queue limits with several engines on PostgreSQL, each on a PostgresStore (a pool) of its own: concurrency and
// per-key limits hold across them, observed from step bodies. Each test uses a fresh schema, dropped afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, EVENT_LOG_FORMAT_VERSION, step, workflow, type Engine } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PG_QUEUED_LEDGER_QUEUES, pgQueuedLedger } from "./processes/queue-workflows.js";
import { PostgresStore } from "../src/index.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
  withClient,
} from "./postgres-server.js";

/** Step bodies executing at once (in total and per key), and the most ever seen. */
const probe = {
  now: 0,
  max: 0,
  byKey: new Map<string, number>(),
  maxPerKey: 0,
  finished: 0,
  async enter(key: string): Promise<void> {
    probe.now += 1;
    probe.max = Math.max(probe.max, probe.now);
    const mine = (probe.byKey.get(key) ?? 0) + 1;
    probe.byKey.set(key, mine);
    probe.maxPerKey = Math.max(probe.maxPerKey, mine);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      probe.now -= 1;
      probe.byKey.set(key, (probe.byKey.get(key) ?? 1) - 1);
      probe.finished += 1;
    }
  },
};

const workerScript = join(dirname(fileURLToPath(import.meta.url)), "processes/queue-worker.ts");

/** Starts queue-worker.ts in a process of its own; resolves once its engine is up. */
async function spawnQueueWorker(schema: string, ledger: string, into: ChildProcess[]): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@reprise/source", workerScript, POSTGRES_URL, schema],
    { env: { ...process.env, REPRISE_LEDGER: ledger }, stdio: ["ignore", "pipe", "inherit"] },
  );
  into.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`queue worker exited with ${String(code)}`)));
  });
}

/** The most ledger entries open at once (an "enter" without its "exit" yet), in the file's order. */
function mostAtOnce(ledger: string): { most: number; entered: number } {
  let open = 0;
  let most = 0;
  let entered = 0;
  const lines = existsSync(ledger) ? readFileSync(ledger, "utf8").trim().split("\n") : [];
  for (const line of lines.filter((l) => l.length > 0)) {
    const entry = JSON.parse(line) as { enter?: number };
    if (entry.enter !== undefined) {
      open += 1;
      entered += 1;
      most = Math.max(most, open);
    } else open -= 1;
  }
  return { most, entered };
}

const job = workflow("pg-queue-job", function* (input: { n: number; key: string }) {
  yield* step("work", () => probe.enter(input.key));
  return input.n;
});

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "queues on PostgresStore", () => {
  let schema: string;
  const stores: PostgresStore[] = [];
  const engines: Engine[] = [];
  const errors: unknown[] = [];
  const workers: ChildProcess[] = [];

  beforeEach(() => {
    requirePostgres();
    schema = freshSchemaName();
    Object.assign(probe, { now: 0, max: 0, maxPerKey: 0, finished: 0, byKey: new Map() });
  });

  afterEach(async () => {
    for (const worker of workers.splice(0)) if (worker.exitCode === null) worker.kill("SIGKILL");
    for (const engine of engines.splice(0)) await engine.close();
    for (const store of stores.splice(0)) await store.close();
    await dropSchema(schema);
    expect(errors).toEqual([]);
  });

  async function engineOnItsOwnStore(
    queues: Parameters<typeof createEngine>[0]["queues"],
    workflows: Parameters<typeof createEngine>[0]["workflows"] = [job],
  ): Promise<Engine> {
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema, max: 3 });
    stores.push(store);
    const engine = createEngine({
      store,
      workflows,
      queues,
      pollIntervalMs: 10,
      onError: (e) => errors.push(e),
    });
    engines.push(engine);
    return engine;
  }

  it("four engines never execute more runs of a queue, or of one key, than its limits allow", async () => {
    const queues = { imports: { concurrency: 4, perKeyConcurrency: 2 } };
    const first = await engineOnItsOwnStore(queues);
    for (let i = 0; i < 3; i += 1) await engineOnItsOwnStore(queues);
    const runs = await first.startMany(
      Array.from({ length: 40 }, (_, n) => ({
        workflow: job,
        input: { n, key: `customer-${n % 3}` },
        queue: "imports",
        key: `customer-${n % 3}`,
      })),
    );
    expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(probe.finished).toBe(40);
    expect(probe.max).toBeLessThanOrEqual(4);
    expect(probe.maxPerKey).toBeLessThanOrEqual(2);
  });

  it("a schema of version 1 is upgraded to the latest: its runs keep going and new runs can be queued", async () => {
    const first = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    const started = encodeEvent(
      { type: "run_started", seq: 1, atMs: 1, workflow: "w", input: null, formatVersion: EVENT_LOG_FORMAT_VERSION },
      "input",
      10_000,
    );
    await first.createRun({ id: "old", workflow: "w", input: '{"json":null}', startedEvent: started, nowMs: 1 });
    await first.close();
    // Versions 7 to 9 taken back: what a store written by the previous release has.
    await withClient(async (client) => {
      await client.query(`drop table "${schema}".schedules, "${schema}".run_tags`);
      await client.query(`drop index "${schema}".runs_status_finished`);
      await client.query(`alter table "${schema}".runs drop column tags`);
      await client.query(`drop table "${schema}".queues, "${schema}".queue_starts`);
      const queueIndexes = ["runs_queue_due", "runs_queue_next", "runs_queue_running", "runs_queue_cancelled"];
      for (const index of [...queueIndexes, "runs_due_unqueued"]) {
        await client.query(`drop index "${schema}".${index}`);
      }
      await client.query(`alter table "${schema}".runs drop column queue, drop column queue_key, drop column priority`);
      await client.query(`update "${schema}".meta set value = 1 where key = 'schema_version'`);
    });
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    stores.push(store);
    expect(await store.getRun("old")).toMatchObject({ status: "pending", priority: 0, queue: undefined });
    await store.createRun({
      id: "new",
      workflow: "w",
      input: '{"json":null}',
      startedEvent: started,
      nowMs: 1,
      queue: "jobs",
      priority: 3,
    });
    const served = [{ name: "w", version: 1 }];
    const claim = (queues: Record<string, { concurrency: number }>) =>
      store.claimDueRuns({ owner: "a", nowMs: 2, leaseMs: 60_000, limit: 10, workflows: served, queues });
    expect((await claim({ jobs: { concurrency: 1 } })).map((run) => run.id).sort()).toEqual(["new", "old"]);
  });

  it("three worker processes never execute more runs of a queue than its concurrency", async () => {
    const directory = mkdtempSync(join(tmpdir(), "reprise-pg-queue-"));
    const ledger = join(directory, "ledger");
    try {
      const client = await engineOnItsOwnStore(PG_QUEUED_LEDGER_QUEUES, []);
      for (let i = 0; i < 3; i += 1) await spawnQueueWorker(schema, ledger, workers);
      const runs = await client.startMany(
        Array.from({ length: 18 }, (_, n) => ({ workflow: pgQueuedLedger, input: { n, holdMs: 15 }, queue: "jobs" })),
      );
      expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array.from({ length: 18 }, (_, n) => n));
      const { most, entered } = mostAtOnce(ledger);
      expect(entered).toBe(18);
      expect(most).toBeLessThanOrEqual(3);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 60_000);
});
