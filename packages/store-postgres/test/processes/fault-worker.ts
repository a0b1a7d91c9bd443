// A worker process for the fault tests: an engine on a PostgresStore that serves the fault workflows until it is
// killed. Configured by the JSON in REPRISE_FAULT_WORKER; reports on stdout as JSON lines (ready, errors).
import { createEngine, LeaseLostError, type RunCommit } from "@reprise/core";
import { PostgresStore } from "../../src/index.js";
import { chaosWorkflow, stepsWorkflow } from "../fault-workflows.js";

/** What the test tells the worker (see spawnWorker in fault-support.ts). */
interface WorkerConfig {
  readonly connectionString: string;
  readonly schema: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly max?: number;
  /** Runs to start before reporting ready (ids and inputs of `stepsWorkflow`). */
  readonly start?: readonly {
    readonly id: string;
    readonly input: { steps: number; stepMs: number; ledger?: string };
  }[];
}

const raw = process.env.REPRISE_FAULT_WORKER;
if (raw === undefined) throw new Error("REPRISE_FAULT_WORKER (the worker's JSON configuration) is not set");
const config = JSON.parse(raw) as WorkerConfig;
const say = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

const store = await PostgresStore.open({
  connectionString: config.connectionString,
  schema: config.schema,
  max: config.max ?? 4,
  connectTimeoutMs: 2_000,
});
// The store as the engine sees it, except that a commit refused for a lost lease is reported first: the engine
// drops such a commit silently (another engine owns the run now), and the stall test must see that it happened.
const fencedStore = new Proxy(store, {
  get(target, property) {
    if (property === "commit") {
      return async (commit: RunCommit) => {
        try {
          await target.commit(commit);
        } catch (error) {
          if (error instanceof LeaseLostError) say({ fenced: commit.runId, events: commit.events.length });
          throw error;
        }
      };
    }
    const value: unknown = Reflect.get(target, property, target);
    return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
  },
});
const engine = createEngine({
  store: fencedStore,
  workflows: [stepsWorkflow, chaosWorkflow],
  leaseMs: config.leaseMs,
  pollIntervalMs: config.pollIntervalMs,
  // Every error the engine survives is reported, by name: the tests tell fenced commits from outages this way.
  onError: (error) =>
    say({
      error: error instanceof Error ? error.name : "unknown",
      message: String((error as Error)?.message ?? error),
    }),
});
for (const run of config.start ?? []) await engine.start(stepsWorkflow, run.input, { id: run.id });
say({ ready: true, pid: process.pid });
