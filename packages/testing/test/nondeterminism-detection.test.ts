// Workflow code that reads the clock or randomness directly fails in the test engine and the crash harness,
// with an error naming the call and its replacement; step functions may read them freely.
import { randomUUID as nodeRandomUUID } from "node:crypto";
import { step, workflow, type WorkflowDefinition } from "@reprise/core";
import fc from "fast-check";
import { DateTime } from "luxon";
import { afterEach, describe, expect, it } from "vitest";
import {
  checkCrashSafety,
  createTestEngine,
  CrashSafetyError,
  NondeterministicCallError,
  type NondeterministicCall,
  type TestEngine,
} from "../src/index.js";

const engines: TestEngine[] = [];
afterEach(async () => {
  while (engines.length > 0) await engines.pop()?.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function testEngine(workflows: WorkflowDefinition<any, unknown>[], detectNondeterminism?: boolean) {
  const t = await createTestEngine({
    workflows,
    ...(detectNondeterminism === undefined ? {} : { detectNondeterminism }),
  });
  engines.push(t);
  return t;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Each read workflow code must not make, as the error names it, with the command that replaces it. */
const CALLS: readonly { call: NondeterministicCall; replacement: string; read: () => unknown }[] = [
  { call: "Date.now()", replacement: "now()", read: () => Date.now() },
  { call: "new Date()", replacement: "now()", read: () => new Date() },
  { call: "Date()", replacement: "now()", read: () => (Date as unknown as () => string)() },
  { call: "Date.now()", replacement: "now()", read: () => DateTime.now() },
  { call: "Date.now()", replacement: "now()", read: () => DateTime.utc() },
  { call: "Date.now()", replacement: "now()", read: () => DateTime.local() },
  { call: "performance.now()", replacement: "now()", read: () => performance.now() },
  { call: "Math.random()", replacement: "random()", read: () => Math.random() },
  { call: "crypto.getRandomValues()", replacement: "random()", read: () => crypto.getRandomValues(new Uint8Array(4)) },
  { call: "crypto.randomUUID()", replacement: "uuid()", read: () => crypto.randomUUID() },
  { call: "crypto.randomUUID()", replacement: "uuid()", read: () => nodeRandomUUID() },
];

describe("the test engine fails workflow code that reads the clock or randomness directly", () => {
  for (const [index, { call, replacement, read }] of CALLS.entries()) {
    it(`${call} (case ${index + 1}): the run fails and the action rejects, naming ${replacement}`, async () => {
      const reader = workflow("reader", function* () {
        yield* step("before", () => "ok");
        const value: unknown = read();
        return yield* step("after", () => typeof value);
      });
      const t = await testEngine([reader]);
      const error = await rejection(t.start(reader, undefined, { id: "r-1" }));
      expect(error).toBeInstanceOf(NondeterministicCallError);
      expect(error).toMatchObject({ code: "NONDETERMINISTIC_CALL", workflow: "reader", call, replacement });
      expect((error as Error).message).toContain(`Workflow 'reader' called ${call} in workflow code`);
      expect((error as Error).message).toContain(`Use \`yield* ${replacement}\` from @reprise/core`);
      const info = await t.getRun("r-1");
      expect(info?.status).toBe("failed");
      expect(info?.error?.name).toBe("NondeterministicCallError");
      expect(t.stepCalls.map((c) => c.step)).toEqual(["before"]); // nothing after the call ran
      expect(t.nondeterministicCalls).toEqual([error]);
    });
  }

  it("fails the run even when the workflow catches the error", async () => {
    const sneaky = workflow("sneaky", function* () {
      let startedAt = 0;
      try {
        startedAt = Date.now();
      } catch {
        startedAt = -1;
      }
      return yield* step("after", () => startedAt);
    });
    const t = await testEngine([sneaky]);
    const error = await rejection(t.start(sneaky, undefined, { id: "s-1" }));
    expect(error).toMatchObject({ name: "NondeterministicCallError", call: "Date.now()" });
    expect((await t.getRun("s-1"))?.status).toBe("failed");
    expect(t.stepCalls).toEqual([]);
  });

  it("reports a time budget read between two yields, which virtual time would otherwise hide", async () => {
    const budget = workflow("time-budget", function* () {
      const startedAt = Date.now();
      yield* step("draft", () => "draft");
      if (Date.now() - startedAt > 60_000) return "out of time";
      return yield* step("polish", () => "polished");
    });
    const t = await testEngine([budget]);
    await expect(t.start(budget, undefined)).rejects.toThrow(/called Date\.now\(\) in workflow code/);
  });

  it("lets step functions read the clock and randomness", async () => {
    const steps = workflow("steps", function* () {
      const values = yield* step("read", () => [
        Date.now(),
        new Date().getTime(),
        performance.now(),
        Math.random(),
        crypto.randomUUID(),
        nodeRandomUUID(),
        DateTime.now().toMillis(),
      ]);
      return values.length;
    });
    const t = await testEngine([steps]);
    const run = await t.start(steps, undefined);
    expect(await run.result()).toBe(7);
    expect(t.nondeterministicCalls).toEqual([]);
  });

  it("allows deterministic date code: dates from arguments, Date.UTC, instanceof, luxon parsing a full date", async () => {
    const dates = workflow("dates", function* () {
      const fromStep = yield* step("when", () => new Date(Date.UTC(2030, 0, 2)));
      const parsed = DateTime.fromISO("2030-01-05T10:00:00");
      const built = DateTime.fromObject({ year: 2030, month: 3, day: 1 });
      const local = DateTime.local(2030, 1, 1);
      return {
        isDate: fromStep instanceof Date,
        fixed: new Date(0).toISOString(),
        utc: Date.UTC(2030, 0, 1),
        parsed: Date.parse("2030-01-01T00:00:00Z"),
        luxon: [parsed.year, built.month, local.day],
      };
    });
    const t = await testEngine([dates]);
    const run = await t.start(dates, undefined);
    expect(await run.result()).toEqual({
      isDate: true,
      fixed: "1970-01-01T00:00:00.000Z",
      utc: Date.UTC(2030, 0, 1),
      parsed: Date.UTC(2030, 0, 1),
      luxon: [2030, 3, 1],
    });
    expect(t.nondeterministicCalls).toEqual([]);
  });

  it("restores every swapped global after each generator step", async () => {
    const globals = () => ({
      Date: globalThis.Date,
      now: Object.getOwnPropertyDescriptor(Date, "now"),
      random: Object.getOwnPropertyDescriptor(Math, "random"),
      performanceNow: Object.getOwnPropertyDescriptor(performance, "now"),
      randomUUID: Object.getOwnPropertyDescriptor(crypto, "randomUUID"),
      getRandomValues: Object.getOwnPropertyDescriptor(crypto, "getRandomValues"),
    });
    const before = globals();
    let inside: ReturnType<typeof globals> | undefined;
    const peek = workflow("peek", function* () {
      inside = globals();
      return yield* step("s", () => JSON.stringify(globals()) === JSON.stringify(before) && Date === before.Date);
    });
    const t = await testEngine([peek]);
    const run = await t.start(peek, undefined);
    expect(await run.result()).toBe(true); // step functions see the real functions
    expect(inside?.Date).not.toBe(before.Date); // workflow code saw the guarded ones
    expect(inside?.random?.value).not.toBe(before.random?.value);
    expect(inside?.randomUUID).toBeDefined();
    expect(globals()).toEqual(before);
  });

  it("runs workflow code unguarded with detectNondeterminism: false", async () => {
    const reader = workflow("reader-off", function* () {
      const at = Date.now();
      return yield* step("after", () => typeof at);
    });
    const t = await testEngine([reader], false);
    const run = await t.start(reader, undefined);
    expect(await run.result()).toBe("number");
    expect(t.nondeterministicCalls).toEqual([]);
  });
});

describe("checkCrashSafety fails workflow code that reads the clock or randomness directly", () => {
  const budget = workflow("time-budget", function* () {
    const startedAt = Date.now();
    yield* step("draft", () => "draft");
    if (Date.now() - startedAt > 60_000) return "out of time";
    return yield* step("polish", () => "polished");
  });

  it("reports the call without needing a crash, with the error as cause", async () => {
    const error = await rejection(checkCrashSafety(budget, { input: undefined, numRuns: 20 }));
    expect(error).toBeInstanceOf(CrashSafetyError);
    const message = (error as CrashSafetyError).message;
    expect(message).toContain("found workflow code that is not deterministic, without needing a crash");
    expect(message).toContain(
      "problem: workflow code is non-deterministic: Workflow 'time-budget' called Date.now() in workflow code",
    );
    expect(message).toContain("Use `yield* now()` from @reprise/core");
    expect(message).not.toContain("crashed before");
    expect((error as CrashSafetyError).cause).toBeInstanceOf(NondeterministicCallError);
  });

  it("reports it in exhaustive mode too", async () => {
    const error = await rejection(checkCrashSafety(budget, { input: undefined, exhaustive: true }));
    expect(error).toBeInstanceOf(CrashSafetyError);
    expect((error as CrashSafetyError).message).toContain("workflow code is non-deterministic: Workflow 'time-budget'");
  });

  it("passes the same workflow with detectNondeterminism: false (the budget is never exceeded in a test)", async () => {
    const report = await checkCrashSafety(budget, { input: undefined, numRuns: 5, detectNondeterminism: false });
    expect(report.scenarios).toBe(5);
  });
});

describe("the reproduce line of a counterexample", () => {
  const sendOrder = workflow("send-order", function* (qty: number) {
    if (qty >= 3 && Math.random() < 2) yield* step("split", () => "split");
    return yield* step("send", () => qty);
  });

  it("is code that, pasted where the workflow and options are in scope, replays the same counterexample", async () => {
    const options = { input: fc.integer({ min: 0, max: 40 }), numRuns: 50 };
    const error = (await rejection(checkCrashSafety(sendOrder, options))) as CrashSafetyError;
    expect(error).toBeInstanceOf(CrashSafetyError);
    const lines = error.message.split("\n");
    const line = lines[lines.findIndex((l) => l.startsWith("Reproduce it:")) + 1]?.trim() ?? "";
    expect(line).toBe(`await checkCrashSafety(sendOrder, { ...options, seed: ${error.seed}, path: "${error.path}" });`);
    type AsyncFunctionConstructor = new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;
    const AsyncFunction = (Object.getPrototypeOf(async () => undefined) as { constructor: AsyncFunctionConstructor })
      .constructor;
    const pasted = new AsyncFunction("checkCrashSafety", "sendOrder", "options", line);
    const again = await rejection(pasted(checkCrashSafety, sendOrder, options));
    expect(again).toBeInstanceOf(CrashSafetyError);
    expect((again as CrashSafetyError).message).toContain("scenario: input 3\n");
    expect(error.message).toContain("scenario: input 3\n");
  });

  it("names a valid identifier for any workflow name", async () => {
    const names: Record<string, string> = {
      "send-order": "sendOrder",
      delete: "deleteWorkflow",
      "3d print": "workflow3dPrint",
      "billing.v2/retry": "billingV2Retry",
      "--": "workflow",
      "bestellung-prüfen": "bestellungPrüfen",
    };
    for (const [name, identifier] of Object.entries(names)) {
      const definition = workflow(name, function* () {
        Math.random();
        yield* step("never", () => 1);
      });
      const error = (await rejection(checkCrashSafety(definition, { input: undefined, numRuns: 1 }))) as Error;
      const line = error.message.split("\n").at(-1)?.trim() ?? "";
      expect(line).toMatch(
        new RegExp(
          `^await checkCrashSafety\\(${identifier}, \\{ \\.\\.\\.options, seed: -?\\d+, path: "[\\d:]*" \\}\\);$`,
          "u",
        ),
      );
      // Parsing the printed line as a function body is the point (it throws SyntaxError if invalid).
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const parsed = new Function("checkCrashSafety", identifier, "options", `return async () => { ${line} };`);
      expect(parsed).toBeTypeOf("function");
    }
  });
});
