// checkCrashSafety: property-based proof that a workflow survives a crash at any commit. fast-check picks
// the input, signal timing and crash schedule; each crashed play is compared with the uninterrupted one.
import type { EngineOptions, Store, WorkflowDefinition } from "@reprise/core";
import fc from "fast-check";
import { isArbitrary } from "./arbitrary-detection.js";
import {
  decodeAll,
  describe,
  findViolation,
  nondeterministicCallProblem,
  type CheckContext,
} from "./crash-properties.js";
import { playScenario, SCENARIO_RUN_ID, type Observation, type PlayOptions, type Scenario } from "./crash-scenario.js";
import type { CrashRecord, CrashTiming } from "./crash-store.js";
import { MissingChildWorkflowError, type NondeterministicCallError } from "./errors.js";
import type { StepStub } from "./instrument-workflow.js";

/**
 * A fixed value or a fast-check arbitrary of values. Arbitraries from any copy of fast-check (CommonJS or
 * ESM, v3 or v4) are recognised by their methods, not by `instanceof`.
 */
export type ValueOrArbitrary<T> = T | fc.Arbitrary<T>;

/** A signal the scenario sends once; fast-check chooses when (unless `atTick` fixes it). */
export interface CrashSafetySignal {
  readonly name: string;
  readonly payload?: ValueOrArbitrary<unknown>;
  /** Send it after the run has gone idle this many times (0 = right after start). Default: chosen by fast-check. */
  readonly atTick?: number;
  /**
   * The run to send it to: the checked workflow's run by default, or a child by its id (give the child a fixed
   * id with `child(definition, input, { id })`). Sent before the child exists, it is refused, in both plays alike.
   *
   * @example
   * signals: [{ name: "approved", payload: true, runId: "approval-1" }]
   */
  readonly runId?: string;
}

/** Options of `checkCrashSafety`. */
export interface CrashSafetyOptions<I> {
  readonly input: ValueOrArbitrary<I>;
  readonly signals?: readonly CrashSafetySignal[];
  /** Scenarios to try in sampling mode. Default 100. */
  readonly numRuns?: number;
  /** Crashes per scenario, at most. Default 3. */
  readonly maxCrashes?: number;
  /** Enumerate every single-crash point (before and after each commit) of one scenario instead of sampling. */
  readonly exhaustive?: boolean;
  /** Replays a reported counterexample: pass the seed and path from the error message. */
  readonly seed?: number;
  readonly path?: string;
  readonly stubs?: Readonly<Record<string, StepStub>>;
  /**
   * Other workflows the engine serves: the children `workflow` starts with `child()` / `startChild()` (and
   * theirs). They run on the same engine and store, so a crash can fall in a child's commits too, and each
   * child is compared with its counterpart in the uninterrupted play (outcome, history, step calls). Stubs
   * apply to their steps as well.
   *
   * @example
   * await checkCrashSafety(checkout, { input: { amount: 5 }, workflows: [charge] });
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly workflows?: readonly WorkflowDefinition<any, any>[];
  /** Latest idle point at which a signal may arrive, and upper bound on idle points per scenario. Defaults 6 and 200. */
  readonly maxSignalTick?: number;
  readonly maxTicks?: number;
  /** Opens the store on a file (SqliteStore by default): check a custom store with the same harness. */
  readonly openStore?: (filename: string) => Promise<Store>;
  readonly engineOptions?: Omit<EngineOptions, "store" | "clock" | "workflows">;
  /**
   * Fail when workflow code reads the clock or randomness directly (`Date.now()`, `new Date()`,
   * `Math.random()`, `crypto.randomUUID()`, `performance.now()`, ...), even in the uninterrupted play.
   * Default true; with `false` such code is only caught when a crash makes its history differ.
   */
  readonly detectNondeterminism?: boolean;
}

/** A scenario plus where its crashes fall, as fast-check generates it. */
interface GeneratedCase<I> {
  readonly scenario: Scenario<I>;
  /** Crash positions in per-mille of the uninterrupted run's commits, and their timing. */
  readonly crashes: readonly { readonly at: number; readonly timing: CrashTiming }[];
}

/** What a passing check did: how many scenarios it played and how many crashes it survived. */
export interface CrashSafetyReport {
  /** Scenarios played (each once uninterrupted and once with crashes). */
  readonly scenarios: number;
  /** Crashes that actually hit a commit. */
  readonly crashes: number;
  /** Step function calls beyond the uninterrupted play's, each justified by a crash before its commit. */
  readonly stepReruns: number;
}

/**
 * Thrown (the calling test fails) when a crash changes what a run does, or when workflow code reads the clock
 * or randomness directly (then `cause` is the NondeterministicCallError). The message explains the counterexample.
 *
 * @example
 * const error = await checkCrashSafety(order, { input: 1 }).catch((e: unknown) => e);
 * if (error instanceof CrashSafetyError) console.log(error.seed, error.path, error.cause);
 */
export class CrashSafetyError extends Error {
  readonly workflow: string;
  readonly seed: number | undefined;
  readonly path: string | undefined;
  constructor(workflow: string, message: string, seed?: number, path?: string, cause?: NondeterministicCallError) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "CrashSafetyError";
    this.workflow = workflow;
    this.seed = seed;
    this.path = path;
  }
}

/**
 * Checks that `workflow` ends the same way, records the same history, runs no step more often than
 * crashes justify, loses or duplicates no signal and fires no timer early, whatever crash hits it.
 * Rejects with CrashSafetyError describing the (shrunk) counterexample, and with MissingChildWorkflowError when
 * the workflow starts a child whose workflow is not in `workflows`.
 *
 * @example
 * await checkCrashSafety(order, {
 *   input: fc.record({ sku: fc.string(), qty: fc.integer({ min: 1, max: 5 }) }),
 *   signals: [{ name: "shipped", payload: fc.constant({ carrier: "DHL" }) }],
 *   numRuns: 200,
 * });
 */
export async function checkCrashSafety<I>(
  workflow: WorkflowDefinition<I, unknown>,
  options: CrashSafetyOptions<I>,
): Promise<CrashSafetyReport> {
  const play: PlayOptions = {
    stubs: options.stubs,
    workflows: options.workflows,
    openStore: options.openStore,
    engineOptions: options.engineOptions,
    maxTicks: options.maxTicks ?? 200,
    seed: options.seed ?? 0,
    detectNondeterminism: options.detectNondeterminism ?? true,
  };
  const context = checkContext(workflow, options);
  if (options.exhaustive === true) return checkEveryCrashPoint(workflow, options, play, context);

  const report = { scenarios: 0, crashes: 0, stepReruns: 0 };
  const property = fc.asyncProperty(caseArbitrary(options), async (generated) => {
    const reference = await playScenario(workflow, generated.scenario, new Map(), play);
    assertChildrenServed(reference, context);
    const early = nondeterministicCallProblem(reference);
    if (early !== undefined) {
      throw new WorkflowCodeProblem(explain(early, generated.scenario, reference), reference.nondeterministicCalls[0]);
    }
    const plan = crashPlan(generated.crashes, reference.commits);
    const observed = await playScenario(workflow, generated.scenario, plan, play);
    const problem = findViolation(reference, observed, context);
    if (problem !== undefined) throw new Error(explain(problem, generated.scenario, observed));
    tally(report, reference, observed);
  });
  const details = await fc.check(property, {
    numRuns: options.numRuns ?? 100,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  if (!details.failed) return report;
  const failure = details.errorInstance;
  // Not a counterexample but a missing option: said as such, not shrunk into one.
  if (failure instanceof MissingChildWorkflowError) throw failure;
  const cause = failure instanceof Error ? failure.message : String(failure);
  const path = details.counterexamplePath ?? undefined;
  const found =
    failure instanceof WorkflowCodeProblem
      ? "found workflow code that is not deterministic, without needing a crash"
      : "found a crash that changes the run";
  throw new CrashSafetyError(
    workflow.name,
    `checkCrashSafety('${workflow.name}') ${found} (after ${details.numRuns} scenario(s), ` +
      `shrunk ${details.numShrinks} time(s)):\n${cause}\n` +
      `Reproduce it: call checkCrashSafety again with the same workflow and options, plus this seed and path:\n` +
      `  ${reproduceLine(workflow.name, details.seed, path)}`,
    details.seed,
    path,
    failure instanceof WorkflowCodeProblem ? failure.call : undefined,
  );
}

/** The uninterrupted play already failed: workflow code read the clock or randomness directly. */
class WorkflowCodeProblem extends Error {
  readonly call: NondeterministicCallError | undefined;
  constructor(message: string, call: NondeterministicCallError | undefined) {
    super(message);
    this.call = call;
  }
}

/**
 * The call that replays a counterexample, as code that can be pasted: the workflow's variable is guessed
 * from its name ("send-order" → sendOrder), the options are the caller's `options`.
 */
function reproduceLine(workflowName: string, seed: number, path: string | undefined): string {
  const replay = path === undefined ? `seed: ${seed}` : `seed: ${seed}, path: ${JSON.stringify(path)}`;
  return `await checkCrashSafety(${identifierFor(workflowName)}, { ...options, ${replay} });`;
}

const RESERVED_WORDS = new Set(
  (
    "await break case catch class const continue debugger default delete do else enum export extends false " +
    "finally for function if implements import in instanceof interface let new null package private protected " +
    "public return static super switch this throw true try typeof var void while with yield arguments eval"
  ).split(" "),
);

/** A JavaScript identifier for a workflow name: its words in camelCase, never a reserved word. */
function identifierFor(name: string): string {
  const words = name.split(/[^\p{ID_Continue}$]+/u).filter((word) => word.length > 0);
  const joined = words
    .map((word, index) => (index === 0 ? word : word.charAt(0).toUpperCase() + word.slice(1)))
    .join("");
  if (joined.length === 0) return "workflow";
  const identifier = /^[\p{ID_Start}$_]/u.test(joined)
    ? joined
    : `workflow${joined.charAt(0).toUpperCase()}${joined.slice(1)}`;
  return RESERVED_WORDS.has(identifier) ? `${identifier}Workflow` : identifier;
}

/** The definitions replay needs to name the commands of the scenario's run and its children. */
function checkContext<I>(workflow: WorkflowDefinition<I, unknown>, options: CrashSafetyOptions<I>): CheckContext {
  const definitions = new Map<string, WorkflowDefinition<never, unknown>>();
  for (const other of options.workflows ?? []) definitions.set(other.name, other as WorkflowDefinition<never, unknown>);
  definitions.set(workflow.name, workflow);
  return { workflow: workflow.name, definitions };
}

/** Throws MissingChildWorkflowError for a child of a workflow the check does not serve: it would never run. */
function assertChildrenServed(reference: Observation, context: CheckContext): void {
  for (const run of reference.children.values()) {
    if (context.definitions.has(run.workflow)) continue;
    throw new MissingChildWorkflowError({ workflow: context.workflow, childWorkflow: run.workflow, childId: run.id });
  }
}

/** Tries every single crash, before and after each commit of the uninterrupted run, of one scenario. */
async function checkEveryCrashPoint<I>(
  workflow: WorkflowDefinition<I, unknown>,
  options: CrashSafetyOptions<I>,
  play: PlayOptions,
  context: CheckContext,
): Promise<CrashSafetyReport> {
  const report = { scenarios: 0, crashes: 0, stepReruns: 0 };
  const [scenario] = fc.sample(caseArbitrary(options), { numRuns: 1, seed: options.seed ?? 0 });
  if (scenario === undefined) throw new Error("fast-check produced no scenario");
  const reference = await playScenario(workflow, scenario.scenario, new Map(), play);
  assertChildrenServed(reference, context);
  const early = nondeterministicCallProblem(reference);
  if (early !== undefined) {
    throw new CrashSafetyError(
      workflow.name,
      `checkCrashSafety('${workflow.name}', { exhaustive: true }) found workflow code that is not deterministic, ` +
        `without needing a crash:\n${explain(early, scenario.scenario, reference)}`,
      undefined,
      undefined,
      reference.nondeterministicCalls[0],
    );
  }
  const total = reference.commits * 2;
  let point = 0;
  for (let commit = 1; commit <= reference.commits; commit++) {
    for (const timing of ["before", "after"] as const) {
      point += 1;
      const observed = await playScenario(workflow, scenario.scenario, new Map([[commit, timing]]), play);
      const problem = findViolation(reference, observed, context);
      if (problem === undefined) {
        tally(report, reference, observed);
        continue;
      }
      throw new CrashSafetyError(
        workflow.name,
        `checkCrashSafety('${workflow.name}', { exhaustive: true }) failed at crash point ${point} of ${total}:\n` +
          explain(problem, scenario.scenario, observed),
      );
    }
  }
  return report;
}

function tally(
  report: { scenarios: number; crashes: number; stepReruns: number },
  reference: Observation,
  observed: Observation,
): void {
  report.scenarios += 1;
  report.crashes += observed.crashes.length;
  report.stepReruns += Math.max(0, observed.stepCalls.length - reference.stepCalls.length);
}

function caseArbitrary<I>(options: CrashSafetyOptions<I>): fc.Arbitrary<GeneratedCase<I>> {
  const maxSignalTick = options.maxSignalTick ?? 6;
  const signals = (options.signals ?? []).map((signal) =>
    fc.record({
      name: fc.constant(signal.name),
      payload: arbitraryOf(signal.payload),
      atTick: signal.atTick === undefined ? fc.nat({ max: maxSignalTick }) : fc.constant(signal.atTick),
      runId: fc.constant(signal.runId),
    }),
  );
  return fc.record({
    scenario: fc.record({ input: arbitraryOf(options.input), signals: fc.tuple(...signals) }),
    crashes: fc.array(
      fc.record({ at: fc.integer({ min: 1, max: 1000 }), timing: fc.constantFrom<CrashTiming>("before", "after") }),
      { minLength: 1, maxLength: options.maxCrashes ?? 3 },
    ),
  }) as fc.Arbitrary<GeneratedCase<I>>;
}

function arbitraryOf<T>(value: ValueOrArbitrary<T> | undefined): fc.Arbitrary<T | undefined> {
  return isArbitrary(value) ? value : fc.constant(value);
}

/** Maps per-mille positions onto the commits of the uninterrupted run; the first crash at a commit wins. */
function crashPlan(crashes: GeneratedCase<unknown>["crashes"], commits: number): Map<number, CrashTiming> {
  const plan = new Map<number, CrashTiming>();
  for (const crash of crashes) {
    const commit = Math.max(1, Math.ceil((crash.at / 1000) * commits));
    if (!plan.has(commit)) plan.set(commit, crash.timing);
  }
  return plan;
}

/** The counterexample in words: scenario, crashes and the violated property. */
function explain(problem: string, scenario: Scenario<unknown>, observed: Observation): string {
  const signals = scenario.signals.map(
    (signal) =>
      `signal '${signal.name}' ${JSON.stringify(signal.payload) ?? "undefined"}` +
      `${signal.runId === undefined ? "" : ` to run '${signal.runId}'`} after idle point ${signal.atTick}`,
  );
  const lines = [
    `  scenario: input ${JSON.stringify(scenario.input) ?? "undefined"}${signals.length > 0 ? `; ${signals.join("; ")}` : ""}`,
    ...observed.crashes.map((crash) => `  ${describeCrash(crash)}`),
    `  problem: ${problem}`,
  ];
  return lines.join("\n");
}

function describeCrash(crash: CrashRecord): string {
  const events = decodeAll(crash.events);
  const first = events[0]?.seq;
  const last = events.at(-1)?.seq;
  const range = first === undefined ? "no events" : first === last ? `event ${first}` : `events ${first}–${last}`;
  const names = events.map(describe).join(", ");
  const run = crash.runId === SCENARIO_RUN_ID ? "" : ` of child '${crash.runId}'`;
  const what = `${events.length === 0 ? range : `${range} (${names})`}${run}`;
  const stepLost = events.some((event) => event.type === "step_completed" || event.type === "step_failed");
  if (crash.timing === "before") {
    return `crashed before committing ${what}${stepLost ? " — after the step's side effect had run" : ""}`;
  }
  return `crashed after committing ${what}`;
}
