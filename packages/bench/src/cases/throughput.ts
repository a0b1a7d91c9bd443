// Throughput: many workflows started at once through the public API, default (durable) settings, until all results.
// Reports workflows/s and steps/s, plus how many transactions the store needed (group commit at work).
import { createEngine, type EngineOptions, type StartOptions } from "@reprise/core";
import { type StoreSource, nowMs, repeat, type Storage, storeCounters, summarize, type Summary } from "../measure.js";
import { threeSteps, threeStepsInAll, threeStepsWithPayload } from "../workflows.js";

export interface ThroughputResult {
  readonly workflows: number;
  readonly workflowsPerSecond: Summary;
  readonly stepsPerSecond: Summary;
  /** Store write transactions per workflow (createRun, claims and step commits shared by group commit). */
  readonly transactionsPerWorkflow: Summary;
  /** Store writes (atomic operations) per transaction: how many callers one fsync served. */
  readonly writesPerTransaction: Summary;
  /** SQL statements per workflow (reads and writes, everything the engine ran meanwhile included). */
  readonly statementsPerWorkflow: Summary;
}

export interface ThroughputOptions {
  readonly workflows: number;
  readonly repetitions: number;
  readonly warmups?: number;
  /** Engine options beyond the defaults (the case uses none). */
  readonly engine?: Partial<Omit<EngineOptions, "store" | "workflows">>;
  /** Bytes returned by each step (payload scaling); undefined runs the three no-op steps. */
  readonly payloadBytes?: number;
  /** How a run takes its three no-op steps: one after another (the case) or side by side in one `all`. */
  readonly steps?: "sequential" | "all";
  /** Run ids: random UUIDs (the default of start()) or time-ordered strings passed by the caller. */
  readonly ids?: "random" | "time-ordered";
  /** How completion is awaited: `result()` on every run (what users do), or one `engine.whenIdle()`. */
  readonly completion?: "result" | "whenIdle";
  /** A file (the case) by default; `:memory:` shows what the disk costs. */
  readonly storage?: Storage;
  /** Start options of run `i` beyond its id (e.g. a queue and key: the queue case). */
  readonly start?: (i: number) => StartOptions;
}

export async function measureThroughput(dir: StoreSource, options: ThroughputOptions): Promise<ThroughputResult> {
  const samples = await repeat(options.repetitions, options.warmups ?? 1, () => once(dir, options));
  return {
    workflows: options.workflows,
    workflowsPerSecond: summarize(samples.map((s) => s.workflowsPerSecond)),
    stepsPerSecond: summarize(samples.map((s) => s.workflowsPerSecond * 3)),
    transactionsPerWorkflow: summarize(samples.map((s) => s.transactions / options.workflows)),
    writesPerTransaction: summarize(samples.map((s) => s.writes / s.transactions)),
    statementsPerWorkflow: summarize(samples.map((s) => s.statements / options.workflows)),
  };
}

async function once(
  dir: StoreSource,
  options: ThroughputOptions,
): Promise<{ workflowsPerSecond: number; transactions: number; writes: number; statements: number }> {
  const store = await dir.store("throughput", options.storage);
  const definition =
    options.payloadBytes !== undefined ? threeStepsWithPayload : options.steps === "all" ? threeStepsInAll : threeSteps;
  const engine = createEngine({ store, workflows: [definition], ...options.engine });
  await engine.whenIdle();
  const before = storeCounters(store);
  const prefix = `${Date.now().toString(36)}-`;
  const started = nowMs();
  const runs = await Promise.all(
    Array.from({ length: options.workflows }, (_, i) =>
      engine.start(definition, options.payloadBytes ?? i, {
        ...options.start?.(i),
        ...(options.ids === "time-ordered" ? { id: `${prefix}${String(i).padStart(7, "0")}` } : {}),
      }),
    ),
  );
  if (options.completion === "whenIdle") await engine.whenIdle();
  else await Promise.all(runs.map((run) => run.result()));
  const seconds = (nowMs() - started) / 1000;
  const after = storeCounters(store);
  await engine.close();
  await store.close();
  return {
    workflowsPerSecond: options.workflows / seconds,
    transactions: after.transactions - before.transactions,
    writes: after.writes - before.writes,
    statements: after.statements - before.statements,
  };
}
