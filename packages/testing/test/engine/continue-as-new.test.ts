// Continue-as-new: a run that loops for ever keeps one id and its inbox while each generation starts a fresh,
// bounded history; earlier generations stay readable, and replay reads only the current one.
import {
  all,
  awaitSignal,
  continueAsNew,
  InvalidArgumentError,
  sleep,
  startChild,
  step,
  workflow,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { checkCrashSafety, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

/** Counts to `until` with one step per iteration, continuing as new every `per` iterations. */
const counter = workflow("counter", function* (state: { i: number; until: number; per: number; sum: number }) {
  let { i, sum } = state;
  for (let n = 0; n < state.per && i < state.until; n++, i++) sum = yield* step(`add-${i}`, () => sum + i);
  if (i < state.until) return yield* continueAsNew({ ...state, i, sum });
  return sum;
});

describe("continueAsNew()", () => {
  // 10,000 step commits: without an fsync each (synchronous "normal", still a real WAL file) it stays a unit test
  // on a loaded machine; durability is not what it checks.
  it("runs 10,000 iterations in generations of 100 with a bounded history", { timeout: 120_000 }, async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [counter], store: await f.tmp.open({ synchronous: "normal" }) });
    const run = await engine.start(counter, { i: 0, until: 10_000, per: 100, sum: 0 }, { id: "count" });
    expect(await run.result()).toBe((9_999 * 10_000) / 2);
    const info = await engine.getRun("count");
    expect(info?.generation).toBe(100);
    expect(info?.status).toBe("completed");
    const last = await engine.history("count");
    expect(last.length).toBe(102);
    expect(last[0]).toMatchObject({ type: "run_started", generation: 100, input: { i: 9_900 } });
    const first = await engine.history("count", { generation: 1 });
    expect(first.length).toBe(102);
    expect(first.at(-1)).toMatchObject({ type: "run_continued", input: { i: 100, sum: (99 * 100) / 2 } });
  });

  it("starts the next generation at once in the same engine: no poll, no second claim, no replay", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [counter], pollIntervalMs: Number.POSITIVE_INFINITY });
    const run = await engine.start(counter, { i: 0, until: 30, per: 10, sum: 0 }, { id: "quick" });
    expect(await run.result()).toBe((29 * 30) / 2);
    expect((await engine.getRun("quick"))?.generation).toBe(3);
    // Every generation ran from the event its continuing commit wrote: nothing was read back and replayed.
    expect(engine.stats().replays).toBe(0);
  });

  it("keeps every signal sent while the run continues as new, each consumed once, in order", async () => {
    const collector = workflow("collector", function* (state: { got: string[]; want: number }) {
      const tick = yield* awaitSignal<string>("tick");
      const got = [...state.got, tick];
      if (got.length < state.want) return yield* continueAsNew({ ...state, got });
      return got;
    });
    const f = await fixture();
    const generations: number[] = [];
    const engine = f.engine({
      workflows: [collector],
      on: { runContinued: ({ runId, generation }) => void generations.push(runId === "collect" ? generation : -1) },
    });
    const run = await engine.start(collector, { got: [], want: 60 }, { id: "collect" });
    // Sent as fast as they are accepted: many arrive while a generation ends and the next one starts.
    const sent = Array.from({ length: 60 }, (_, i) => `t${i}`);
    for (const tick of sent) await engine.signal("collect", "tick", tick);
    expect(await run.result()).toEqual(sent);
    expect((await engine.getRun("collect"))?.generation).toBe(60);
    expect((await engine.getRun("collect"))?.pendingSignals).toEqual([]);
    // The hook fired once per transition, with the generation that starts.
    expect(generations).toEqual(Array.from({ length: 59 }, (_, i) => i + 2));
  });

  it("replays only the current generation after a restart", async () => {
    const waiter = workflow("waiter", function* (state: { round: number }) {
      for (let i = 0; i < 20; i++) yield* step(`work-${state.round}-${i}`, () => i);
      if (state.round < 3) return yield* continueAsNew({ round: state.round + 1 });
      return yield* awaitSignal<string>("done");
    });
    const f = await fixture();
    const first = f.engine({ workflows: [waiter] });
    await first.start(waiter, { round: 1 }, { id: "wait" });
    await waitFor(async () => (await first.getRun("wait"))?.status === "waiting");
    await first.close();

    const second = f.engine({ workflows: [waiter], checkParkedRuns: false });
    await second.signal("wait", "done", "ok");
    await waitFor(async () => (await second.getRun("wait"))?.status === "completed");
    // One replay, of generation 3's 22 events (run_started, 20 steps, the wait); generations 1 and 2 are not read.
    expect(second.stats().replays).toBe(1);
    expect(second.stats().eventsReplayed).toBe(22);
    expect((await second.getRun("wait"))?.result).toBe("ok");
    expect((await second.history("wait", { generation: 2 })).at(-1)?.type).toBe("run_continued");
    await expect(second.history("wait", { generation: 4 })).rejects.toThrow(InvalidArgumentError);
  });

  it("keeps children started with startChild running, and gives the next generation fresh step keys and child ids", async () => {
    const keys: string[] = [];
    const leaf = workflow("leaf", function* (n: number) {
      yield* sleep({ milliseconds: 20 });
      return n;
    });
    const looping = workflow("looping", function* (round: number) {
      yield* step("key", (ctx) => void keys.push(ctx.idempotencyKey));
      const handle = yield* startChild(leaf, round);
      if (round < 2) return yield* continueAsNew(round + 1);
      return [handle.id, yield* handle.result()];
    });
    const f = await fixture();
    const engine = f.engine({ workflows: [looping, leaf] });
    const run = await engine.start(looping, 1, { id: "loop" });
    expect(await run.result()).toEqual(["loop/2-3", 2]);
    expect(keys).toEqual(["loop:2", "loop:2-2"]);
    // Generation 1's child ran on after its parent continued, and finished on its own.
    await waitFor(async () => (await engine.getRun("loop/3"))?.status === "completed");
    expect((await engine.getRun("loop/3"))?.parentId).toBe("loop");
  });

  it("throws InvalidArgumentError inside branches, which the workflow may catch", async () => {
    const inBranch = workflow("in-branch", function* () {
      try {
        yield* all([
          (function* () {
            return yield* continueAsNew("again");
          })(),
        ]);
        return "not reached";
      } catch (error) {
        return error instanceof InvalidArgumentError ? error.message : "other";
      }
    });
    const f = await fixture();
    const engine = f.engine({ workflows: [inBranch] });
    expect(await (await engine.start(inBranch, undefined)).result()).toMatch(/only the workflow itself/);
  });

  it("passes the crash harness across its transitions", { timeout: 120_000 }, async () => {
    const looping = workflow("crash-loop", function* (state: { round: number; seen: string[] }) {
      const value = yield* step(`work-${state.round}`, () => `w${state.round}`);
      const tick = yield* awaitSignal<string>("tick");
      const seen = [...state.seen, value, tick];
      if (state.round < 3) return yield* continueAsNew({ round: state.round + 1, seen });
      return seen;
    });
    const report = await checkCrashSafety(looping, {
      input: { round: 1, seen: [] },
      signals: [
        { name: "tick", payload: "a" },
        { name: "tick", payload: "b" },
        { name: "tick", payload: "c" },
      ],
      numRuns: 40,
    });
    expect(report.crashes).toBeGreaterThan(0);
  });
});
