// The crash-safety properties: what a crashed-and-recovered run must share with the uninterrupted run of
// the same scenario. Each check returns a sentence a workflow author can act on, or undefined.
import { encodeValue, type EventRecord, type HistoryEvent, type WorkflowDefinition } from "@reprise/core";
import { decodeEvent } from "@reprise/core/internal";
import type { Observation, ObservedStepCall, RunObservation } from "./crash-scenario.js";
import { SCENARIO_RUN_ID } from "./crash-scenario.js";
import { isParallel, nameChildren, timelineOf, type NamedRun } from "./crash-timeline.js";

/** What the checks know besides the two plays: the workflows' definitions, to name commands and children. */
export interface CheckContext {
  readonly workflow: string;
  readonly definitions: ReadonlyMap<string, WorkflowDefinition<never, unknown>>;
}

/** Both plays with their runs named alike (children by the command that started them). */
interface Pair {
  readonly reference: Observation;
  readonly observed: Observation;
  readonly context: CheckContext;
  readonly referenceRuns: ReadonlyMap<string, NamedRun>;
  readonly observedRuns: ReadonlyMap<string, NamedRun>;
  /** Run id → the name it is compared under, per play. */
  readonly referenceNames: ReadonlyMap<string, string>;
  readonly observedNames: ReadonlyMap<string, string>;
}

type Check = (reference: Observation, observed: Observation, pair: Pair) => string | undefined;

/** Returns the first violated property, in words, or undefined when the crashed run is indistinguishable. */
export function findViolation(
  reference: Observation,
  observed: Observation,
  context: CheckContext,
): string | undefined {
  const ofReference = nameChildren(reference, context.definitions, context.workflow);
  const ofObserved = nameChildren(observed, context.definitions, context.workflow);
  const pair: Pair = {
    reference,
    observed,
    context,
    referenceRuns: ofReference.named,
    observedRuns: ofObserved.named,
    referenceNames: ofReference.nameOfRun,
    observedNames: ofObserved.nameOfRun,
  };
  for (const check of CHECKS) {
    const problem = check(reference, observed, pair);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Said first when the history differs: what a workflow author should look for. */
const NONDETERMINISTIC = "workflow code is non-deterministic: ";
const LIKELY_CAUSES =
  "The workflow took another path when it ran again on the same history, so it depends on something replay does " +
  "not restore: the clock or randomness read outside a step (Date.now(), new Date(), Math.random(), " +
  "crypto.randomUUID(), performance.now(): use now(), random(), uuid() from @reprise/core), or module state " +
  "that a step changes (return it from the step instead).";

/** The first direct clock or randomness read of workflow code in a play, in words, or undefined. */
export function nondeterministicCallProblem(observation: Observation): string | undefined {
  const [first] = observation.nondeterministicCalls;
  return first === undefined ? undefined : `${NONDETERMINISTIC}${first.message}`;
}

const deterministicWorkflowCode: Check = (reference, observed) =>
  nondeterministicCallProblem(reference) ?? nondeterministicCallProblem(observed);

const sameStatusAndResult: Check = (reference, observed) => {
  if (observed.status !== reference.status) {
    const why = observed.reason === undefined ? "" : `: ${observed.reason}`;
    const ended = `the run ended ${observed.status ?? "missing"} instead of ${reference.status ?? "missing"}${why}`;
    // Replay itself found the code yielding something its history does not have.
    if (observed.status === "blocked" && observed.reason?.startsWith("NonDeterminismError") === true) {
      return `${NONDETERMINISTIC}${ended} ${LIKELY_CAUSES}`;
    }
    return ended;
  }
  if (text(observed.result) !== text(reference.result)) {
    return `the run returned ${text(observed.result)} instead of ${text(reference.result)}`;
  }
  const errorOf = (o: Observation) => (o.error === undefined ? "" : `${o.error.name}: ${o.error.message}`);
  if (errorOf(observed) !== errorOf(reference)) {
    return `the run failed with "${errorOf(observed)}" instead of "${errorOf(reference)}"`;
  }
  return undefined;
};

const sameHistory: Check = (reference, observed, pair) => {
  const definition = pair.context.definitions.get(pair.context.workflow);
  if (isParallel(reference.events) || isParallel(observed.events)) {
    return sameCommands("the history", SCENARIO_RUN_ID, reference.events, observed.events, definition);
  }
  return sameSequence("the history", reference.events, observed.events, comparable);
};

/** Children pair up by the command that started them; each must end alike and record alike. */
const sameChildren: Check = (_reference, _observed, pair) => {
  const names = [...new Set([...pair.referenceRuns.keys(), ...pair.observedRuns.keys()])];
  const cancelled = cancelledChildren(pair);
  for (const name of names) {
    const expected = pair.referenceRuns.get(name)?.run;
    const actual = pair.observedRuns.get(name)?.run;
    if (expected === undefined || actual === undefined) {
      if (underCancellation(cancelled, name, false)) continue;
      if (expected === undefined) return `${name} was started by the crashed run only (as '${actual?.id ?? ""}')`;
      return `${name} ('${expected.id}') was started by the uninterrupted run only`;
    }
    const called = `${name} ('${actual.id}')`;
    const ended = sameEnd(called, expected, actual);
    if (ended !== undefined) return ended;
    // How far a cancelled child got before its cancellation arrived is a matter of timing, crash or not.
    if (cancelled.has(name)) continue;
    const label = `the history of ${called}`;
    const definition = pair.context.definitions.get(expected.workflow);
    const differs =
      isParallel(expected.events) || isParallel(actual.events)
        ? sameCommands(label, expected.id, expected.events, actual.events, definition)
        : sameSequence(label, expected.events, actual.events, loose);
    if (differs !== undefined) return differs;
  }
  return undefined;
};

/** Children that were asked to cancel in either play (a race they lost, a cancelled parent). */
function cancelledChildren(pair: Pair): ReadonlySet<string> {
  const names = new Set<string>();
  for (const runs of [pair.referenceRuns, pair.observedRuns]) {
    for (const [name, { run }] of runs) {
      if (run.events.some((event) => event.type === "cancellation_requested")) names.add(name);
    }
  }
  return names;
}

/** Whether a child (`self`: or a descendant only) is one of `cancelled`, whose progress is free. */
function underCancellation(cancelled: ReadonlySet<string>, name: string, self = true): boolean {
  if (self && cancelled.has(name)) return true;
  for (const ancestor of cancelled) if (name.startsWith(`${ancestor} / `)) return true;
  return false;
}

function sameEnd(name: string, expected: RunObservation, actual: RunObservation): string | undefined {
  if (actual.status !== expected.status) {
    const why = actual.reason === undefined ? "" : `: ${actual.reason}`;
    return `${name} ended ${actual.status ?? "missing"} instead of ${expected.status ?? "missing"}${why}`;
  }
  if (text(actual.result) !== text(expected.result)) {
    return `${name} returned ${text(actual.result)} instead of ${text(expected.result)}`;
  }
  const errorOf = (run: RunObservation) => (run.error === undefined ? "" : `${run.error.name}: ${run.error.message}`);
  if (errorOf(actual) !== errorOf(expected)) {
    return `${name} failed with "${errorOf(actual)}" instead of "${errorOf(expected)}"`;
  }
  return undefined;
}

/** Compares two logs event by event (a sequential run records the same events at the same seqs). */
function sameSequence(
  label: string,
  reference: readonly HistoryEvent[],
  observed: readonly HistoryEvent[],
  key: (event: HistoryEvent) => string,
): string | undefined {
  const length = Math.max(reference.length, observed.length);
  for (let i = 0; i < length; i++) {
    const expected = reference[i];
    const actual = observed[i];
    if (expected !== undefined && actual !== undefined && key(expected) === key(actual)) continue;
    return eventDiffers(`${label} differs at seq ${i + 1}`, expected, actual);
  }
  return undefined;
}

/**
 * Compares two logs of a run with parallel branches command by command: branches finish in whatever order
 * they finish, which changes seqs and the interleaving of events, never the events of one command.
 */
function sameCommands(
  label: string,
  runId: string,
  reference: readonly HistoryEvent[],
  observed: readonly HistoryEvent[],
  definition: WorkflowDefinition<never, unknown> | undefined,
): string | undefined {
  const expected = timelineOf(runId, reference, definition);
  if (typeof expected === "string") return `${label} could not be compared: ${expected}`;
  const actual = timelineOf(runId, observed, definition);
  if (typeof actual === "string") return `${NONDETERMINISTIC}${label} differs: ${actual}. ${LIKELY_CAUSES}`;
  for (const command of new Set([...expected.commands.keys(), ...actual.commands.keys()])) {
    const was = expected.commands.get(command) ?? [];
    const is = actual.commands.get(command) ?? [];
    for (let i = 0; i < Math.max(was.length, is.length); i++) {
      const [before, after] = [was[i], is[i]];
      if (before !== undefined && after !== undefined && loose(before) === loose(after)) continue;
      const where = command === "run" ? "in the run's own events" : `at command ${command}`;
      return eventDiffers(`${label} differs ${where}`, before, after);
    }
  }
  return undefined;
}

function eventDiffers(differsAt: string, expected: HistoryEvent | undefined, actual: HistoryEvent | undefined): string {
  const [was, is] = [describe(expected), describe(actual)];
  const detail = was === is ? ` (${comparableText(expected)} vs ${comparableText(actual)})` : "";
  const differs = `${differsAt}: the uninterrupted run recorded ${was}, the crashed run recorded ${is}${detail}`;
  if (was !== is && expected !== undefined && actual !== undefined)
    return `${NONDETERMINISTIC}${differs}. ${LIKELY_CAUSES}`;
  if (expected?.type === "step_completed" || expected?.type === "step_failed") {
    return `${differs}. Likely cause: step '${expected.name}' gave another result when it ran again after the crash; stub it, or make its result depend only on its input.`;
  }
  return differs;
}

/**
 * Every call of a step function beyond the first with the same idempotency key and attempt must be justified:
 * a crash came after the earlier call and before the attempt's outcome reached the store. Reruns keep their
 * key; apart from reruns, each run calls each step (by name and attempt) as often as in the uninterrupted play.
 */
const noUnexplainedStepReruns: Check = (reference, observed, pair) => {
  const byKey = new Map<string, ObservedStepCall[]>();
  for (const call of observed.stepCalls) {
    const key = `${call.idempotencyKey}#${call.attempt}`;
    const calls = byKey.get(key);
    if (calls === undefined) byKey.set(key, [call]);
    else calls.push(call);
  }
  const firstCalls: ObservedStepCall[] = [];
  for (const [key, calls] of byKey) {
    const [first] = calls;
    if (first === undefined) continue;
    firstCalls.push(first);
    for (let i = 1; i < calls.length; i++) {
      const [earlier, call] = [calls[i - 1] as ObservedStepCall, calls[i] as ObservedStepCall];
      const where = runLabel(pair.observedNames, call.runId);
      if (call.step !== first.step) {
        return `idempotency key ${call.idempotencyKey} was given to step '${first.step}' and to step '${call.step}'${where}`;
      }
      const persistedAfter = observed.persistedAttempts.get(key);
      const crashBetween = call.crashesBefore > earlier.crashesBefore;
      const outcomeLost = persistedAfter === undefined || persistedAfter >= call.crashesBefore;
      if (crashBetween && outcomeLost) continue;
      return (
        `step '${call.step}' (attempt ${call.attempt})${where} ran ${calls.length} time(s) instead of 1, although no ` +
        `crash fell between its side effect and the commit of its result`
      );
    }
  }
  const cancelled = cancelledChildren(pair);
  const tally = (
    calls: readonly { runId: string; step: string; attempt: number }[],
    names: ReadonlyMap<string, string>,
  ) => {
    const counts = new Map<string, number>();
    for (const call of calls) {
      const run = names.get(call.runId) ?? call.runId;
      // A cancelled child calls as many steps as it reached before its cancellation: timing, not crashes.
      if (underCancellation(cancelled, run)) continue;
      const key = `${run}\u0000${call.step}\u0000${call.attempt}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };
  const distinct = (o: Observation) => [
    ...new Map(o.stepCalls.map((call) => [`${call.idempotencyKey}#${call.attempt}`, call])).values(),
  ];
  const expected = tally(distinct(reference), pair.referenceNames);
  const actual = tally(firstCalls, pair.observedNames);
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const [run, step, attempt] = key.split("\u0000");
    const [was, is] = [expected.get(key) ?? 0, actual.get(key) ?? 0];
    if (was === is) continue;
    const where = run === "the run" ? "" : ` in ${run ?? ""}`;
    return `step '${step ?? ""}' (attempt ${attempt ?? ""})${where} ran with ${is} idempotency key(s) instead of ${was}: a call after a crash did not reuse the key of the call before it`;
  }
  // Sequential runs give each step the same seq in every play, hence the same key.
  if (!isParallel(reference.events) && !isParallel(observed.events)) {
    const keys = new Set(reference.stepCalls.map((call) => call.idempotencyKey));
    const unknown = observed.stepCalls.find((call) => call.runId === SCENARIO_RUN_ID && !keys.has(call.idempotencyKey));
    if (unknown !== undefined) {
      return `step '${unknown.step}' (attempt ${unknown.attempt}) ran with idempotency key ${unknown.idempotencyKey}, which the uninterrupted run never used`;
    }
  }
  return undefined;
};

function runLabel(names: ReadonlyMap<string, string>, runId: string): string {
  const name = names.get(runId);
  return name === undefined || name === "the run" ? "" : ` in ${name}`;
}

const signalsConsumedOnce: Check = (reference, observed) => {
  // Signal ids are unique per scenario, so every run's consumptions can be pooled.
  const consumed = (o: Observation) =>
    [o.events, ...[...o.children.values()].map((run) => run.events)].flatMap((events) =>
      events.flatMap((event) => (event.type === "signal_received" ? [event.signalId] : [])),
    );
  const ids = consumed(observed);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) return `signal ${duplicate} was consumed twice`;
  const lost = consumed(reference).filter((id) => !ids.includes(id));
  if (lost.length > 0)
    return `signal ${lost.join(", ")} was lost: the uninterrupted run consumed it, the crashed run did not`;
  if (text(observed.signalOutcomes) !== text(reference.signalOutcomes)) {
    return `sending signals gave ${text(observed.signalOutcomes)} instead of ${text(reference.signalOutcomes)}`;
  }
  return undefined;
};

const noEarlyTimers: Check = (_reference, observed) => {
  for (const run of [{ id: SCENARIO_RUN_ID, events: observed.events }, ...observed.children.values()]) {
    const problem = earlyTimer(run.events);
    if (problem !== undefined) return run.id === SCENARIO_RUN_ID ? problem : `in child '${run.id}': ${problem}`;
  }
  return undefined;
};

/** A timer, signal timeout or retry of one log that fired before its time. Parallel commands are told apart by seq. */
function earlyTimer(events: readonly HistoryEvent[]): string | undefined {
  const wakeAt = new Map<number, number>();
  const timeoutAt = new Map<number, number | undefined>();
  const retryAt = new Map<number, number | undefined>();
  let lastTimer: number | undefined;
  let lastWait: number | undefined;
  let lastRetryAtMs: number | undefined;
  const seqOf = (event: HistoryEvent, fallback: number | undefined) =>
    ("commandSeq" in event ? event.commandSeq : undefined) ?? fallback ?? event.seq;
  for (const event of events) {
    if (event.type === "timer_started") {
      wakeAt.set(event.seq, event.wakeAtMs);
      lastTimer = event.seq;
    }
    if (event.type === "timer_fired") {
      const wakeAtMs = wakeAt.get(seqOf(event, lastTimer));
      if (wakeAtMs !== undefined && event.atMs < wakeAtMs) {
        return `the timer due at ${iso(wakeAtMs)} fired early, at ${iso(event.atMs)} (seq ${event.seq})`;
      }
    }
    if (event.type === "signal_wait_started") {
      timeoutAt.set(event.seq, event.timeoutAtMs);
      lastWait = event.seq;
    }
    if (event.type === "signal_timed_out") {
      const timeoutAtMs = timeoutAt.get(seqOf(event, lastWait));
      if (timeoutAtMs !== undefined && event.atMs < timeoutAtMs) {
        return `the wait for '${event.name}' timed out early (seq ${event.seq})`;
      }
    }
    if (event.type === "step_completed" || event.type === "step_failed") {
      // Without a commandSeq (format 1) a step's attempts follow each other: the last failure's retry time counts.
      const seq = event.commandSeq ?? event.seq;
      const retryAtMs = retryAt.has(seq) ? retryAt.get(seq) : lastRetryAtMs;
      if (event.attempt > 1 && retryAtMs !== undefined && event.atMs < retryAtMs) {
        return `step '${event.name}' was retried early (seq ${event.seq})`;
      }
      if (event.type === "step_failed") {
        retryAt.set(seq, event.retryAtMs);
        lastRetryAtMs = event.retryAtMs;
      }
    }
  }
  return undefined;
}

const noEngineErrors: Check = (_reference, observed) => {
  const [first] = observed.engineErrors;
  if (first === undefined) return undefined;
  return `the engine reported an error: ${first instanceof Error ? `${first.name}: ${first.message}` : JSON.stringify(first)}`;
};

const CHECKS: readonly Check[] = [
  deterministicWorkflowCode,
  noEngineErrors,
  sameStatusAndResult,
  sameHistory,
  sameChildren,
  noUnexplainedStepReruns,
  signalsConsumedOnce,
  noEarlyTimers,
];

/** Names an event the way workflow authors read it: "event 7 (step_completed 'charge')". */
export function describe(event: HistoryEvent | undefined): string {
  if (event === undefined) return "nothing";
  const name = "name" in event ? ` '${event.name}'` : event.type === "value_recorded" ? ` (${event.source}())` : "";
  return `${event.type}${name}`;
}

/** Decodes the events of a commit record for descriptions. */
export function decodeAll(records: readonly EventRecord[]): HistoryEvent[] {
  return records.map((record) => decodeEvent(SCENARIO_RUN_ID, record));
}

/** An event without its timestamp and stack traces, which legitimately differ between two plays. */
function comparable(event: HistoryEvent): string {
  const { atMs: _atMs, ...rest } = event;
  if ("error" in rest) return text({ ...rest, error: { name: rest.error.name, message: rest.error.message } });
  return text(rest);
}

/** Like `comparable`, also without seqs and child ids: these depend on the order parallel branches finished in. */
function loose(event: HistoryEvent): string {
  const {
    seq: _seq,
    commandSeq: _commandSeq,
    childId: _childId,
    ...fields
  } = event as HistoryEvent & {
    commandSeq?: number;
    childId?: string;
  };
  return comparable({ ...fields, seq: 0 } as HistoryEvent);
}

function comparableText(event: HistoryEvent | undefined): string {
  if (event === undefined) return "nothing";
  const { seq: _seq, atMs: _atMs, type: _type, ...fields } = event;
  return JSON.stringify(fields, (_key, value: unknown) => (typeof value === "bigint" ? `${value}n` : value));
}

function text(value: unknown): string {
  return encodeValue(value, "value", Number.MAX_SAFE_INTEGER);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
