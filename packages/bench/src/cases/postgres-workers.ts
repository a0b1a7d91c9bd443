// N workers: 1, 2, 3… engine processes (child_process) on one PostgreSQL schema, each serving the three-step
// workflow, and this process as the driver that creates the runs and times them until all completed.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { nowMs, type PostgresSchemas, repeat, sleepMs, summarize, type Summary } from "../measure.js";
import { newRun } from "../new-runs.js";
import { threeSteps } from "../workflows.js";

export interface WorkersResult {
  readonly workflows: number;
  /** Completions per second by worker count, in the order of `workers`. */
  readonly byWorkers: readonly { readonly workers: number; readonly workflowsPerSecond: Summary }[];
}

const WORKER = fileURLToPath(new URL("../postgres-worker.ts", import.meta.url));
/** Runs created per createRuns call: one transaction each, before the clock starts. */
const CREATE_CHUNK = 500;
/** How often the driver counts completed runs. */
const POLL_MS = 5;

/**
 * For each worker count: creates `workflows` pending runs in a fresh schema, starts that many worker processes,
 * and measures from the moment they are told to go until every run completed (counted in the runs table).
 *
 * @example
 * const workers = await measureWorkers(schemas, { workflows: 3000, workers: [1, 2, 3], repetitions: 3 });
 */
export async function measureWorkers(
  schemas: PostgresSchemas,
  options: { readonly workflows: number; readonly workers: readonly number[]; readonly repetitions: number },
): Promise<WorkersResult> {
  const byWorkers = [];
  for (const workers of options.workers) {
    const samples = await repeat(options.repetitions, 0, () => once(schemas, options.workflows, workers));
    byWorkers.push({ workers, workflowsPerSecond: summarize(samples) });
  }
  return { workflows: options.workflows, byWorkers };
}

async function once(schemas: PostgresSchemas, workflows: number, workers: number): Promise<number> {
  const schema = schemas.schemaName(`workers_${workers}`);
  const store = await schemas.open(schema);
  const now = Date.now();
  const runs = Array.from({ length: workflows }, (_, i) => newRun(`w-${i}`, threeSteps.name, i, now));
  for (let i = 0; i < runs.length; i += CREATE_CHUNK) await store.createRuns(runs.slice(i, i + CREATE_CHUNK));
  await store.close();
  const children = await Promise.all(
    Array.from({ length: workers }, () => startWorker(schemas.url, schema, schemas.groupCommit)),
  );
  const counter = new pg.Client({ connectionString: schemas.url });
  await counter.connect();
  try {
    const started = nowMs();
    for (const child of children) child.send({ type: "go" });
    for (;;) {
      const { rows } = await counter.query<{ n: string }>(
        `select count(*) as n from "${schema}".runs where status = 'completed'`,
      );
      if (Number(rows[0]?.n) >= workflows) break;
      await sleepMs(POLL_MS);
    }
    return workflows / ((nowMs() - started) / 1000);
  } finally {
    await counter.end();
    await Promise.all(children.map(stopWorker));
  }
}

/** Forks a worker and waits until its store is open. */
function startWorker(url: string, schema: string, groupCommit: boolean): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [url, schema, String(groupCommit)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`A bench worker exited with code ${code} before it was ready.`)));
    child.once("message", () => resolve(child));
  });
}

/** Tells a worker to close its engine and store, and waits for it to exit. */
function stopWorker(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.once("exit", () => resolve());
    child.send({ type: "stop" });
  });
}
