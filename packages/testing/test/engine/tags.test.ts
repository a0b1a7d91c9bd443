// Tags: given at start, changed by setTags() from workflow code (recorded, so replay agrees), checked before
// anything is written, kept across continueAsNew, and what listRuns / listRunsPage / countRuns filter on.
import {
  awaitSignal,
  child,
  startChild,
  continueAsNew,
  InvalidArgumentError,
  MAX_TAGS,
  setTags,
  sleep,
  step,
  workflow,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { checkCrashSafety, createTestEngine } from "../../src/index.js";
import { fixture, storeSnapshot } from "../fixtures.js";

const job = workflow("job", function* (input: { customer: string }) {
  yield* setTags({ stage: "charging" });
  const receipt = yield* step("charge", () => `r-${input.customer}`);
  yield* setTags({ stage: "waiting", receipt });
  yield* sleep({ hours: 1 });
  yield* setTags({ stage: "done", receipt: null });
  return receipt;
});

describe("tags", () => {
  it("start() tags and setTags() changes are what getRun shows and listRuns and countRuns filter on", async () => {
    const t = await createTestEngine({ workflows: [job] });
    try {
      await t.start(job, { customer: "42" }, { id: "j42", tags: { customer: "42", plan: "pro" } });
      await t.start(job, { customer: "7" }, { id: "j7", tags: { customer: "7", plan: "pro" } });
      expect((await t.getRun("j42"))?.tags).toEqual({ customer: "42", plan: "pro", stage: "waiting", receipt: "r-42" });
      const engine = t.engine;
      expect((await engine.listRuns({ tags: { plan: "pro", stage: "waiting" } })).map((run) => run.id)).toEqual([
        "j7",
        "j42",
      ]);
      expect(await engine.countRuns({ tags: { customer: "42" } })).toBe(1);
      expect(await engine.countRuns({ tags: { stage: "done" } })).toBe(0);
      await t.advance({ hours: 1 });
      expect((await t.getRun("j42"))?.tags).toEqual({ customer: "42", plan: "pro", stage: "done" });
      expect(await engine.countRunsByStatus({ tags: { stage: "done" } })).toMatchObject({ completed: 2, sleeping: 0 });
      const history = await t.history("j42");
      expect(history.filter((event) => event.type === "tags_set").map((event) => event.tags)).toEqual([
        { stage: "charging" },
        { stage: "waiting", receipt: "r-42" },
        { stage: "done", receipt: null },
      ]);
    } finally {
      await t.close();
    }
  });

  it("a replay after a restart agrees with the recorded setTags() calls and writes none again", async () => {
    const t = await createTestEngine({ workflows: [job], cacheSize: 0 });
    try {
      await t.start(job, { customer: "1" }, { id: "j1" });
      await t.restart();
      await t.advance({ hours: 1 });
      const run = await t.getRun("j1");
      expect(run?.status).toBe("completed");
      expect(run?.tags).toEqual({ stage: "done" });
      expect((await t.history("j1")).filter((event) => event.type === "tags_set")).toHaveLength(3);
      expect(t.errors).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it("setTags() beyond MAX_TAGS throws InvalidArgumentError into the workflow, the same way on replay", async () => {
    const many = workflow("many", function* () {
      const tags = Object.fromEntries(Array.from({ length: MAX_TAGS }, (_, i) => [`k${i}`, "v"]));
      yield* setTags(tags);
      let refused = "no";
      try {
        yield* setTags({ oneTooMany: "v" });
      } catch (error) {
        refused = error instanceof InvalidArgumentError ? "refused" : "other";
      }
      yield* awaitSignal("go");
      yield* setTags({ k0: null, oneTooMany: "v" });
      return refused;
    });
    const t = await createTestEngine({ workflows: [many], cacheSize: 0 });
    try {
      const run = await t.start(many, undefined, { id: "m" });
      await t.restart();
      await t.signal("m", "go");
      expect(await run.result()).toBe("refused");
      const tags = (await t.getRun("m"))?.tags ?? {};
      expect(Object.keys(tags)).toHaveLength(MAX_TAGS);
      expect(tags.oneTooMany).toBe("v");
      expect(tags.k0).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it("keeps the tags across continueAsNew, for filters and for the next generation's own count", async () => {
    const looping = workflow("looping", function* (round: number) {
      yield* setTags({ [`round${round}`]: String(round) });
      if (round < 3) return yield* continueAsNew(round + 1);
      return round;
    });
    const t = await createTestEngine({ workflows: [looping] });
    try {
      const run = await t.start(looping, 1, { id: "loop", tags: { owner: "ops" } });
      expect(await run.result()).toBe(3);
      const info = await t.getRun("loop");
      expect(info?.tags).toEqual({ owner: "ops", round1: "1", round2: "2", round3: "3" });
      expect((await t.history("loop"))[0]).toMatchObject({
        type: "run_started",
        generation: 3,
        tags: { owner: "ops", round1: "1", round2: "2" },
      });
      expect(await t.engine.countRuns({ tags: { round2: "2", owner: "ops" } })).toBe(1);
    } finally {
      await t.close();
    }
  });

  it("refuses bad tags at start() and at setTags() with InvalidArgumentError, writing nothing", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [] });
    const before = storeSnapshot(f);
    const bad: unknown[] = [
      { customer: 42 },
      { "a=b": "x" },
      { "": "x" },
      { ["k".repeat(65)]: "x" },
      { k: "v".repeat(257) },
      ["customer", "42"],
      Object.fromEntries(Array.from({ length: MAX_TAGS + 1 }, (_, i) => [`k${i}`, "v"])),
    ];
    for (const tags of bad) {
      await expect(engine.start(job, { customer: "1" }, { tags: tags as never })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
    }
    await expect(
      engine.startMany([{ workflow: job, input: { customer: "1" }, tags: { n: 1 as never } }]),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", itemIndex: 0 });
    expect(storeSnapshot(f)).toEqual(before);
    expect(() => setTags({ n: 1 as never })).toThrow(InvalidArgumentError);
    expect(() => setTags(null as never)).toThrow(/takes tags as an object/);
    expect(setTags({ a: "1", b: null, c: undefined }).changes).toEqual({ a: "1", b: null });
    await expect(engine.listRuns({ tags: { k: 1 as never } })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("a child started with tags has them from its first event; a child without has none", async () => {
    const leaf = workflow("leaf", function* () {
      yield* setTags({ leafDone: "yes" });
      return 1;
    });
    const tree = workflow("tree", function* () {
      const tagged = yield* startChild(leaf, undefined, { id: "tagged", tags: { team: "ops" } });
      yield* child(leaf, undefined, { id: "plain" });
      return yield* tagged.result();
    });
    const t = await createTestEngine({ workflows: [tree, leaf] });
    try {
      await (await t.start(tree, undefined, { id: "root", tags: { team: "root" } })).result();
      expect((await t.getRun("tagged"))?.tags).toEqual({ team: "ops", leafDone: "yes" });
      expect((await t.getRun("plain"))?.tags).toEqual({ leafDone: "yes" });
      expect((await t.engine.listRuns({ tags: { team: "ops" } })).map((run) => run.id)).toEqual(["tagged"]);
      expect(() => startChild(leaf, undefined, { tags: { team: 7 as never } })).toThrow(InvalidArgumentError);
    } finally {
      await t.close();
    }
  });

  it(
    "passes the crash harness: a crash around any commit leaves the same history, its tags_set events included",
    { timeout: 120_000 },
    async () => {
      const report = await checkCrashSafety(job, { input: { customer: "9" }, numRuns: 30 });
      expect(report.crashes).toBeGreaterThan(0);
    },
  );

  it("startMany() items carry their own tags", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [] });
    await engine.startMany([
      { workflow: job, input: { customer: "1" }, id: "a", tags: { batch: "b1" } },
      { workflow: job, input: { customer: "2" }, id: "b", tags: { batch: "b2" } },
      { workflow: job, input: { customer: "3" }, id: "c" },
    ]);
    expect((await engine.listRuns({ tags: { batch: "b1" } })).map((run) => run.id)).toEqual(["a"]);
    expect((await engine.getRun("c"))?.tags).toEqual({});
    expect(await engine.countRuns({})).toBe(3);
  });

  it("listRunsPage() pages through every match once, newest first, with created-time windows", async () => {
    const f = await fixture();
    let nowMs = Date.UTC(2030, 0, 1);
    const clock = { nowMs: () => nowMs, setTimer: () => ({ cancel() {} }) };
    const engine = f.engine({ workflows: [], clock });
    for (let i = 0; i < 25; i++) {
      nowMs += i % 2 === 0 ? 0 : 1_000; // pairs of runs created in the same ms
      await engine.start(job, { customer: "1" }, { id: `r${String(i).padStart(2, "0")}`, tags: { t: "x" } });
    }
    const seen: string[] = [];
    let page = await engine.listRunsPage({ tags: { t: "x" }, limit: 7 });
    seen.push(...page.runs.map((run) => run.id));
    while (page.next !== undefined) {
      page = await engine.listRunsPage({ tags: { t: "x" }, limit: 7, after: page.next });
      seen.push(...page.runs.map((run) => run.id));
    }
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `r${String(24 - i).padStart(2, "0")}`));
    const start = Date.UTC(2030, 0, 1);
    const window = await engine.listRuns({
      createdAfter: new Date(start + 2_000),
      createdBefore: new Date(start + 4_000).toISOString(),
    });
    expect(window.map((run) => run.createdAtMs - start)).toEqual([3_000, 3_000, 2_000, 2_000]);
    expect(await engine.countRuns({ createdAfter: start + 12_000 })).toBe(2);
    await expect(engine.listRuns({ createdAfter: "yesterday" })).rejects.toMatchObject({ code: "INVALID_DURATION" });
    await expect(engine.listRuns({ after: { createdAtMs: Number.NaN, id: "x" } })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});
