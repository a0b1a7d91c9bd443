// The crash-safety properties: what a crashed-and-recovered run must share with the uninterrupted run of
// the same scenario. Each check returns a sentence a workflow author can act on, or undefined.
import { decodeEvent, encodeValue, type EventRecord, type HistoryEvent } from "@reprise/core";
import type { Observation } from "./crash-scenario.js";
import { SCENARIO_RUN_ID } from "./crash-scenario.js";

type Check = (reference: Observation, observed: Observation) => string | undefined;

/** Returns the first violated property, in words, or undefined when the crashed run is indistinguishable. */
export function findViolation(reference: Observation, observed: Observation): string | undefined {
  for (const check of CHECKS) {
    const problem = check(reference, observed);
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

const sameHistory: Check = (reference, observed) => {
  const length = Math.max(reference.events.length, observed.events.length);
  for (let i = 0; i < length; i++) {
    const expected = reference.events[i];
    const actual = observed.events[i];
    if (expected !== undefined && actual !== undefined && comparable(expected) === comparable(actual)) continue;
    const [was, is] = [describe(expected), describe(actual)];
    const detail = was === is ? ` (${comparableText(expected)} vs ${comparableText(actual)})` : "";
    const differs = `the history differs at seq ${i + 1}: the uninterrupted run recorded ${was}, the crashed run recorded ${is}${detail}`;
    if (was !== is && expected !== undefined && actual !== undefined)
      return `${NONDETERMINISTIC}${differs}. ${LIKELY_CAUSES}`;
    if (expected?.type === "step_completed" || expected?.type === "step_failed") {
      return `${differs}. Likely cause: step '${expected.name}' gave another result when it ran again after the crash; stub it, or make its result depend only on its input.`;
    }
    return differs;
  }
  return undefined;
};

const noUnexplainedStepReruns: Check = (reference, observed) => {
  const allowed = new Map<string, number>();
  for (const crash of observed.crashes) {
    if (crash.timing !== "before") continue;
    for (const event of decodeAll(crash.events)) {
      if (event.type === "step_completed" || event.type === "step_failed") {
        const key = `${event.name}#${event.attempt}`;
        allowed.set(key, (allowed.get(key) ?? 0) + 1);
      }
    }
  }
  const count = (o: Observation) => {
    const counts = new Map<string, { calls: number; keys: Set<string> }>();
    for (const call of o.stepCalls) {
      const key = `${call.step}#${call.attempt}`;
      const entry = counts.get(key) ?? { calls: 0, keys: new Set<string>() };
      entry.calls += 1;
      entry.keys.add(call.idempotencyKey);
      counts.set(key, entry);
    }
    return counts;
  };
  const expected = count(reference);
  for (const [key, actual] of count(observed)) {
    const [step, attempt] = key.split("#");
    const base = expected.get(key);
    const extra = actual.calls - (base?.calls ?? 0);
    if (extra > (allowed.get(key) ?? 0)) {
      return (
        `step '${step}' (attempt ${attempt}) ran ${actual.calls} time(s) instead of ${base?.calls ?? 0}, although no ` +
        `crash fell between its side effect and the commit of its result`
      );
    }
    const keys = [...actual.keys].filter((k) => base !== undefined && !base.keys.has(k));
    if (keys.length > 0) {
      return `step '${step}' (attempt ${attempt}) ran with idempotency key ${keys.join(", ")}, which the uninterrupted run never used`;
    }
  }
  return undefined;
};

const signalsConsumedOnce: Check = (reference, observed) => {
  const consumed = (o: Observation) =>
    o.events.flatMap((event) => (event.type === "signal_received" ? [event.signalId] : []));
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
  let wakeAtMs: number | undefined;
  let retryAtMs: number | undefined;
  const timeouts = new Map<string, number | undefined>();
  for (const event of observed.events) {
    if (event.type === "timer_started") wakeAtMs = event.wakeAtMs;
    if (event.type === "timer_fired" && wakeAtMs !== undefined && event.atMs < wakeAtMs) {
      return `the timer due at ${iso(wakeAtMs)} fired early, at ${iso(event.atMs)} (seq ${event.seq})`;
    }
    if (event.type === "signal_wait_started") timeouts.set(event.name, event.timeoutAtMs);
    const timeoutAtMs = event.type === "signal_timed_out" ? timeouts.get(event.name) : undefined;
    if (timeoutAtMs !== undefined && event.atMs < timeoutAtMs) {
      return `the wait for '${event.type === "signal_timed_out" ? event.name : ""}' timed out early (seq ${event.seq})`;
    }
    if ((event.type === "step_completed" || event.type === "step_failed") && event.attempt > 1) {
      if (retryAtMs !== undefined && event.atMs < retryAtMs)
        return `step '${event.name}' was retried early (seq ${event.seq})`;
    }
    if (event.type === "step_failed") retryAtMs = event.retryAtMs;
  }
  return undefined;
};

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
