// What one benchmark run's measurements mean: the goals judged on them, and the rows of the printed table.
// Pure functions over the cases' results; measuring happens in main.ts, rendering in report.ts.
import type { FanOutResult } from "./cases/fan-out.js";
import type { FloorResult } from "./cases/floor.js";
import type { IdleMemoryResult } from "./cases/idle-memory.js";
import type { LatencyResult } from "./cases/latency.js";
import type { ReplayResult } from "./cases/replay.js";
import type { SchedulerResult } from "./cases/scheduler.js";
import type { StartUpCheckResult } from "./cases/start-up-check.js";
import type { StartsResult } from "./cases/starts.js";
import type { StatementCost, StatementsResult } from "./cases/statements.js";
import type { StoreAloneResult } from "./cases/store-alone.js";
import type { ThroughputResult } from "./cases/throughput.js";
import type { SignalResult, TimerResult } from "./cases/timers-signals.js";
import type { WaitingHandlesResult } from "./cases/waiting-handles.js";
import type { GoalVerdict, Row } from "./report.js";

/** The bound on a hot-path statement's cost, as a multiple of raw better-sqlite3. */
const STATEMENT_RATIO_GOAL = 1.5;

/** Everything one run measured. */
export interface Measurements {
  readonly floor: FloorResult;
  readonly statements: StatementsResult;
  readonly throughput: ThroughputResult;
  readonly latency: LatencyResult;
  /** Smallest history first; the last one is the goal's 10,000 events. */
  readonly replays: readonly ReplayResult[];
  readonly idle: IdleMemoryResult;
  /** Few parked runs first, then many. */
  readonly schedulers: readonly SchedulerResult[];
  /** A new engine's background check of the idle-memory case's parked runs. */
  readonly startUpCheck: StartUpCheckResult;
  readonly timers: TimerResult;
  readonly signals: SignalResult;
  readonly payloads: readonly (ThroughputResult & { readonly bytes: number })[];
  readonly concurrency: readonly (ThroughputResult & { readonly concurrency: number })[];
  readonly orderedIds: ThroughputResult;
  readonly starts: StartsResult;
  readonly waitingHandles: WaitingHandlesResult;
  /** One run's `all` of many steps, one run at a time. */
  readonly fanOut: FanOutResult;
  /** The throughput case with each run's three steps in one `all`. */
  readonly fanOutThroughput: ThroughputResult;
  readonly idleCompletion: ThroughputResult;
  /** The throughput case on a `:memory:` store: the engine without the disk. */
  readonly throughputInMemory: ThroughputResult;
  /** The throughput case's store calls without the engine, on a file and on `:memory:`. */
  readonly storeAlone: StoreAloneResult;
  readonly storeAloneInMemory: StoreAloneResult;
}

/**
 * The ratios the goals are stated in: steps/s over the batched floor, and latency p50 over the commits on a
 * run's path times one single-row commit.
 *
 * @example
 * const { throughputRatio } = ratios(measured); // 0.098
 */
export function ratios(m: Measurements): { throughputRatio: number; latencyFloorMs: number; latencyRatio: number } {
  const throughputRatio = m.throughput.stepsPerSecond.median / m.floor.rowsPerSecondAt100.median;
  const latencyFloorMs = m.latency.commitsPerRun.median * m.floor.singleCommitMs;
  return { throughputRatio, latencyFloorMs, latencyRatio: m.latency.p50Ms.median / latencyFloorMs };
}

/** The goals, each with its target and this run's value. */
export function goalVerdicts(m: Measurements): GoalVerdict[] {
  const { throughputRatio, latencyRatio } = ratios(m);
  const replay = lastOf(m.replays);
  const verdict = (goal: string, target: string, measured: number, met: boolean): GoalVerdict => ({
    goal,
    target,
    measured,
    met,
  });
  const statementVerdict = (goal: string, cost: StatementCost): GoalVerdict =>
    verdict(goal, `≤ ${STATEMENT_RATIO_GOAL}`, cost.ratio, cost.ratio <= STATEMENT_RATIO_GOAL);
  return [
    verdict("throughput steps/s ÷ batched floor rows/s", "≥ 0.25", throughputRatio, throughputRatio >= 0.25),
    verdict("latency p50 ÷ (commits per run × single-commit floor)", "≤ 3", latencyRatio, latencyRatio <= 3),
    verdict("latency p99", "≤ 5 ms", m.latency.p99Ms.median, m.latency.p99Ms.median <= 5),
    verdict(`replay of ${replay.events} events`, "≤ 50 ms", replay.totalMs.median, replay.totalMs.median <= 50),
    verdict("heap per idle run", "≤ 320 bytes", m.idle.heapBytesPerRun, m.idle.heapBytesPerRun <= 320),
    statementVerdict("hot-path insert ÷ raw better-sqlite3", m.statements.insertEvent),
    statementVerdict("hot-path lookup ÷ raw better-sqlite3", m.statements.getRunForWrite),
  ];
}

/** The printed table, section by section, in the order the cases ran. */
export function tableRows(m: Measurements): Row[] {
  const { throughputRatio, latencyFloorMs, latencyRatio } = ratios(m);
  const { floor, statements, throughput, latency, idle, timers, signals } = m;
  const replay = lastOf(m.replays);
  const count = (n: number) => n.toLocaleString("en-US");
  return [
    ...section("floor", [
      { metric: "single-row commits", value: floor.singleCommitsPerSecond, unit: "commits/s" },
      {
        metric: "single-row commits, WAL never checkpointed",
        value: floor.singleCommitsNoCheckpointPerSecond,
        unit: "commits/s",
      },
      { metric: "rows, 64 per transaction", value: floor.rowsPerSecondAt64, unit: "rows/s" },
      { metric: "rows, 100 per transaction", value: floor.rowsPerSecondAt100, unit: "rows/s" },
    ]),
    ...section("statements", [
      ...statementRows("insert event", statements.insertEvent),
      { metric: "insert event: prepare per call", value: statements.insertEvent.preparePerCallNs, unit: "ns" },
      ...statementRows("run lookup", statements.getRunForWrite),
    ]),
    ...section(`throughput (${throughput.workflows} × 3 no-op steps)`, [
      { metric: "workflows", value: throughput.workflowsPerSecond, unit: "workflows/s" },
      {
        metric: "steps",
        value: throughput.stepsPerSecond,
        unit: "steps/s",
        goal: `${throughputRatio.toFixed(3)}× batched floor (≥ 0.25×)`,
        met: throughputRatio >= 0.25,
      },
      { metric: "transactions per workflow", value: throughput.transactionsPerWorkflow, unit: "tx" },
      { metric: "writes per transaction", value: throughput.writesPerTransaction, unit: "writes" },
      { metric: "SQL statements per workflow", value: throughput.statementsPerWorkflow, unit: "statements" },
    ]),
    ...section(`latency (${latency.runs} sequential runs)`, [
      {
        metric: "p50 start() → result()",
        value: latency.p50Ms,
        unit: "ms",
        goal: `${latencyRatio.toFixed(2)}× floor of ${latencyFloorMs.toFixed(3)} ms (≤ 3×)`,
        met: latencyRatio <= 3,
      },
      {
        metric: "p99 start() → result()",
        value: latency.p99Ms,
        unit: "ms",
        goal: "≤ 5 ms",
        met: latency.p99Ms.median <= 5,
      },
      { metric: "commits per run", value: latency.commitsPerRun, unit: "tx" },
    ]),
    ...m.replays.flatMap((r) =>
      section(`replay (${count(r.events)} events)`, [
        {
          metric: "load + decode + replay",
          value: r.totalMs,
          unit: "ms",
          ...(r === replay ? { goal: "≤ 50 ms", met: r.totalMs.median <= 50 } : {}),
        },
        { metric: "per event", value: r.microsecondsPerEvent, unit: "µs" },
        ...(r === replay
          ? [
              { metric: "of which: read", value: r.readMs, unit: "ms" },
              { metric: "of which: decode", value: r.decodeMs, unit: "ms" },
              { metric: "of which: apply", value: r.applyMs, unit: "ms" },
            ]
          : []),
        { metric: "cold resume: signal → result", value: r.coldResumeMs, unit: "ms" },
      ]),
    ),
    ...section(`idle memory (${count(idle.runs)} parked runs)`, [
      {
        metric: "heap per run",
        value: idle.heapBytesPerRun,
        unit: "bytes",
        goal: "≤ 320 bytes",
        met: idle.heapBytesPerRun <= 320,
      },
      { metric: "runs parked per second", value: idle.runsParkedPerSecond, unit: "runs/s" },
    ]),
    ...m.schedulers.flatMap((s) =>
      section(`scheduler (${count(s.parkedRuns)} parked runs)`, [
        { metric: "claimDueRuns, nothing due", value: s.claimNothingDueUs, unit: "µs/call" },
        { metric: "nextDueAtMs", value: s.nextDueUs, unit: "µs/call" },
        { metric: "renewLeases, 100 runs", value: s.renew100Us, unit: "µs/call" },
      ]),
    ),
    ...section(`start-up check (${count(m.startUpCheck.parkedRuns)} parked runs, in the background)`, [
      { metric: "whole check", value: m.startUpCheck.checkSeconds, unit: "s" },
      { metric: "runs checked", value: m.startUpCheck.runsCheckedPerSecond, unit: "runs/s" },
      { metric: "a 3-step run started meanwhile", value: m.startUpCheck.runDuringCheckMs, unit: "ms" },
      { metric: "runs blocked (code matches)", value: m.startUpCheck.blocked, unit: "runs" },
    ]),
    ...section(`timers (${timers.runs} runs sleep 1 s)`, [
      { metric: "late p50", value: timers.lateP50Ms, unit: "ms" },
      { metric: "late p99", value: timers.lateP99Ms, unit: "ms" },
    ]),
    ...section(`signals (${signals.roundTrips} round trips)`, [
      { metric: "signal → result p50", value: signals.p50Ms, unit: "ms" },
      { metric: "signal → result p99", value: signals.p99Ms, unit: "ms" },
    ]),
    ...m.payloads.map((p): Row => ({
      section: `scaling: payload (${p.workflows} × 3 steps)`,
      metric: `${count(p.bytes)} B per step result`,
      value: p.stepsPerSecond,
      unit: "steps/s",
    })),
    ...m.concurrency.map((c): Row => ({
      section: `scaling: concurrency (${c.workflows} × 3 steps)`,
      metric: `concurrency ${c.concurrency}`,
      value: c.workflowsPerSecond,
      unit: "workflows/s",
    })),
    ...section(`scaling: run ids (${m.orderedIds.workflows} × 3 steps)`, [
      {
        metric: "time-ordered ids instead of random UUIDs",
        value: m.orderedIds.workflowsPerSecond,
        unit: "workflows/s",
      },
    ]),
    ...section(`starts (${count(m.starts.runs)} runs, client engine)`, [
      { metric: "awaited one by one", value: m.starts.oneByOne.startsPerSecond, unit: "starts/s" },
      { metric: "awaited one by one: transactions", value: m.starts.oneByOne.transactions, unit: "tx" },
      { metric: "concurrent start()", value: m.starts.concurrent.startsPerSecond, unit: "starts/s" },
      { metric: "concurrent start(): transactions", value: m.starts.concurrent.transactions, unit: "tx" },
      { metric: "one startMany()", value: m.starts.startMany.startsPerSecond, unit: "starts/s" },
      { metric: "one startMany(): transactions", value: m.starts.startMany.transactions, unit: "tx" },
    ]),
    ...section(
      `scaling: waiting handles (${count(m.waitingHandles.workflows)} × 3 steps, ` +
        `${count(m.waitingHandles.waitingHandles)} result() calls waiting on parked runs)`,
      [
        { metric: "workflows", value: m.waitingHandles.workflowsPerSecond, unit: "workflows/s" },
        {
          metric: "SQL statements per workflow",
          value: m.waitingHandles.statementsPerWorkflow,
          unit: "statements",
        },
      ],
    ),
    ...section(`fan-out (${count(m.fanOut.runs)} runs one at a time, each all() of ${m.fanOut.steps} no-op steps)`, [
      { metric: "p50 start() → result()", value: m.fanOut.p50Ms, unit: "ms" },
      { metric: "steps", value: m.fanOut.stepsPerSecond, unit: "steps/s" },
      { metric: "commits per run", value: m.fanOut.commitsPerRun, unit: "tx" },
    ]),
    ...section(`fan-out (${m.fanOutThroughput.workflows} × all() of 3 no-op steps)`, [
      { metric: "workflows", value: m.fanOutThroughput.workflowsPerSecond, unit: "workflows/s" },
      {
        metric: "workflows ÷ throughput case (3 steps one after another)",
        value: m.fanOutThroughput.workflowsPerSecond.median / throughput.workflowsPerSecond.median,
        unit: "×",
      },
      { metric: "steps", value: m.fanOutThroughput.stepsPerSecond, unit: "steps/s" },
      { metric: "transactions per workflow", value: m.fanOutThroughput.transactionsPerWorkflow, unit: "tx" },
      { metric: "writes per transaction", value: m.fanOutThroughput.writesPerTransaction, unit: "writes" },
      { metric: "SQL statements per workflow", value: m.fanOutThroughput.statementsPerWorkflow, unit: "statements" },
    ]),
    ...section(`scaling: completion (${m.idleCompletion.workflows} × 3 steps)`, [
      {
        metric: "awaited with one whenIdle() instead of result() per run",
        value: m.idleCompletion.workflowsPerSecond,
        unit: "workflows/s",
      },
    ]),
    ...section(`diagnostic: where throughput goes (${m.storeAlone.workflows} × 3 steps)`, [
      {
        metric: "engine on a :memory: store (no disk)",
        value: m.throughputInMemory.workflowsPerSecond,
        unit: "workflows/s",
      },
      { metric: "store calls alone, no engine, on disk", value: m.storeAlone.workflowsPerSecond, unit: "workflows/s" },
      {
        metric: "store calls alone ÷ batched floor (steps/s ÷ rows/s)",
        value: (3 * m.storeAlone.workflowsPerSecond.median) / floor.rowsPerSecondAt100.median,
        unit: "×",
      },
      {
        metric: "store calls alone, no engine, :memory:",
        value: m.storeAloneInMemory.workflowsPerSecond,
        unit: "workflows/s",
      },
    ]),
  ];
}

/** A hot-path statement's raw and store costs, the store's judged against the ≤ 1.5× goal. */
function statementRows(label: string, cost: StatementCost): Omit<Row, "section">[] {
  return [
    { metric: `${label}: raw`, value: cost.rawNs, unit: "ns" },
    {
      metric: `${label}: store (compiled once, cached)`,
      value: cost.storeNs,
      unit: "ns",
      goal: `${cost.ratio.toFixed(2)}× raw (≤ ${STATEMENT_RATIO_GOAL}×)`,
      met: cost.ratio <= STATEMENT_RATIO_GOAL,
    },
  ];
}

/** Rows of one table section: the section name is written once. */
function section(name: string, rows: readonly Omit<Row, "section">[]): Row[] {
  return rows.map((row) => ({ section: name, ...row }));
}

function lastOf<T>(items: readonly T[]): T {
  const last = items.at(-1);
  if (last === undefined) throw new Error("the benchmark plan measures at least one case of each kind");
  return last;
}
