// One crash-safety scenario, played deterministically: start a run, deliver signals at chosen idle points,
// move virtual time from deadline to deadline, and recover from every planned crash by reopening the store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  RunFinishedError,
  createEngine,
  decodeEvent,
  type Engine,
  type EngineOptions,
  type HistoryEvent,
  type RunStatus,
  type Store,
  type WorkflowDefinition,
} from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { CrashLog, CrashingStore, SimulatedCrash, type CrashRecord, type CrashTiming } from "./crash-store.js";
import type { NondeterministicCallError } from "./errors.js";
import { instrumentWorkflow, type StepCall, type StepStub } from "./instrument-workflow.js";
import { seededRandom } from "./seeded-random.js";
import { VirtualClock } from "./virtual-clock.js";

/** The id of the run every scenario starts. */
export const SCENARIO_RUN_ID = "crash-check";

/** A signal sent during a scenario, once the run has gone idle `atTick` times (0 = right after start). */
export interface ScenarioSignal {
  readonly name: string;
  readonly payload: unknown;
  readonly atTick: number;
}

/** What to play: the input, the signals and when they arrive. */
export interface Scenario<I> {
  readonly input: I;
  readonly signals: readonly ScenarioSignal[];
}

/** How to play it. */
export interface PlayOptions {
  readonly stubs?: Readonly<Record<string, StepStub>>;
  /** Opens the store on a file; SqliteStore by default. Lets a custom store be checked too. */
  readonly openStore?: (filename: string) => Promise<Store>;
  /** Engine options other than store, clock and workflows. */
  readonly engineOptions?: Omit<EngineOptions, "store" | "clock" | "workflows">;
  /** Upper bound on idle points before the harness stops waiting for the run to finish. */
  readonly maxTicks: number;
  readonly seed: number;
  /** Guard workflow code against direct clock and randomness reads (NondeterministicCallError). */
  readonly detectNondeterminism: boolean;
}

/** Everything a played scenario produced, for comparison with the uninterrupted run. */
export interface Observation {
  readonly status: RunStatus | undefined;
  readonly result: unknown;
  readonly error: Error | undefined;
  readonly reason: string | undefined;
  readonly events: readonly HistoryEvent[];
  readonly stepCalls: readonly StepCall[];
  readonly signalOutcomes: readonly string[];
  readonly commits: number;
  readonly crashes: readonly CrashRecord[];
  readonly engineErrors: readonly unknown[];
  /** Direct clock and randomness reads in workflow code (empty when detection is off). */
  readonly nondeterministicCalls: readonly NondeterministicCallError[];
}

interface Instance {
  readonly raw: Store;
  readonly store: CrashingStore;
  readonly engine: Engine;
}

/** Plays `scenario` with crashes at the planned commits (1-based, counted across restarts). */
export async function playScenario<I>(
  workflow: WorkflowDefinition<I, unknown>,
  scenario: Scenario<I>,
  plan: ReadonlyMap<number, CrashTiming>,
  options: PlayOptions,
): Promise<Observation> {
  const directory = mkdtempSync(join(tmpdir(), "reprise-crash-"));
  const filename = join(directory, "reprise.db");
  const clock = new VirtualClock();
  const log = new CrashLog(plan);
  const stepCalls: StepCall[] = [];
  const engineErrors: unknown[] = [];
  const nondeterministicCalls: NondeterministicCallError[] = [];
  const definition = instrumentWorkflow(workflow, {
    stubs: options.stubs,
    onStepCall: (call) => stepCalls.push(call),
    onNondeterministicCall: options.detectNondeterminism
      ? (error: NondeterministicCallError) => nondeterministicCalls.push(error)
      : undefined,
  });
  const openStore = options.openStore ?? ((file: string) => SqliteStore.open({ filename: file }));

  const open = async (): Promise<Instance> => {
    const raw = await openStore(filename);
    const store = new CrashingStore(raw, log);
    const engine = createEngine({
      ...options.engineOptions,
      store,
      clock,
      workflows: [definition],
      pollIntervalMs: Number.POSITIVE_INFINITY,
      shutdownGraceMs: 0,
      random: seededRandom(options.seed),
      onError: (error) => {
        if (!(error instanceof SimulatedCrash)) engineErrors.push(error);
      },
    });
    return { raw, store, engine };
  };

  let instance = await open();
  /** The crashed "process" is gone: its engine stops without writing, its leases are freed as if expired, the file is reopened. */
  const recover = async (): Promise<void> => {
    await instance.engine.close().catch(() => undefined);
    for (const owner of log.owners) await instance.raw.releaseLeases(owner, [SCENARIO_RUN_ID], clock.nowMs());
    await instance.raw.close();
    instance = await open();
  };
  const settle = async (): Promise<void> => {
    for (;;) {
      try {
        await instance.engine.whenIdle();
      } catch (error) {
        if (!instance.store.crashed) throw error;
      }
      if (!instance.store.crashed) return;
      await recover();
    }
  };

  const signalOutcomes: string[] = [];
  try {
    await instance.engine.start(definition, scenario.input, { id: SCENARIO_RUN_ID });
    await settle();
    for (let tick = 0; tick <= options.maxTicks; tick++) {
      for (const [index, signal] of scenario.signals.entries()) {
        if (signal.atTick !== tick) continue;
        signalOutcomes[index] = await sendSignal(instance.engine, signal, index);
        await settle();
      }
      const run = await instance.raw.getRun(SCENARIO_RUN_ID);
      const moreSignals = scenario.signals.some((signal) => signal.atTick > tick);
      const stopped = run === undefined || ["completed", "failed", "cancelled", "blocked"].includes(run.status);
      if (stopped && !moreSignals) break;
      // Idle points follow the run's own deadlines (from the store), never engine-internal timers, so a
      // crashed play and the uninterrupted one meet the same idle points at the same virtual times.
      const wakeAtMs = stopped ? undefined : run?.wakeAtMs;
      if (wakeAtMs === undefined) {
        if (!moreSignals) break;
        continue;
      }
      await clock.advance(Math.max(0, wakeAtMs - clock.nowMs()), settle);
    }
    const info = await instance.engine.getRun(SCENARIO_RUN_ID);
    const records = await instance.raw.readEvents(SCENARIO_RUN_ID);
    return {
      status: info?.status,
      result: info?.result,
      error: info?.error,
      reason: info?.reason,
      events: records.map((record) => decodeEvent(SCENARIO_RUN_ID, record)),
      stepCalls,
      signalOutcomes,
      commits: log.commits,
      crashes: log.crashes,
      engineErrors,
      nondeterministicCalls,
    };
  } finally {
    await instance.engine.close().catch(() => undefined);
    await instance.raw.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

async function sendSignal(engine: Engine, signal: ScenarioSignal, index: number): Promise<string> {
  try {
    const sent = await engine.signal(SCENARIO_RUN_ID, signal.name, signal.payload, { id: `scenario-signal-${index}` });
    return sent.duplicate ? "duplicate" : "accepted";
  } catch (error) {
    if (error instanceof RunFinishedError) return "refused: the run had finished";
    throw error;
  }
}
