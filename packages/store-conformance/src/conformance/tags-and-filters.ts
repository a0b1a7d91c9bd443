// Conformance: run tags (set at creation, changed by commits, kept across continueAsNew) and the RunSelection
// filters of listRuns and countRuns (tags, creation window, keyset paging). Only through the Store interface.
import type { NewRun, RunSelection, RunTags } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { Harness, OWNER_A, T0, WORKFLOW, OTHER_WORKFLOW, startedRecord, type ConformanceContext } from "./harness.js";

/** A NewRun with tags, created at `nowMs`. */
export function taggedRun(id: string, tags: RunTags | undefined, nowMs = T0, workflow = WORKFLOW): NewRun {
  const started = startedRecord(workflow, { id }, nowMs);
  return { id, workflow, input: started.input, startedEvent: started.event, nowMs, tags };
}

export function describeTagsAndFilters(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);
  const ids = async (harness: Harness, selection: RunSelection, limit = 100) =>
    (await harness.store.listRuns({ ...selection, limit })).map((run) => run.id);
  const total = async (harness: Harness, selection: RunSelection) =>
    Object.values(await harness.store.countRuns(selection)).reduce((sum, n) => sum + n, 0);

  describe("tags and run filters", () => {
    it("keeps the tags a run was created with, and none for a run created without", async () => {
      const harness = h();
      const { run } = await harness.store.createRun(taggedRun("t1", { customer: "42", plan: "pro" }));
      expect(run.tags).toEqual({ customer: "42", plan: "pro" });
      await harness.create("plain");
      expect((await harness.run("t1")).tags).toEqual({ customer: "42", plan: "pro" });
      expect(Object.keys((await harness.run("plain")).tags ?? {})).toEqual([]);
      const [listed] = await harness.store.listRuns({ tags: { customer: "42" }, limit: 10 });
      expect(listed?.tags).toEqual({ customer: "42", plan: "pro" });
      // Creating an existing id again returns the run as it is: its tags are not replaced.
      const again = await harness.store.createRun(taggedRun("t1", { customer: "99" }));
      expect(again.created).toBe(false);
      expect(again.run.tags).toEqual({ customer: "42", plan: "pro" });
      expect(await harness.store.listRuns({ tags: { customer: "99" }, limit: 10 })).toEqual([]);
    });

    it("a commit's tag changes set, replace and remove keys in the same write, and filters follow them", async () => {
      const harness = h();
      await harness.store.createRun(taggedRun("t1", { stage: "new", draft: "yes" }));
      await harness.claim(OWNER_A, T0);
      await harness.store.commit({
        runId: "t1",
        owner: OWNER_A,
        expectedLastSeq: 1,
        events: [],
        consumedSignals: [],
        update: { status: "running", release: false },
        nowMs: T0 + 1,
        tags: { stage: "charged", draft: null, receipt: "r-9" },
      });
      expect((await harness.run("t1")).tags).toEqual({ stage: "charged", receipt: "r-9" });
      expect(await ids(harness, { tags: { stage: "new" } })).toEqual([]);
      expect(await ids(harness, { tags: { draft: "yes" } })).toEqual([]);
      expect(await ids(harness, { tags: { stage: "charged", receipt: "r-9" } })).toEqual(["t1"]);
      expect(await total(harness, { tags: { stage: "charged" } })).toBe(1);
      expect(await total(harness, { tags: { stage: "new" } })).toBe(0);
    });

    it("a run keeps its tags when it continues as new", async () => {
      const harness = h();
      await harness.store.createRun(taggedRun("t1", { customer: "7" }));
      await harness.claim(OWNER_A, T0);
      const next = startedRecord(WORKFLOW, { round: 2 }, T0 + 1);
      await harness.commit("t1", {
        events: [{ type: "run_continued", input: { round: 2 } }],
        update: { status: "running", release: false },
        nowMs: T0 + 1,
        continueAsNew: { input: next.input, startedEvent: next.event },
      });
      expect((await harness.run("t1")).generation).toBe(2);
      expect(await ids(harness, { tags: { customer: "7" } })).toEqual(["t1"]);
    });

    it("a tag filter matches only runs with every tag at exactly that value, with the other filters", async () => {
      const harness = h();
      await harness.store.createRuns([
        taggedRun("a", { customer: "7", plan: "pro" }, T0 + 1),
        taggedRun("b", { customer: "7", plan: "free" }, T0 + 2),
        taggedRun("c", { customer: "8", plan: "pro" }, T0 + 3),
        taggedRun("d", { customer: "7" }, T0 + 4, OTHER_WORKFLOW),
        taggedRun("e", undefined, T0 + 5),
      ]);
      expect(await ids(harness, { tags: { customer: "7" } })).toEqual(["d", "b", "a"]);
      expect(await ids(harness, { tags: { customer: "7", plan: "pro" } })).toEqual(["a"]);
      expect(await ids(harness, { tags: { customer: "7" }, workflow: WORKFLOW })).toEqual(["b", "a"]);
      expect(await ids(harness, { tags: { customer: "7" }, statuses: ["completed"] })).toEqual([]);
      expect(await ids(harness, { tags: { customer: "70" } })).toEqual([]);
      expect(await ids(harness, { tags: { Customer: "7" } })).toEqual([]);
      expect(await harness.store.countRuns({ tags: { customer: "7" } })).toMatchObject({ pending: 3, completed: 0 });
      expect(await total(harness, { tags: { plan: "pro" }, workflow: WORKFLOW })).toBe(2);
      expect(await total(harness, {})).toBe(5);
    });

    it("createdAfterMs is inclusive and createdBeforeMs exclusive, with and without tags", async () => {
      const harness = h();
      await harness.store.createRuns([1, 2, 3, 4].map((n) => taggedRun(`r${n}`, { batch: "x" }, T0 + n * 10)));
      expect(await ids(harness, { createdAfterMs: T0 + 20, createdBeforeMs: T0 + 40 })).toEqual(["r3", "r2"]);
      expect(await ids(harness, { tags: { batch: "x" }, createdAfterMs: T0 + 20, createdBeforeMs: T0 + 40 })).toEqual([
        "r3",
        "r2",
      ]);
      expect(await total(harness, { tags: { batch: "x" }, createdAfterMs: T0 + 30 })).toBe(2);
      expect(await total(harness, { createdBeforeMs: T0 + 11 })).toBe(1);
    });

    it("pages newest first with an `after` cursor, without skipping or repeating runs created in the same ms", async () => {
      const harness = h();
      const runs = Array.from({ length: 9 }, (_, n) => taggedRun(`p${n}`, { tenant: "t" }, T0 + Math.floor(n / 3)));
      await harness.store.createRuns(runs);
      for (const selection of [{}, { tags: { tenant: "t" } }] as RunSelection[]) {
        const seen: string[] = [];
        let after: { createdAtMs: number; id: string } | undefined;
        for (;;) {
          const page = await harness.store.listRuns({ ...selection, after, limit: 4 });
          seen.push(...page.map((run) => run.id));
          const last = page.at(-1);
          if (page.length < 4 || last === undefined) break;
          after = { createdAtMs: last.createdAtMs, id: last.id };
        }
        expect(seen).toEqual(["p8", "p7", "p6", "p5", "p4", "p3", "p2", "p1", "p0"]);
      }
    });
  });
}
