// The test engine with parallel branches and children: several workflows on one engine, stubs and step-call records
// inside branches and children, and races of month-long timers settled on the virtual clock.
import { all, awaitSignal, child, now, race, sleep, step, workflow } from "@reprise/core";
import { afterEach, describe, expect, it } from "vitest";
import { createTestEngine, type TestEngine } from "../src/index.js";

/** A child that sends a reminder every 30 days until it has sent `times` of them. */
const reminders = workflow("reminders", function* (times: number) {
  for (let i = 1; i <= times; i++) {
    yield* sleep({ days: 30 });
    yield* step(`remind-${i}`, () => `reminder ${i}`);
  }
  return (yield* now()).toISODate();
});

/** Renewal: reminders run as a child while a renewal signal races a 100-day deadline. */
const renewal = workflow("renewal", function* (customer: string) {
  const [profile, settings] = yield* all([
    step("load-profile", () => ({ customer })),
    (function* () {
      const raw = yield* step("load-settings", () => "reminders=3");
      return yield* step("parse-settings", () => Number(raw.split("=")[1]));
    })(),
  ]);
  const outcome = yield* race({
    renewed: awaitSignal<{ plan: string }>("renewed"),
    lapsed: sleep({ days: 100 }),
    reminded: child(reminders, settings, { id: `reminders-${customer}` }),
  });
  return { customer: profile.customer, outcome: outcome.key, at: (yield* now()).toISODate() };
});

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe("createTestEngine with branches and children", () => {
  it("runs a parent and its child on one engine; months of racing timers fire in deadline order", async () => {
    t = await createTestEngine({ workflows: [renewal, reminders] });
    const run = await t.start(renewal, "ada");
    await t.advance({ days: 89 });
    // Three reminders 30 days apart: the child ends on day 90, ten days before the deadline.
    expect((await t.getRun("reminders-ada"))?.status).toBe("sleeping");
    await t.advance({ days: 1 });
    expect(await run.result()).toEqual({ customer: "ada", outcome: "reminded", at: "2030-04-01" });
    expect((await t.getRun("reminders-ada"))?.result).toBe("2030-04-01");
    expect(t.stepCalls.map((call) => call.step).sort()).toEqual(
      ["load-profile", "load-settings", "parse-settings", "remind-1", "remind-2", "remind-3"].sort(),
    );
    expect(t.stepCalls.filter((call) => call.runId === "reminders-ada")).toHaveLength(3);
  });

  it("the 100-day timer wins the race when the child would take longer; the child is cancelled", async () => {
    t = await createTestEngine({
      workflows: [renewal, reminders],
      stubs: { "load-settings": () => "reminders=4" },
    });
    const run = await t.start(renewal, "bob");
    await t.advance({ months: 4 });
    expect(await run.result()).toEqual({ customer: "bob", outcome: "lapsed", at: "2030-04-11" });
    expect((await t.getRun("reminders-bob"))?.status).toBe("cancelled");
    // The stub replaced a step inside a sub-flow branch.
    expect(t.stepCalls.filter((call) => call.step.startsWith("remind-"))).toHaveLength(3);
  });

  it("a signal beats both, and a restart in the middle replays the branches without running their steps again", async () => {
    t = await createTestEngine({ workflows: [renewal, reminders] });
    const run = await t.start(renewal, "cy");
    await t.advance({ days: 45 });
    await t.restart();
    await t.signal(run.id, "renewed", { plan: "gold" });
    expect(await run.result()).toEqual({ customer: "cy", outcome: "renewed", at: "2030-02-15" });
    const calls = t.stepCalls.map((call) => call.step);
    expect(calls.filter((name) => name === "load-settings")).toHaveLength(1);
    expect(calls.filter((name) => name === "remind-1")).toHaveLength(1);
    expect((await t.getRun("reminders-cy"))?.status).toBe("cancelled");
  });

  it("guards the code of sub-flows too: Math.random() there rejects the action that ran it", async () => {
    const draw = workflow("draw", function* () {
      return yield* all([
        step("ticket", () => 1),
        (function* () {
          yield* step("shuffle", () => 2);
          return Math.random() < 2 ? "won" : "lost";
        })(),
      ]);
    });
    t = await createTestEngine({ workflows: [draw] });
    await expect(t.start(draw, undefined)).rejects.toMatchObject({
      name: "NondeterministicCallError",
      call: "Math.random()",
      workflow: "draw",
    });
  });
});
