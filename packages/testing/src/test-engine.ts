// createTestEngine: the production engine on a real SQLite file with a virtual clock, stubs and restarts.
// Only the clock, the store location, step stubs and the determinism guard differ from production.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createEngine,
  type Engine,
  type EngineOptions,
  type HistoryEvent,
  type HistoryOptions,
  type ListRunsOptions,
  type CountRunsOptions,
  type RunInfo,
  type CheckedStartManyItems,
  type RunHandle,
  type SignalOptions,
  type StartManyHandles,
  type StartManyItem,
  type StartOptions,
  type WorkflowDefinition,
} from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { DateTime, type DurationLike } from "luxon";
import type { NondeterministicCallError } from "./errors.js";
import { instrumentWorkflow, type StepCall, type StepStub } from "./instrument-workflow.js";
import { seededRandom } from "./seeded-random.js";
import { TestRunHandle } from "./test-run-handle.js";
import { VirtualClock } from "./virtual-clock.js";

/** Options of `createTestEngine`. Engine options other than store, clock and workflows pass through. */
export interface TestEngineOptions extends Omit<EngineOptions, "store" | "clock" | "workflows"> {
  /**
   * Every workflow the engine serves: the ones the test starts and the children they start with `child()` /
   * `startChild()` (a child whose workflow is missing here is created but never runs). `stubs` and
   * `stepCalls` cover all of them, their parallel branches included.
   *
   * @example
   * const t = await createTestEngine({ workflows: [checkout, charge] }); // charge runs as checkout's child
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly workflows: readonly WorkflowDefinition<any, any>[];
  /** Step functions to use instead of the workflows' own, by step name (for every workflow). */
  readonly stubs?: Readonly<Record<string, StepStub>>;
  /** Virtual start time. Default 2030-01-01T00:00:00Z. */
  readonly startAt?: DateTime | Date | number;
  /** SQLite file to use (kept afterwards). Default: a new temporary file, deleted by `close()`. */
  readonly filename?: string;
  /** Seed for `random()` and `uuid()` values. Default 0. */
  readonly seed?: number | string;
  /**
   * Fail workflow code that reads the clock or randomness directly (`Date.now()`, `new Date()`,
   * `Math.random()`, `crypto.randomUUID()`, `performance.now()`, ...) with NondeterministicCallError: the
   * run fails and the test engine's current action rejects with it. Step functions are never checked.
   * Default true; `false` runs workflow code unguarded, as production does.
   */
  readonly detectNondeterminism?: boolean;
}

/**
 * The test engine: every method of a production engine, plus `advance` and `restart`.
 *
 * @example
 * const t = await createTestEngine({ workflows: [order] });
 * const run = await t.start(order, { sku: "mug", qty: 1 });
 * await t.advance({ days: 3 });
 * await t.signal(run.id, "shipped", { carrier: "DHL" });
 * expect(await run.result()).toEqual({ status: "shipped" });
 * await t.close();
 */
export interface TestEngine {
  readonly clock: VirtualClock;
  /** The engine currently running (a new one after each `restart`). */
  readonly engine: Engine;
  readonly filename: string;
  /** Step functions called so far, in order, across restarts. */
  readonly stepCalls: readonly StepCall[];
  /** Errors engines reported from background work. */
  readonly errors: readonly unknown[];
  /** Direct clock and randomness reads found in workflow code so far (see `detectNondeterminism`). */
  readonly nondeterministicCalls: readonly NondeterministicCallError[];
  start<I, O>(workflow: WorkflowDefinition<I, O>, input: I, options?: StartOptions): Promise<TestRunHandle<O>>;
  startMany<T extends readonly StartManyItem[]>(items: T & CheckedStartManyItems<T>): Promise<TestRunHandles<T>>;
  signal(
    runId: string,
    name: string,
    payload?: unknown,
    options?: SignalOptions,
  ): Promise<{ id: string; duplicate: boolean }>;
  cancel(runId: string, options?: { reason?: string }): Promise<void>;
  getRun<O = unknown>(runId: string): Promise<RunInfo<O> | undefined>;
  /** The run's history: its current generation, or `{ generation }` (a run that used continueAsNew). */
  history(runId: string, options?: HistoryOptions): Promise<HistoryEvent[]>;
  listRuns(options?: ListRunsOptions): Promise<RunInfo[]>;
  /** Changes a queued run's priority (Engine.setPriority), then lets the work that follows settle. */
  setPriority(runId: string, priority: number): Promise<void>;
  /** Changes the priority of every matching queued run (Engine.setPriorityMany), then settles. */
  setPriorityMany(options: CountRunsOptions, priority: number): Promise<number>;
  /** How many runs match the filters (as `engine.countRuns`). */
  countRuns(options?: CountRunsOptions): Promise<number>;
  /** Requests the cancellation of every matching unfinished run (as `engine.cancelMany`), then settles. */
  cancelMany(options: CountRunsOptions, cancel?: { reason?: string }): Promise<number>;
  /** Moves virtual time forward, firing every timer that falls due in deadline order, each after the work before it settled. */
  advance(duration: DurationLike): Promise<void>;
  /** Waits until nothing is due at the current virtual time. */
  settle(): Promise<void>;
  /** Drops the engine and the store connection, reopens the same file: runs continue by replay. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** What the test engine's `startMany(items)` resolves with: a TestRunHandle per item, typed like the engine's. */
export type TestRunHandles<T extends readonly StartManyItem[]> = {
  -readonly [K in keyof T]: TestRunHandle<StartManyHandles<T>[K] extends RunHandle<infer O> ? O : unknown>;
};

/**
 * Creates a test engine on a real SQLite file with a virtual clock. Every action (`start`, `signal`,
 * `cancel`, `advance`, `settle`, `restart`) rejects with NondeterministicCallError when workflow code read
 * the clock or randomness directly since the previous action (unless `detectNondeterminism: false`).
 *
 * @example
 * const t = await createTestEngine({ workflows: [order], stubs: { charge: () => ({ id: "ch_1" }) } });
 */
export async function createTestEngine(options: TestEngineOptions): Promise<TestEngine> {
  const {
    workflows,
    stubs,
    startAt,
    filename: givenFilename,
    seed = 0,
    detectNondeterminism = true,
    ...engineOptions
  } = options;
  const directory = givenFilename === undefined ? mkdtempSync(join(tmpdir(), "reprise-test-engine-")) : undefined;
  const filename = givenFilename ?? join(directory as string, "reprise.db");
  const clock = new VirtualClock(startAtMs(startAt));
  const stepCalls: StepCall[] = [];
  const errors: unknown[] = [];
  const nondeterministicCalls: NondeterministicCallError[] = [];
  const onNondeterministicCall = detectNondeterminism
    ? (error: NondeterministicCallError) => nondeterministicCalls.push(error)
    : undefined;
  const instrumented = workflows.map((definition) =>
    instrumentWorkflow(definition, { stubs, onStepCall: (call) => stepCalls.push(call), onNondeterministicCall }),
  );
  let reported = 0;
  /** Runs a test-engine action, then rejects with the first clock or randomness read not reported yet. */
  const checked = async <T>(action: () => Promise<T>): Promise<T> => {
    const value = await action();
    const found = nondeterministicCalls[reported];
    reported = nondeterministicCalls.length;
    if (found !== undefined) throw found;
    return value;
  };

  const open = async (): Promise<{ store: SqliteStore; engine: Engine }> => {
    const store = await SqliteStore.open({ filename });
    const engine = createEngine({
      shutdownGraceMs: 0,
      onError: (error) => errors.push(error),
      random: seededRandom(seed),
      ...engineOptions,
      store,
      clock,
      workflows: instrumented,
      pollIntervalMs: Number.POSITIVE_INFINITY,
    });
    return { store, engine };
  };

  let current = await open();
  const settle = () => current.engine.whenIdle();
  const host = { getRun: (id: string) => current.engine.getRun(id), settle };

  const testEngine: TestEngine = {
    clock,
    filename,
    stepCalls,
    errors,
    nondeterministicCalls,
    get engine() {
      return current.engine;
    },
    start: (workflow, input, startOptions) =>
      checked(async () => {
        const handle = await current.engine.start(workflow, input, startOptions);
        await settle();
        return new TestRunHandle(host, handle.id, handle.workflow, clock);
      }),
    signal: (runId, name, payload, signalOptions) =>
      checked(async () => {
        const sent = await current.engine.signal(runId, name, payload, signalOptions);
        await settle();
        return sent;
      }),
    cancel: (runId, cancelOptions) =>
      checked(async () => {
        await current.engine.cancel(runId, cancelOptions);
        await settle();
      }),
    startMany: <T extends readonly StartManyItem[]>(items: T & CheckedStartManyItems<T>) =>
      checked(async () => {
        const handles: RunHandle[] = await current.engine.startMany<readonly StartManyItem[]>(items);
        await settle();
        return handles.map((handle) => new TestRunHandle(host, handle.id, handle.workflow, clock)) as TestRunHandles<T>;
      }),
    getRun: (runId) => current.engine.getRun(runId),
    history: (runId, options) => current.engine.history(runId, options),
    listRuns: (listOptions) => current.engine.listRuns(listOptions),
    setPriority: (runId, priority) =>
      checked(async () => {
        await current.engine.setPriority(runId, priority);
        await settle();
      }),
    countRuns: (countOptions) => current.engine.countRuns(countOptions),
    setPriorityMany: (filter, priority) =>
      checked(async () => {
        const changed = await current.engine.setPriorityMany(filter, priority);
        await settle();
        return changed;
      }),
    cancelMany: (filter, cancel) =>
      checked(async () => {
        const marked = await current.engine.cancelMany(filter, cancel);
        await settle();
        return marked;
      }),
    advance: (duration) => checked(() => clock.advance(duration, settle)),
    settle: () => checked(settle),
    restart: () =>
      checked(async () => {
        await current.engine.close();
        await current.store.close();
        current = await open();
        await settle();
      }),
    async close() {
      await current.engine.close();
      await current.store.close();
      if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
    },
  };
  try {
    await checked(settle);
  } catch (error) {
    await testEngine.close();
    throw error;
  }
  return testEngine;
}

function startAtMs(startAt: DateTime | Date | number | undefined): number {
  if (startAt === undefined) return Date.UTC(2030, 0, 1);
  if (typeof startAt === "number") return startAt;
  return DateTime.isDateTime(startAt) ? startAt.toMillis() : startAt.getTime();
}
