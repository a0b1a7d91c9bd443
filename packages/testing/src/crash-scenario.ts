// One crash-safety scenario, played deterministically: start a run (and the children it starts), deliver signals at
// chosen idle points, move virtual time from deadline to deadline, and recover from every crash by reopening the store.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  RunFinishedError,
  RunNotFoundError,
  createEngine,
  type Engine,
  type EngineOptions,
  type HistoryEvent,
  type RunStatus,
  type Store,
  type WorkflowDefinition,
} from "@reprise/core";
import { decodeEvent } from "@reprise/core/internal";
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
  /** The run to send it to; the scenario's own run when undefined. */
  readonly runId?: string | undefined;
}

/** What to play: the input, the signals and when they arrive. */
export interface Scenario<I> {
  readonly input: I;
  readonly signals: readonly ScenarioSignal[];
}

/** How to play it. */
export interface PlayOptions {
  readonly stubs?: Readonly<Record<string, StepStub>>;
  /** Other workflows the engine serves (children the scenario's workflow starts), instrumented like it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly workflows?: readonly WorkflowDefinition<any, any>[];
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

/** A step function call, with the number of crashes that happened before it in its play. */
export interface ObservedStepCall extends StepCall {
  readonly crashesBefore: number;
}

/** How one run of the scenario (its own run or a child, at any depth) stood when the play ended. */
export interface RunObservation {
  readonly id: string;
  readonly workflow: string;
  readonly parentId: string | undefined;
  readonly status: RunStatus | undefined;
  readonly result: unknown;
  readonly error: Error | undefined;
  readonly reason: string | undefined;
  readonly events: readonly HistoryEvent[];
}

/** Everything a played scenario produced, for comparison with the uninterrupted run. */
export interface Observation {
  readonly status: RunStatus | undefined;
  readonly result: unknown;
  readonly error: Error | undefined;
  readonly reason: string | undefined;
  readonly events: readonly HistoryEvent[];
  readonly stepCalls: readonly ObservedStepCall[];
  /** Every other run the scenario's run created (children, grandchildren), by id. */
  readonly children: ReadonlyMap<string, RunObservation>;
  /** Step attempts whose outcome reached the store (`<idempotency key>#<attempt>`), with the crashes before. */
  readonly persistedAttempts: ReadonlyMap<string, number>;
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
  const stepCalls: ObservedStepCall[] = [];
  const engineErrors: unknown[] = [];
  const nondeterministicCalls: NondeterministicCallError[] = [];
  const workflows = [workflow, ...(options.workflows ?? []).filter((other) => other.name !== workflow.name)];
  /** Each engine gets its own copies: once its process crashed, it calls no step function any more. */
  const instrument = <In, Out>(served: WorkflowDefinition<In, Out>, store: CrashingStore) =>
    instrumentWorkflow(served, {
      stubs: options.stubs,
      onStepCall: (call) => {
        // Its other runs may still be between two store calls: a dead process runs nothing, not even them.
        if (store.crashed) throw new SimulatedCrash();
        stepCalls.push({ ...call, crashesBefore: log.crashes.length });
      },
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
      workflows: workflows.map((served) => instrument(served, store)),
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
    const ids = (await instance.raw.listRuns({ limit: MAX_RUNS })).map((run) => run.id);
    for (const owner of log.owners) await instance.raw.releaseLeases(owner, ids, clock.nowMs());
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
    await instance.engine.start(workflow, scenario.input, { id: SCENARIO_RUN_ID });
    await settle();
    for (let tick = 0; tick <= options.maxTicks; tick++) {
      for (const [index, signal] of scenario.signals.entries()) {
        if (signal.atTick !== tick) continue;
        signalOutcomes[index] = await sendSignal(instance.engine, signal, index);
        await settle();
      }
      const runs = await instance.raw.listRuns({ limit: MAX_RUNS });
      const moreSignals = scenario.signals.some((signal) => signal.atTick > tick);
      const going = runs.filter((run) => !STOPPED.has(run.status));
      if (going.length === 0 && !moreSignals) break;
      // Idle points follow the runs' own deadlines (from the store; children's too, since a parent waiting for a
      // child has none), never engine-internal timers, so a crashed play and the uninterrupted one meet the same
      // idle points at the same virtual times.
      const deadlines = going.flatMap((run) => (run.wakeAtMs === undefined ? [] : [run.wakeAtMs]));
      const wakeAtMs = deadlines.length === 0 ? undefined : Math.min(...deadlines);
      if (wakeAtMs === undefined) {
        if (!moreSignals) break;
        continue;
      }
      await clock.advance(Math.max(0, wakeAtMs - clock.nowMs()), settle);
    }
    const root = await observeRun(instance, SCENARIO_RUN_ID);
    const children = new Map<string, RunObservation>();
    for (const run of await instance.raw.listRuns({ limit: MAX_RUNS })) {
      if (run.id !== SCENARIO_RUN_ID) children.set(run.id, await observeRun(instance, run.id));
    }
    return {
      status: root.status,
      result: root.result,
      error: root.error,
      reason: root.reason,
      events: root.events,
      stepCalls,
      children,
      persistedAttempts: log.persistedAttempts,
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

/** Runs a scenario may hold (its own and its children): more would be a workflow starting children without end. */
const MAX_RUNS = 10_000;
const STOPPED: ReadonlySet<RunStatus> = new Set(["completed", "failed", "cancelled", "blocked"]);

async function observeRun(instance: Instance, runId: string): Promise<RunObservation> {
  const info = await instance.engine.getRun(runId);
  // Every generation of a run that continued as new, in order: crashes around a transition must change none.
  const records = [];
  for (let generation = 1; generation <= (info?.generation ?? 1); generation++) {
    records.push(...(await instance.raw.readEvents(runId, 0, generation)));
  }
  return {
    id: runId,
    workflow: info?.workflow ?? "",
    parentId: info?.parentId,
    status: info?.status,
    result: info?.result,
    error: info?.error,
    reason: info?.reason,
    events: records.map((record) => decodeEvent(runId, record)),
  };
}

async function sendSignal(engine: Engine, signal: ScenarioSignal, index: number): Promise<string> {
  try {
    const sent = await engine.signal(signal.runId ?? SCENARIO_RUN_ID, signal.name, signal.payload, {
      id: `scenario-signal-${index}`,
    });
    return sent.duplicate ? "duplicate" : "accepted";
  } catch (error) {
    if (error instanceof RunFinishedError) return "refused: the run had finished";
    if (error instanceof RunNotFoundError) return "refused: the run did not exist yet";
    throw error;
  }
}
