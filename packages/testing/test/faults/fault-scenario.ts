// One fault-injection scenario: a small workflow (step, sleep, retried step, signal or cancel) on a FaultyStore.
// Returns the properties it violated in words, so a sweep over every fault point can report them all at once.
import {
  awaitSignal,
  CancelledError,
  createEngine,
  sleep,
  step,
  workflow,
  type HistoryEvent,
  type RunCommit,
} from "@reprise/core";
import { decodeEvent } from "@reprise/core/internal";
import { SqliteStore } from "@reprise/store-sqlite";
import { FaultyStore, InjectedFaultError, type FaultPlan } from "../../src/faulty-store.js";
import { VirtualClock } from "../../src/virtual-clock.js";

const RUN_ID = "sweep-1";
const LEASE_MS = 300;
const POLL_MS = 250;
/** How long a persistent fault lasts (virtual time) before the store heals. */
const OUTAGE_MS = 1_000;

/** What one scenario did and which properties it broke. */
export interface ScenarioReport {
  readonly label: string;
  /** Store calls made (all methods), for sizing the sweep. */
  readonly calls: number;
  /** The method of each call, in order. */
  readonly methods: readonly string[];
  readonly faults: number;
  readonly violations: string[];
}

/** A step side effect as the outside world saw it. */
interface Effect {
  readonly step: string;
  readonly key: string;
  readonly attempt: number;
}

/** How the run ends: the client signals `go` (the run completes) or cancels it (compensation, then cancelled). */
export type ScenarioEnding = "signal" | "cancel";

/** The status the run must end in, the steps it must have recorded once, and those it may have recorded (once). */
const EXPECTED: Record<ScenarioEnding, { status: string; steps: readonly string[]; maybe: readonly string[] }> = {
  signal: { status: "completed", steps: ["a", "flaky", "b"], maybe: [] },
  cancel: { status: "cancelled", steps: ["undo"], maybe: ["a", "flaky"] },
};

/** Runs the scenario with `plan` (or none) and checks the invariants; never throws for a violation. */
export async function runFaultScenario(
  label: string,
  plan: FaultPlan | undefined,
  ending: ScenarioEnding = "signal",
): Promise<ScenarioReport> {
  const effects: Effect[] = [];
  const small = workflow("fault-sweep", function* () {
    try {
      const a = yield* step("a", (ctx) => record(effects, "a", ctx));
      yield* sleep(200);
      const flaky = yield* step(
        "flaky",
        (ctx) => {
          const result = record(effects, "flaky", ctx);
          if (ctx.attempt === 1) throw new Error("503 from the payment gateway");
          return result;
        },
        { retry: { initialInterval: 100 } },
      );
      const go = yield* awaitSignal<string>("go");
      const b = yield* step("b", (ctx) => record(effects, "b", ctx));
      return { a, flaky, go, b };
    } catch (error) {
      // Faults may delay the run, so a cancellation can land at any command: compensate wherever it does.
      if (!(error instanceof CancelledError)) throw error;
      yield* step("undo", (ctx) => record(effects, "undo", ctx));
      throw error;
    }
  });
  const clock = new VirtualClock();
  const inner = await SqliteStore.open({ filename: ":memory:" });
  const store = new FaultyStore(inner, plan);
  const surfaced: unknown[] = [];
  const violations: string[] = [];
  const engine = createEngine({
    store,
    workflows: [small],
    clock,
    leaseMs: LEASE_MS,
    pollIntervalMs: POLL_MS,
    shutdownGraceMs: 0,
    onError: (error) => surfaced.push(error),
  });

  let firstFaultAtMs: number | undefined;
  const advance = async (ms: number): Promise<void> => {
    for (let elapsed = 0; elapsed < ms; elapsed += 50) {
      await clock.advance(50);
      if (store.faults.length > 0) firstFaultAtMs ??= clock.nowMs();
      if (plan?.mode === "persistent" && firstFaultAtMs !== undefined && clock.nowMs() >= firstFaultAtMs + OUTAGE_MS) {
        store.heal();
      }
    }
  };
  /** A client retries a rejected call, as callers of a real API would. */
  const client = async (what: string, op: () => Promise<unknown>): Promise<void> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await op();
        return;
      } catch (error) {
        // A resend after a lost acknowledgement may find the run already finished by the first send
        // (documented: a signal or cancellation of a finished run throws, even for a known signal id).
        // The checks below still require the first send to have taken effect.
        if (attempt > 0 && (error as { code?: unknown }).code === "RUN_FINISHED") return;
        surfaced.push(error);
        await advance(100);
      }
    }
    violations.push(`${what}() never succeeded`);
  };

  const script = async (): Promise<void> => {
    await client("start", () => engine.start(small, undefined, { id: RUN_ID }));
    await advance(500);
    if (ending === "signal") await client("signal", () => engine.signal(RUN_ID, "go", "now", { id: "go-1" }));
    else await client("cancel", () => engine.cancel(RUN_ID, { reason: "customer left" }));
    await advance(500);
    for (let i = 0; i < 24 && (await inner.getRun(RUN_ID))?.status !== EXPECTED[ending].status; i++) {
      await advance(250);
    }
    await engine.close().catch((error: unknown) => surfaced.push(error));
  };
  const finished = await Promise.race([
    script().then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000).unref()),
  ]);
  if (!finished) violations.push("the scenario hung (no progress for 10 s of real time)");

  await checkOutcome(inner, effects, ending, violations);
  checkAcknowledged(store, await inner.readEvents(RUN_ID), violations);
  checkSurfaced(store, surfaced, violations);
  await inner.close();
  const methods = store.calls.map((call) => call.method);
  return { label, calls: store.calls.length, methods, faults: store.faults.length, violations };
}

function record(effects: Effect[], name: string, ctx: { idempotencyKey: string; attempt: number }): string {
  effects.push({ step: name, key: ctx.idempotencyKey, attempt: ctx.attempt });
  return `${name}@${ctx.idempotencyKey}`;
}

/** The run ended as expected, each step was recorded once, and step bodies only re-ran with the same key. */
async function checkOutcome(
  inner: SqliteStore,
  effects: readonly Effect[],
  ending: ScenarioEnding,
  violations: string[],
): Promise<void> {
  const expected = EXPECTED[ending];
  const run = await inner.getRun(RUN_ID);
  if (run?.status !== expected.status) {
    violations.push(`the run ended ${run?.status ?? "missing"}, not ${expected.status}`);
  }
  const history: HistoryEvent[] = (await inner.readEvents(RUN_ID)).map((record) => decodeEvent(RUN_ID, record));
  history.forEach((event, index) => {
    if (event.seq !== index + 1) violations.push(`history has seq ${event.seq} at position ${index + 1}`);
  });
  for (const name of ["a", "flaky", "b", "undo"]) {
    const completed = history.filter((event) => event.type === "step_completed" && event.name === name);
    const keys = new Set(effects.filter((effect) => effect.step === name).map((effect) => effect.key));
    const allowed = expected.steps.includes(name) ? [1] : expected.maybe.includes(name) ? [0, 1] : [0];
    if (run?.status === expected.status && !allowed.includes(completed.length)) {
      violations.push(`step '${name}' was recorded ${completed.length} times`);
    }
    if (keys.size > 1) violations.push(`step '${name}' ran with several idempotency keys: ${[...keys].join(", ")}`);
    // A step's seq (and key) is the seq of its first event: its first step_failed, or its step_completed.
    const seq = history.find((event) => "name" in event && event.name === name && event.type.startsWith("step_"))?.seq;
    if (seq !== undefined && keys.size > 0 && !keys.has(`${RUN_ID}:${seq}`)) {
      violations.push(`step '${name}' ran with key ${[...keys].join()} but was recorded at seq ${seq}`);
    }
    if (completed.length > 0 && keys.size === 0) violations.push(`step '${name}' was recorded but never ran`);
  }
  const failures = history.filter((event) => event.type === "step_failed");
  if (failures.length > 1) violations.push(`the first attempt of 'flaky' was recorded ${failures.length} times`);
  const fired = history.filter((event) => event.type === "timer_fired");
  if (fired.length > 1) violations.push(`the timer fired ${fired.length} times`);
  for (const type of ["signal_received", "cancellation_requested"] as const) {
    const count = history.filter((event) => event.type === type).length;
    if (count > 1) violations.push(`${type} was recorded ${count} times`);
  }
}

/** Every commit, signal and cancellation that resolved is in the store or took effect. */
function checkAcknowledged(
  store: FaultyStore,
  final: readonly { seq: number; type: string; atMs: number; data: string }[],
  violations: string[],
): void {
  const bySeq = new Map(final.map((event) => [event.seq, event]));
  for (const call of store.calls) {
    if (call.outcome !== "ok") continue;
    if (call.method === "commit") {
      for (const event of (call.args[0] as RunCommit).events) {
        const stored = bySeq.get(event.seq);
        if (stored === undefined || stored.type !== event.type || stored.data !== event.data) {
          violations.push(`acknowledged event seq ${event.seq} (${event.type}) of call ${call.n} was lost or changed`);
        }
      }
    }
    if (call.method === "sendSignal" && !final.some((event) => event.type === "signal_received")) {
      violations.push(`acknowledged signal (call ${call.n}) was never delivered`);
    }
    if (call.method === "requestCancel" && !final.some((event) => event.type === "cancellation_requested")) {
      violations.push(`acknowledged cancellation (call ${call.n}) was never delivered`);
    }
  }
}

/** Each injected fault reached the caller or onError, and nothing else went wrong. */
function checkSurfaced(store: FaultyStore, surfaced: readonly unknown[], violations: string[]): void {
  const reported = new Set<unknown>(surfaced.flatMap(causes));
  for (const fault of store.faults) {
    if (!reported.has(fault)) violations.push(`fault in call ${fault.call} (${fault.method}) was swallowed silently`);
  }
  for (const error of surfaced) {
    if (!causes(error).some((e) => e instanceof InjectedFaultError)) {
      violations.push(
        `unexpected error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    }
  }
}

/** An error and its causes, outermost first (at most 10 deep). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 10; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
  }
  return chain;
}
