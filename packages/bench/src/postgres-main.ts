// `pnpm bench -- --store postgres`: the raw pg floor and the workload cases on PostgresStore, each without and
// with group commit in the same run, plus N worker processes on one schema; prints a table, writes results.
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import pg from "pg";
import { measureFanOut } from "./cases/fan-out.js";
import { measureLatency, type LatencyResult } from "./cases/latency.js";
import { measurePostgresFloor, type PostgresFloorResult } from "./cases/postgres-floor.js";
import { measureWorkers, type WorkersResult } from "./cases/postgres-workers.js";
import { measureStarts, type StartsResult } from "./cases/starts.js";
import { measureStoreAlone, type StoreAloneResult } from "./cases/store-alone.js";
import { measureThroughput, type ThroughputResult } from "./cases/throughput.js";
import { nowMs, PostgresSchemas } from "./measure.js";
import { renderMarkdown, renderTable, rounded, type GoalVerdict, type Row } from "./report.js";
import type { FanOutResult } from "./cases/fan-out.js";

/** Sizes of one Postgres run; `--quick` takes the smaller. */
interface PostgresPlan {
  readonly repetitions: number;
  readonly throughputWorkflows: number;
  readonly latencyRuns: number;
  readonly fanOutSteps: number;
  readonly fanOutRuns: number;
  readonly starts: number;
  readonly workerWorkflows: number;
  readonly workers: readonly number[];
}

const FULL: PostgresPlan = {
  repetitions: 3,
  throughputWorkflows: 2_000,
  latencyRuns: 300,
  fanOutSteps: 100,
  fanOutRuns: 30,
  starts: 2_000,
  workerWorkflows: 4_000,
  workers: [1, 2, 3],
};

const QUICK: PostgresPlan = {
  repetitions: 2,
  throughputWorkflows: 500,
  latencyRuns: 100,
  fanOutSteps: 100,
  fanOutRuns: 10,
  starts: 500,
  workerWorkflows: 1_000,
  workers: [1, 2, 3],
};

/** The throughput target on this machine, in three-step workflows per second. */
const THROUGHPUT_GOAL = 2_000;

/** What one mode of the store (group commit off or on) measured. */
interface ModeResult {
  readonly throughput: ThroughputResult;
  readonly latency: LatencyResult;
  readonly fanOut: FanOutResult;
  readonly fanOutThroughput: ThroughputResult;
  readonly starts: StartsResult;
  readonly storeAlone: StoreAloneResult;
}

/**
 * Runs the Postgres benchmark against `url` and writes the results to `out`.
 *
 * @example
 * await runPostgresBench({ url: "postgres://postgres@127.0.0.1:5432/test", quick: false, out: "results-postgres.json" });
 */
export async function runPostgresBench(options: {
  readonly url: string;
  readonly quick: boolean;
  readonly out: string;
}): Promise<void> {
  const plan = options.quick ? QUICK : FULL;
  const R = plan.repetitions;
  const began = nowMs();
  const step = (label: string) => process.stderr.write(`[${((nowMs() - began) / 1000).toFixed(0)} s] ${label}\n`);
  const schemas = new PostgresSchemas(options.url, { groupCommit: true });
  const environment = {
    startedAt: new Date().toISOString(),
    node: process.version,
    postgres: await serverVersion(options.url),
    server: redacted(options.url),
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryBytes: totalmem(),
    loadAverageAtStart: loadavg().map((load) => Number(load.toFixed(2))),
    code: "@reprise/core and @reprise/store-postgres as built by tsc (dist), as users run them",
    store: "PostgresStore defaults (pool of 10), a fresh schema per store; groupCommit false, then true",
    engine: "createEngine defaults: concurrency 100, cacheSize 1000, leaseMs 5000, pollIntervalMs 500",
    repetitions: R,
    quick: options.quick,
  };
  try {
    step("floor: raw pg");
    const floor = await measurePostgresFloor(schemas, R);
    const modes: Record<"off" | "on", ModeResult> = {} as Record<"off" | "on", ModeResult>;
    for (const mode of ["off", "on"] as const) {
      const source = schemas.withGroupCommit(mode === "on");
      const label = `group commit ${mode}`;
      step(`${label}: throughput, ${plan.throughputWorkflows} workflows × 3 steps`);
      const throughput = await measureThroughput(source, { workflows: plan.throughputWorkflows, repetitions: R });
      step(`${label}: latency, ${plan.latencyRuns} sequential runs`);
      const latency = await measureLatency(source, plan.latencyRuns, R);
      step(`${label}: fan-out, ${plan.fanOutRuns} runs of all() of ${plan.fanOutSteps} steps`);
      const fanOut = await measureFanOut(source, { steps: plan.fanOutSteps, runs: plan.fanOutRuns, repetitions: R });
      const fanOutThroughput = await measureThroughput(source, {
        workflows: plan.throughputWorkflows,
        repetitions: R,
        steps: "all",
      });
      step(`${label}: starts, ${plan.starts} runs`);
      const starts = await measureStarts(source, plan.starts, R);
      step(`${label}: store calls alone`);
      const storeAlone = await measureStoreAlone(source, { workflows: plan.throughputWorkflows, repetitions: R });
      modes[mode] = { throughput, latency, fanOut, fanOutThroughput, starts, storeAlone };
    }
    step(`workers: ${plan.workers.join(", ")} processes, ${plan.workerWorkflows} workflows`);
    const workers = await measureWorkers(schemas, {
      workflows: plan.workerWorkflows,
      workers: plan.workers,
      repetitions: R,
    });
    const rows = tableRows(floor, modes, workers, plan);
    const goals = goalVerdicts(floor, modes.on, workers);
    process.stdout.write(`\nReprise benchmark on PostgreSQL — ${environment.startedAt}, ${environment.cpu} × `);
    process.stdout.write(`${environment.cores}, node ${environment.node}, PostgreSQL ${environment.postgres} at `);
    process.stdout.write(`${environment.server}; load average at start ${environment.loadAverageAtStart.join(" ")}\n`);
    process.stdout.write(`server settings: ${JSON.stringify(floor.settings)}\n\n${renderTable(rows)}\n\nGoals:\n`);
    for (const goal of goals) {
      process.stdout.write(
        `  ${goal.met ? "met    " : "NOT met"}  ${goal.goal}: ${goal.measured.toFixed(3)} (target ${goal.target})\n`,
      );
    }
    const document = rounded({
      environment: { ...environment, loadAverageAtEnd: loadavg(), durationSeconds: (nowMs() - began) / 1000 },
      goals,
      floor,
      groupCommitOff: modes.off,
      groupCommitOn: modes.on,
      workers,
      markdown: renderMarkdown(rows).split("\n"),
    });
    writeFileSync(options.out, `${JSON.stringify(document, null, 2)}\n`);
    process.stdout.write(`\nwrote ${options.out} (${((nowMs() - began) / 1000).toFixed(0)} s in all)\n`);
  } finally {
    await schemas.cleanup();
  }
}

function tableRows(
  floor: PostgresFloorResult,
  modes: Record<"off" | "on", ModeResult>,
  workers: WorkersResult,
  plan: PostgresPlan,
): Row[] {
  const rows: Row[] = [
    {
      section: "floor (raw pg)",
      metric: "single-row commits, one client",
      value: floor.singleCommitsPerSecond,
      unit: "commits/s",
    },
    {
      section: "floor (raw pg)",
      metric: `single-row commits, ${floor.clients} clients at once`,
      value: floor.concurrentCommitsPerSecond,
      unit: "commits/s",
    },
    { section: "floor (raw pg)", metric: "rows, 100 per transaction", value: floor.rowsPerSecondAt100, unit: "rows/s" },
    { section: "floor (raw pg)", metric: "SELECT 1 round trip p50", value: floor.roundTripP50Ms, unit: "ms" },
  ];
  for (const mode of ["off", "on"] as const) {
    const m = modes[mode];
    const gc = `group commit ${mode}`;
    const latencyFloor = m.latency.commitsPerRun.median * floor.singleCommitMs;
    const perCommit = m.latency.p50Ms.median / Math.max(1, m.latency.commitsPerRun.median);
    const throughputSection = `throughput (${plan.throughputWorkflows} × 3 steps), ${gc}`;
    rows.push(
      {
        section: throughputSection,
        metric: "workflows",
        value: m.throughput.workflowsPerSecond,
        unit: "workflows/s",
        goal: `≥ ${THROUGHPUT_GOAL.toLocaleString("en-US")}`,
        met: m.throughput.workflowsPerSecond.median >= THROUGHPUT_GOAL,
      },
      {
        section: throughputSection,
        metric: "transactions per workflow",
        value: m.throughput.transactionsPerWorkflow,
        unit: "tx",
      },
      {
        section: throughputSection,
        metric: "writes per transaction",
        value: m.throughput.writesPerTransaction,
        unit: "writes",
      },
      {
        section: throughputSection,
        metric: "statements per workflow",
        value: m.throughput.statementsPerWorkflow,
        unit: "statements",
      },
      {
        section: `latency (${plan.latencyRuns} sequential runs), ${gc}`,
        metric: "p50 start() → result()",
        value: m.latency.p50Ms,
        unit: "ms",
        goal: `${(m.latency.p50Ms.median / latencyFloor).toFixed(2)}× floor of ${latencyFloor.toFixed(3)} ms (≤ 3×)`,
        met: m.latency.p50Ms.median <= 3 * latencyFloor,
      },
      {
        section: `latency (${plan.latencyRuns} sequential runs), ${gc}`,
        metric: "p50 per commit (run p50 ÷ commits per run)",
        value: perCommit,
        unit: "ms",
      },
      {
        section: `latency (${plan.latencyRuns} sequential runs), ${gc}`,
        metric: "p99 start() → result()",
        value: m.latency.p99Ms,
        unit: "ms",
      },
      {
        section: `latency (${plan.latencyRuns} sequential runs), ${gc}`,
        metric: "commits per run",
        value: m.latency.commitsPerRun,
        unit: "tx",
      },
      {
        section: `fan-out (all() of ${plan.fanOutSteps} steps, one run at a time), ${gc}`,
        metric: "p50 start() → result()",
        value: m.fanOut.p50Ms,
        unit: "ms",
      },
      {
        section: `fan-out (all() of ${plan.fanOutSteps} steps, one run at a time), ${gc}`,
        metric: "steps",
        value: m.fanOut.stepsPerSecond,
        unit: "steps/s",
      },
      {
        section: `fan-out (${plan.throughputWorkflows} × all() of 3 steps), ${gc}`,
        metric: "workflows",
        value: m.fanOutThroughput.workflowsPerSecond,
        unit: "workflows/s",
      },
      {
        section: `starts (${plan.starts} runs), ${gc}`,
        metric: "one by one",
        value: m.starts.oneByOne.startsPerSecond,
        unit: "starts/s",
      },
      {
        section: `starts (${plan.starts} runs), ${gc}`,
        metric: "concurrent start() calls",
        value: m.starts.concurrent.startsPerSecond,
        unit: "starts/s",
      },
      {
        section: `starts (${plan.starts} runs), ${gc}`,
        metric: "one startMany()",
        value: m.starts.startMany.startsPerSecond,
        unit: "starts/s",
      },
      {
        section: `store calls alone (${plan.throughputWorkflows} × 3 steps, no engine), ${gc}`,
        metric: "workflows",
        value: m.storeAlone.workflowsPerSecond,
        unit: "workflows/s",
      },
    );
  }
  for (const { workers: count, workflowsPerSecond } of workers.byWorkers) {
    rows.push({
      section: `workers (${workers.workflows} × 3 steps, separate processes, group commit on)`,
      metric: `${count} worker process${count === 1 ? "" : "es"}`,
      value: workflowsPerSecond,
      unit: "workflows/s",
    });
  }
  return rows;
}

function goalVerdicts(floor: PostgresFloorResult, on: ModeResult, workers: WorkersResult): GoalVerdict[] {
  const latencyRatio = on.latency.p50Ms.median / on.latency.commitsPerRun.median / floor.singleCommitMs;
  const rates = workers.byWorkers.map((entry) => entry.workflowsPerSecond.median);
  const grows = rates.every((rate, index) => index === 0 || rate > (rates[index - 1] as number));
  return [
    {
      goal: "three-step workflows/s, one engine",
      target: `≥ ${THROUGHPUT_GOAL}`,
      measured: on.throughput.workflowsPerSecond.median,
      met: on.throughput.workflowsPerSecond.median >= THROUGHPUT_GOAL,
    },
    { goal: "step latency p50 ÷ raw single-row commit", target: "≤ 3", measured: latencyRatio, met: latencyRatio <= 3 },
    {
      goal: `workflows/s with ${workers.byWorkers.at(-1)?.workers ?? 0} workers ÷ with 1`,
      target: "> 1, growing with each worker",
      measured: (rates.at(-1) ?? Number.NaN) / (rates[0] ?? Number.NaN),
      met: grows,
    },
  ];
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? "unknown";
  } finally {
    await client.end();
  }
}

/** The URL without its password, for the report. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(not a valid URL)";
  }
}
