// `pnpm bench`: every case of the performance issue in one process, on one disk, against the built packages (dist)
// as users run them; prints a table, writes results.json. Usage: pnpm bench [--quick] [--dir <dir>] [--out <file>]
// [--store sqlite|postgres] [--postgres-url <url>] (postgres: postgres-main.ts, results-postgres.json)
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { measureFanOut } from "./cases/fan-out.js";
import { measureFloor } from "./cases/floor.js";
import { measureIdleMemory } from "./cases/idle-memory.js";
import { measureLatency } from "./cases/latency.js";
import { measureQueueClaimCost, measureQueueThroughput } from "./cases/queues.js";
import { measureReplay } from "./cases/replay.js";
import { measureScheduler } from "./cases/scheduler.js";
import { measureStartUpCheck } from "./cases/start-up-check.js";
import { measureStatements } from "./cases/statements.js";
import { measureStoreAlone } from "./cases/store-alone.js";
import { measureThroughput } from "./cases/throughput.js";
import { measureStarts } from "./cases/starts.js";
import { measureSignals, measureTimers } from "./cases/timers-signals.js";
import { measureWaitingHandles } from "./cases/waiting-handles.js";
import { runPostgresBench } from "./postgres-main.js";
import { BenchDirectory, nowMs } from "./measure.js";
import { renderMarkdown, renderTable, rounded } from "./report.js";
import { goalVerdicts, ratios, tableRows, type Measurements } from "./summary.js";

interface Plan {
  readonly repetitions: number;
  readonly throughputWorkflows: number;
  readonly latencyRuns: number;
  readonly replayEvents: readonly number[];
  readonly idleRuns: number;
  readonly idleRunsSmall: number;
  readonly timerRuns: number;
  readonly signalRoundTrips: number;
  readonly payloadWorkflows: number;
  readonly payloadBytes: readonly number[];
  readonly concurrency: readonly number[];
  readonly starts: number;
  readonly waitingHandles: number;
  readonly waitingHandlesWorkflows: number;
  /** Steps in the one `all` of the fan-out run, and how many such runs are timed one after another. */
  readonly fanOutSteps: number;
  readonly fanOutRuns: number;
  /** Due runs waiting in a queue while claims are timed (the small store has 1,000). */
  readonly queuedRuns: number;
}

const FULL: Plan = {
  repetitions: 5,
  throughputWorkflows: 2_000,
  latencyRuns: 300,
  replayEvents: [100, 1_000, 10_000],
  idleRuns: 100_000,
  idleRunsSmall: 1_000,
  timerRuns: 1_000,
  signalRoundTrips: 200,
  payloadWorkflows: 500,
  payloadBytes: [100, 10_000, 100_000],
  concurrency: [10, 100, 1_000],
  starts: 5_000,
  waitingHandles: 20_000,
  waitingHandlesWorkflows: 5_000,
  fanOutSteps: 100,
  fanOutRuns: 100,
  queuedRuns: 100_000,
};

const QUICK: Plan = {
  repetitions: 2,
  throughputWorkflows: 500,
  latencyRuns: 100,
  replayEvents: [100, 10_000],
  idleRuns: 10_000,
  idleRunsSmall: 1_000,
  timerRuns: 200,
  signalRoundTrips: 50,
  payloadWorkflows: 100,
  payloadBytes: [100, 100_000],
  concurrency: [10, 100],
  starts: 1_000,
  waitingHandles: 2_000,
  waitingHandlesWorkflows: 1_000,
  fanOutSteps: 100,
  fanOutRuns: 30,
  queuedRuns: 100_000,
};

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

function describeDisk(path: string): string {
  try {
    const lines = execFileSync("df", ["-P", path], { encoding: "utf8" }).trim().split("\n");
    const [device, , , , , mount] = (lines[1] ?? "").split(/\s+/);
    return `${device ?? "?"} mounted on ${mount ?? "?"}`;
  } catch {
    return "unknown";
  }
}

function sqliteVersion(): string {
  const db = new Database(":memory:");
  const { version } = db.prepare("select sqlite_version() as version").get() as { version: string };
  db.close();
  return version;
}

/** The server `--store postgres` uses unless `--postgres-url` names another (the tests' default, too). */
const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const store = argument("--store") ?? "sqlite";
  if (store === "postgres") {
    const url = argument("--postgres-url") ?? process.env.REPRISE_TEST_POSTGRES_URL ?? DEFAULT_POSTGRES_URL;
    const out = argument("--out") ?? fileURLToPath(new URL("../results-postgres.json", import.meta.url));
    return runPostgresBench({ url, quick, out });
  }
  if (store !== "sqlite") {
    throw new Error(`--store must be "sqlite" (the default) or "postgres", got ${JSON.stringify(store)}.`);
  }
  const plan = quick ? QUICK : FULL;
  const dir = new BenchDirectory(argument("--dir"));
  const out = argument("--out") ?? fileURLToPath(new URL("../results.json", import.meta.url));
  const R = plan.repetitions;
  const startedAt = new Date();
  const began = nowMs();
  const step = (label: string) => process.stderr.write(`[${((nowMs() - began) / 1000).toFixed(0)} s] ${label}\n`);
  const environment = {
    startedAt: startedAt.toISOString(),
    node: process.version,
    sqlite: sqliteVersion(),
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryBytes: totalmem(),
    loadAverageAtStart: loadavg().map((load) => Number(load.toFixed(2))),
    directory: dir.path,
    disk: describeDisk(dir.path),
    durability: "journal_mode=WAL, synchronous=FULL, BEGIN IMMEDIATE (SqliteStore defaults)",
    code: "@reprise/core and @reprise/store-sqlite as built by tsc (dist), as users run them",
    engine: "createEngine defaults: concurrency 100, cacheSize 1000, leaseMs 5000, pollIntervalMs 500",
    repetitions: R,
    quick,
  };

  try {
    step("floor: raw better-sqlite3");
    const floor = await measureFloor(dir, R);
    step("hot-path statements");
    const statements = await measureStatements(dir, R);
    step(`throughput: ${plan.throughputWorkflows} workflows × 3 steps`);
    const throughput = await measureThroughput(dir, { workflows: plan.throughputWorkflows, repetitions: R });
    step(`latency: ${plan.latencyRuns} sequential runs`);
    const latency = await measureLatency(dir, plan.latencyRuns, R);
    step("replay");
    const replays = [];
    for (const events of plan.replayEvents) replays.push(await measureReplay(dir, events, R + 2));
    step(`idle memory: ${plan.idleRuns} parked runs`);
    const idle = await measureIdleMemory(dir, plan.idleRuns);
    step("scheduler cost with many parked runs");
    const schedulerLarge = await measureScheduler(idle.filename, 3);
    step(`start-up check of ${plan.idleRuns} parked runs`);
    const startUpCheck = await measureStartUpCheck(idle.filename, plan.idleRuns);
    const idleSmall = await measureIdleMemory(dir, plan.idleRunsSmall);
    const schedulerSmall = await measureScheduler(idleSmall.filename, 3);
    step(`timers: ${plan.timerRuns} runs sleep 1 s`);
    const timers = await measureTimers(dir, plan.timerRuns, 3);
    step(`signals: ${plan.signalRoundTrips} round trips`);
    const signals = await measureSignals(dir, plan.signalRoundTrips, 3);
    step("scaling: payload size");
    const payloads = [];
    for (const bytes of plan.payloadBytes) {
      payloads.push({
        bytes,
        ...(await measureThroughput(dir, { workflows: plan.payloadWorkflows, repetitions: 3, payloadBytes: bytes })),
      });
    }
    step("scaling: concurrent runs");
    const concurrency = [];
    for (const limit of plan.concurrency) {
      concurrency.push({
        concurrency: limit,
        ...(await measureThroughput(dir, {
          workflows: plan.throughputWorkflows,
          repetitions: 3,
          engine: { concurrency: limit },
        })),
      });
    }
    step("scaling: time-ordered run ids");
    const orderedIds = await measureThroughput(dir, {
      workflows: plan.throughputWorkflows,
      repetitions: 3,
      ids: "time-ordered",
    });

    step(`starts: ${plan.starts} runs one by one, concurrently, and with startMany()`);
    const starts = await measureStarts(dir, plan.starts, 3);
    step(`waiting handles: ${plan.waitingHandles} result() calls waiting during the throughput workload`);
    const waitingHandles = await measureWaitingHandles(dir, {
      waitingHandles: plan.waitingHandles,
      workflows: plan.waitingHandlesWorkflows,
      repetitions: 3,
    });

    step(`fan-out: ${plan.fanOutRuns} runs one at a time, each an all() of ${plan.fanOutSteps} steps`);
    const fanOut = await measureFanOut(dir, { steps: plan.fanOutSteps, runs: plan.fanOutRuns, repetitions: R });
    step(`fan-out: ${plan.throughputWorkflows} workflows × all() of 3 steps`);
    // The throughput case's workload with each run's three steps side by side: the same count, so the two compare.
    const fanOutThroughput = await measureThroughput(dir, {
      workflows: plan.throughputWorkflows,
      repetitions: R,
      steps: "all",
    });

    step(`queues: ${plan.throughputWorkflows} workflows in a queue with limits, and without`);
    const queueThroughput = await measureQueueThroughput(dir, { workflows: plan.throughputWorkflows, repetitions: 3 });
    step(`queues: claim cost with 1,000 and ${plan.queuedRuns} queued runs`);
    const queueClaims = [
      await measureQueueClaimCost(dir, 1_000, R),
      await measureQueueClaimCost(dir, plan.queuedRuns, R),
    ];

    step("diagnostic: completion awaited with whenIdle() instead of result()");
    const idleCompletion = await measureThroughput(dir, {
      workflows: plan.throughputWorkflows,
      repetitions: 3,
      completion: "whenIdle",
    });

    step("diagnostic: the disk and the engine's share of throughput");
    const diagnosticRuns = { workflows: plan.throughputWorkflows, repetitions: 3 } as const;
    const throughputInMemory = await measureThroughput(dir, { ...diagnosticRuns, storage: "memory" });
    const storeAlone = await measureStoreAlone(dir, diagnosticRuns);
    const storeAloneInMemory = await measureStoreAlone(dir, { ...diagnosticRuns, storage: "memory" });

    const measured: Measurements = {
      floor,
      statements,
      throughput,
      latency,
      replays,
      idle,
      schedulers: [schedulerSmall, schedulerLarge],
      startUpCheck,
      timers,
      signals,
      payloads,
      concurrency,
      orderedIds,
      starts,
      waitingHandles,
      fanOut,
      fanOutThroughput,
      idleCompletion,
      throughputInMemory,
      storeAlone,
      storeAloneInMemory,
    };
    const { latencyFloorMs, latencyRatio } = ratios(measured);
    const goals = goalVerdicts(measured);
    const rows = tableRows(measured);

    const table = renderTable(rows);
    process.stdout.write(`\nReprise benchmark — ${environment.startedAt}, ${environment.cpu} × ${environment.cores}, `);
    process.stdout.write(`node ${environment.node}, SQLite ${environment.sqlite}\n`);
    process.stdout.write(`databases in ${environment.directory} (${environment.disk}); ${environment.durability}\n\n`);
    process.stdout.write(`${table}\n\nGoals:\n`);
    for (const goal of goals) {
      process.stdout.write(
        `  ${goal.met ? "met    " : "NOT met"}  ${goal.goal}: ${goal.measured.toFixed(3)} (target ${goal.target})\n`,
      );
    }
    const document = rounded({
      environment: { ...environment, durationSeconds: (nowMs() - began) / 1000 },
      goals,
      floor,
      statements,
      throughput,
      latency: { ...latency, floorMs: latencyFloorMs, ratio: latencyRatio },
      replay: replays,
      idleMemory: idle,
      scheduler: measured.schedulers,
      startUpCheck: measured.startUpCheck,
      timers,
      signals,
      scaling: { payloads, concurrency, timeOrderedIds: orderedIds, completionByWhenIdle: idleCompletion },
      starts,
      waitingHandles,
      fanOut: { oneRun: fanOut, concurrentRuns: fanOutThroughput },
      queues: { throughput: queueThroughput, claimCost: queueClaims },
      diagnostics: { throughputInMemory, storeAlone, storeAloneInMemory },
      markdown: renderMarkdown(rows).split("\n"),
    });
    writeFileSync(out, await formatJson(JSON.stringify(document, null, 2)));
    process.stdout.write(`\nQueues:\n`);
    const { withoutQueue, withLimits } = queueThroughput;
    process.stdout.write(
      `  throughput without a queue ${withoutQueue.workflowsPerSecond.median.toFixed(0)} workflows/s, in a queue ` +
        `with limits ${withLimits.workflowsPerSecond.median.toFixed(0)} workflows/s\n`,
    );
    for (const cost of queueClaims) {
      process.stdout.write(
        `  ${cost.queuedRuns} queued: claim of one run ${cost.claimOneUs.median.toFixed(0)} µs ` +
          `(${cost.claimOneStatements.toFixed(1)} statements), claim of a full queue ` +
          `${cost.claimFullUs.median.toFixed(0)} µs (${cost.claimFullStatements.toFixed(1)} statements), ` +
          `nextDueAtMs ${cost.nextDueFullUs.median.toFixed(0)} µs\n`,
      );
    }
    process.stdout.write(`\nwrote ${out} (${((nowMs() - began) / 1000).toFixed(0)} s in all)\n`);
  } finally {
    dir.cleanup();
  }
}

/** Formats with the repository's prettier when it is installed, so results.json passes `prettier --check`. */
async function formatJson(text: string): Promise<string> {
  try {
    const prettier = await import("prettier");
    return await prettier.format(text, { parser: "json", printWidth: 120 });
  } catch {
    return `${text}\n`;
  }
}

await main();
