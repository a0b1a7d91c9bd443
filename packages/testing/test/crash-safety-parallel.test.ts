// checkCrashSafety for workflows with parallel branches and children: it passes for correct ones, enumerates every
// commit of parent and children, and still fails for a non-idempotent branch step or a store that loses a write.
import {
  all,
  awaitSignal,
  child,
  race,
  sleep,
  startChild,
  step,
  workflow,
  type HistoryEvent,
  type WorkflowDefinition,
} from "@reprise/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { playScenario, SCENARIO_RUN_ID, type Observation, type PlayOptions } from "../src/crash-scenario.js";
import { checkCrashSafety, createTestEngine, MissingChildWorkflowError, type CrashTiming } from "../src/index.js";
import { openLossyStore } from "./lossy-store.js";
import { failure } from "./crash-failure.js";

/** Packs every item in a branch of its own (two steps each), then races a shipping signal against a 3-day timer. */
const fulfilment = workflow("fulfilment", function* (input: { items: readonly string[] }) {
  const packed = yield* all(
    input.items.map((item) =>
      (function* () {
        const picked = yield* step(`pick-${item}`, () => `picked ${item}`);
        const box = yield* step(`pack-${item}`, () => `${picked} in box`);
        return box;
      })(),
    ),
  );
  const first = yield* race({ shipped: awaitSignal<{ carrier: string }>("shipped"), late: sleep({ days: 3 }) });
  if (first.key === "late") return { packed, shipped: yield* step("apologise", () => "sorry, late") };
  return { packed, shipped: first.value.carrier };
});

/** A child that authorises, waits an hour and settles; the parent awaits one child and starts another. */
const capture = workflow("capture", function* (input: { amount: number }) {
  const auth = yield* step("authorise", () => `auth-${input.amount}`);
  yield* sleep({ hours: 1 });
  return yield* step("settle", () => ({ receipt: `${auth}-settled` }));
});
const checkout = workflow("checkout", function* (input: { amount: number }) {
  const receipt = yield* child(capture, input);
  const tip = yield* startChild(capture, { amount: 1 }, { id: "tip" });
  const note = yield* step("note", () => `noted ${tip.id}`);
  const [both] = yield* all([tip.result(), step("email", () => "sent")]);
  return { receipt, tip: both, note };
});

const PLAY: PlayOptions = { maxTicks: 200, seed: 0, detectNondeterminism: true };

/** Plays once without crashes, then with one crash at each commit in turn; returns the plays `pick` chose. */
async function crashedPlays<I>(
  definition: WorkflowDefinition<I, unknown>,
  input: I,
  timing: CrashTiming,
  options: PlayOptions,
  pick: (observed: Observation) => boolean,
): Promise<{ reference: Observation; picked: Observation[] }> {
  const scenario = { input, signals: [] };
  const reference = await playScenario(definition, scenario, new Map(), options);
  const picked: Observation[] = [];
  for (let commit = 1; commit <= reference.commits; commit++) {
    const observed = await playScenario(definition, scenario, new Map([[commit, timing]]), options);
    if (pick(observed)) picked.push(observed);
  }
  return { reference, picked };
}

const lostEvents = (observed: Observation): HistoryEvent["type"][] =>
  observed.crashes.flatMap((crash) => crash.events.map((event) => event.type));
const callsOf = (observed: Observation, step: string) => observed.stepCalls.filter((call) => call.step === step);

describe("checkCrashSafety with parallel branches", () => {
  it("passes for all() of sub-flows followed by a race of a signal against a timer", async () => {
    const report = await checkCrashSafety(fulfilment, {
      input: fc.record({ items: fc.uniqueArray(fc.constantFrom("mug", "cap", "pen"), { minLength: 1, maxLength: 3 }) }),
      signals: [{ name: "shipped", payload: fc.constant({ carrier: "DHL" }) }],
      numRuns: 25,
    });
    expect(report.scenarios).toBe(25);
    expect(report.crashes).toBeGreaterThanOrEqual(25);
    expect(report.stepReruns).toBeGreaterThan(0);
  });

  it("a crash between two branch completions reruns only the branch whose result was lost, with its key", async () => {
    // The second branch sleeps first, so the two steps' results are committed separately.
    const pair = workflow("pair", function* () {
      return yield* all([
        step("left", () => "L"),
        (function* () {
          yield* sleep({ minutes: 1 });
          return yield* step("right", () => "R");
        })(),
      ]);
    });
    const { reference, picked } = await crashedPlays(pair, undefined, "before", PLAY, (observed) =>
      observed.crashes.some((crash) =>
        crash.events.some((event) => event.type === "step_completed" && event.data.includes('"right"')),
      ),
    );
    expect(reference.result).toEqual(["L", "R"]);
    expect(picked.length).toBeGreaterThan(0);
    for (const observed of picked) {
      expect(observed.result).toEqual(["L", "R"]);
      expect(callsOf(observed, "left")).toHaveLength(1); // committed before the crash: never again
      const right = callsOf(observed, "right");
      expect(right).toHaveLength(2); // its result was in the lost commit
      expect(new Set(right.map((call) => call.idempotencyKey)).size).toBe(1);
      expect(right[0]?.idempotencyKey).toBe(callsOf(reference, "right")[0]?.idempotencyKey);
      expect(right[0]?.idempotencyKey).toMatch(new RegExp(`^${SCENARIO_RUN_ID}:\\d+$`));
    }
  });

  it("compares branches that finish in a different real-time order in each play, command by command", async () => {
    // Each step takes a random real time: seqs, and the order of events in the log, differ between plays.
    const jitter = <T>(value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), Math.random() * 4));
    const seqs = new Set<number>();
    const scatter = workflow("scatter", function* () {
      const results = yield* all(
        ["x", "y", "z"].map((name) =>
          (function* () {
            const fetched = yield* step(`fetch-${name}`, () => jitter(name.toUpperCase()));
            return yield* step(`store-${name}`, () => jitter(`${fetched}!`));
          })(),
        ),
      );
      return results.join("");
    });
    const report = await checkCrashSafety(scatter, {
      input: undefined,
      numRuns: 15,
      stubs: {
        "store-z": (ctx) => {
          seqs.add(ctx.seq);
          return jitter("Z!");
        },
      },
    });
    expect(report.scenarios).toBe(15);
    // The last branch's second step got different seqs across plays: the order really varied.
    expect(seqs.size).toBeGreaterThan(1);
  });

  it("finds Math.random() in a sub-flow's code", async () => {
    const lottery = workflow("lottery", function* () {
      return yield* all([
        step("ticket", () => 1),
        (function* () {
          yield* step("draw", () => 2);
          return Math.random() < 2 ? yield* step("win", () => 3) : 0;
        })(),
      ]);
    });
    const error = await failure(checkCrashSafety(lottery, { input: undefined, numRuns: 5 }));
    expect(error.message).toContain("Workflow 'lottery' called Math.random() in workflow code");
  });

  it("fails for a branch step whose side effect is not keyed by its idempotency key", async () => {
    const charges: string[] = [];
    const splitPay = workflow("split-pay", function* () {
      yield* step("open-ledger", () => void (charges.length = 0));
      yield* all([step("charge-a", () => void charges.push("a")), step("charge-b", () => void charges.push("b"))]);
      return yield* step("audit", () => charges.length);
    });
    const error = await failure(checkCrashSafety(splitPay, { input: undefined, numRuns: 40 }));
    expect(error.message).toMatch(/the run returned .*4.* instead of .*2/);
    expect(error.message).toMatch(/crashed before committing .*step_completed 'charge-(a|b)'/);

    // The same workflow with the charge keyed by ctx.idempotencyKey passes.
    const keyed = new Map<string, string>();
    const splitPayKeyed = workflow("split-pay-keyed", function* () {
      yield* step("open-ledger", () => keyed.clear());
      yield* all([
        step("charge-a", (ctx) => void keyed.set(ctx.idempotencyKey, "a")),
        step("charge-b", (ctx) => void keyed.set(ctx.idempotencyKey, "b")),
      ]);
      return yield* step("audit", () => keyed.size);
    });
    await checkCrashSafety(splitPayKeyed, { input: undefined, numRuns: 40 });
  });

  it("fails for a store that loses an acknowledged write of a parallel workflow", async () => {
    const fanOut = workflow("fan-out", function* () {
      const [a, b] = yield* all([step("a", () => "A"), step("b", () => "B")]);
      return yield* step("join", () => a + b);
    });
    const error = await failure(checkCrashSafety(fanOut, { input: undefined, numRuns: 30, openStore: openLossyStore }));
    expect(error.message).toMatch(/ran \d time\(s\) instead of 1, although no crash fell between its side effect/);
  });

  it("exhaustive mode tries a crash before and after each commit of a parallel workflow", async () => {
    const fanOut = workflow("fan-out-2", function* () {
      const [a, b] = yield* all([
        step("a", () => "A"),
        (function* () {
          yield* sleep({ minutes: 1 });
          return yield* step("b", () => "B");
        })(),
      ]);
      return a + b;
    });
    // Counted independently: the commits the same run makes on a test engine.
    const t = await createTestEngine({ workflows: [fanOut] });
    const run = await t.start(fanOut, undefined);
    await t.advance({ minutes: 1 });
    expect(await run.result()).toBe("AB");
    const commits = t.engine.stats().commits;
    await t.close();
    expect(commits).toBeGreaterThanOrEqual(4);

    const report = await checkCrashSafety(fanOut, { input: undefined, exhaustive: true });
    expect(report.scenarios).toBe(2 * commits);
    expect(report.crashes).toBe(2 * commits);
  });
});

describe("checkCrashSafety with children", () => {
  it("passes for a parent that awaits one child and starts another, every crash point of parent and children", async () => {
    const report = await checkCrashSafety(checkout, { input: { amount: 5 }, workflows: [capture], exhaustive: true });
    expect(report.scenarios).toBe(report.crashes);
    // Parent and two children each commit several times.
    expect(report.scenarios).toBeGreaterThanOrEqual(2 * 9);
  });

  it("passes when sampling crashes of a parent with children", async () => {
    const report = await checkCrashSafety(checkout, {
      input: fc.record({ amount: fc.integer({ min: 2, max: 9 }) }),
      workflows: [capture],
      numRuns: 20,
    });
    expect(report.scenarios).toBe(20);
  });

  it("a crash right after the commit that created a child creates it once and runs it once", async () => {
    const options = { ...PLAY, workflows: [capture] };
    const { reference, picked } = await crashedPlays(checkout, { amount: 5 }, "after", options, (observed) =>
      lostEvents(observed).includes("child_started"),
    );
    expect(picked.length).toBeGreaterThanOrEqual(2); // the awaited child and the started one
    for (const observed of picked) {
      expect(observed.result).toEqual(reference.result);
      expect([...observed.children.keys()].sort()).toEqual([...reference.children.keys()].sort());
      expect(callsOf(observed, "authorise")).toHaveLength(2); // once per child
      expect(callsOf(observed, "settle")).toHaveLength(2);
    }
  });

  it("a child that finishes while the parent's engine is down wakes the parent after recovery", async () => {
    const options = { ...PLAY, workflows: [capture] };
    const { reference, picked } = await crashedPlays(checkout, { amount: 5 }, "after", options, (observed) =>
      observed.crashes.some(
        (crash) => crash.runId !== SCENARIO_RUN_ID && crash.events.some((event) => event.type === "run_completed"),
      ),
    );
    expect(picked.length).toBe(2); // the ending commit of each child
    for (const observed of picked) {
      expect(observed.status).toBe("completed");
      expect(observed.result).toEqual(reference.result);
      expect(callsOf(observed, "settle")).toHaveLength(2);
    }
  });

  it("fails for a store that loses an acknowledged write of a child", async () => {
    const error = await failure(
      checkCrashSafety(checkout, {
        input: { amount: 5 },
        workflows: [capture],
        numRuns: 40,
        openStore: openLossyStore,
      }),
    );
    // The write lost is the last one before the crash, the parent's or a child's: either way the check fails.
    expect(error.message).toMatch(/\n {2}problem: .+/);
  });

  it("fails when a child's step has a side effect that is not idempotent, though the parent ignores its result", async () => {
    let sent = 0;
    const mailer = workflow("mailer", function* () {
      yield* step("send", () => void (sent += 1));
      return yield* step("count", () => sent);
    });
    const campaign = workflow("campaign", function* () {
      yield* step("reset", () => void (sent = 0));
      yield* startChild(mailer, undefined);
      return "started";
    });
    const error = await failure(checkCrashSafety(campaign, { input: undefined, workflows: [mailer], numRuns: 40 }));
    // Only the child shows it: it is paired with its counterpart by the command that started it.
    expect(error.message).toContain("problem: child #2 ('crash-check/3') returned");
    expect(error.message).toMatch(/crashed before committing .*step_completed 'send'.* of child 'crash-check\/3'/);
  });

  it("a child that loses a race gets as far as timing lets it before its cancellation: only its end is compared", async () => {
    const worker = workflow("worker", function* (hours: number) {
      try {
        yield* step("begin", () => hours);
        yield* sleep({ hours });
        return yield* step("finish", () => "finished");
      } finally {
        yield* step("clean-up", () => "clean");
      }
    });
    const hedge = workflow("hedge", function* () {
      const winner = yield* race({ slow: child(worker, 2), quick: step("quick", () => "q") });
      return winner.key;
    });
    const report = await checkCrashSafety(hedge, { input: undefined, workflows: [worker], exhaustive: true });
    expect(report.scenarios).toBeGreaterThanOrEqual(6);
  });

  it("says which workflow to pass when a child's workflow is missing, in both modes", async () => {
    for (const exhaustive of [false, true]) {
      const error = await checkCrashSafety(checkout, { input: { amount: 5 }, numRuns: 3, exhaustive }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MissingChildWorkflowError);
      expect(error).toMatchObject({ workflow: "checkout", childWorkflow: "capture", childId: "crash-check/2" });
      expect((error as Error).message).toContain("in the `workflows` option");
    }
  });

  it("sends signals to a child by its id", async () => {
    const recorded = new Set<string>();
    const approval = workflow("approval", function* (amount: number) {
      const answer = yield* awaitSignal<boolean>("approved", { timeout: { days: 1 } });
      const verdict = answer === true ? "approved" : "timed out";
      yield* step("record-approval", () => recorded.add(verdict));
      return `${verdict} ${amount}`;
    });
    const spend = workflow("spend", function* (amount: number) {
      const [verdict, quote] = yield* all([
        child(approval, amount, { id: "approval-1" }),
        step("quote", () => amount * 2),
      ]);
      return { verdict, quote };
    });
    const report = await checkCrashSafety(spend, {
      input: fc.integer({ min: 1, max: 9 }),
      signals: [{ name: "approved", payload: true, runId: "approval-1" }],
      workflows: [approval],
      numRuns: 25,
    });
    expect(report.scenarios).toBe(25);
    // Signals sent before the day was over reached the child; later ones found it finished.
    expect([...recorded].sort()).toEqual(["approved", "timed out"]);
  });
});
