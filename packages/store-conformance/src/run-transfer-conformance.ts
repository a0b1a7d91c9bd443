// describeRunTransferConformance: the behavioural suite of exportRuns / importRuns (`reprise copy`) for any store.
// Runs are written through the Store interface into one store, moved into a second one, and compared there.
import type { RunExport, RunExporter, RunImporter, RunRecord, Store } from "@reprise/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  encoded,
  expectCode,
  Harness,
  LONG_LEASE_MS,
  OWNER_A,
  OWNER_B,
  served,
  startedRecord,
  T0,
  WORKFLOW,
} from "./conformance/harness.js";

/** A store that runs can be moved out of and into. */
export type TransferStore = Store & RunExporter & RunImporter;

/**
 * What `makeStore` of `describeRunTransferConformance` returns: a fresh, empty store. The suite asks for two per
 * test (a source and a target) and cleans both up.
 *
 * @example
 * const target: RunTransferConformanceTarget = { store, cleanup: () => store.close() };
 */
export interface RunTransferConformanceTarget {
  readonly store: TransferStore;
  readonly cleanup: () => Promise<void>;
}

/**
 * Declares the suite of RunExporter and RunImporter for one store implementation: what a run looks like after it
 * was moved (record, every generation's events, inbox, blocked episodes, due time), that a move never carries a
 * lease, and that an import is all or nothing. Call it at the top level of a test file.
 *
 * @example
 * describeRunTransferConformance("SqliteStore", async () => {
 *   const store = await SqliteStore.open({ filename: ":memory:" });
 *   return { store, cleanup: () => store.close() };
 * });
 */
export function describeRunTransferConformance(
  name: string,
  makeStore: () => Promise<RunTransferConformanceTarget>,
): void {
  describe(`RunExporter/RunImporter conformance: ${name}`, () => {
    let opened: RunTransferConformanceTarget[] = [];
    let source: TransferStore;
    let target: TransferStore;

    beforeEach(async () => {
      opened = [await makeStore(), await makeStore()];
      source = (opened[0] as RunTransferConformanceTarget).store;
      target = (opened[1] as RunTransferConformanceTarget).store;
    });

    afterEach(async () => {
      for (const done of opened.splice(0)) await done.cleanup();
    });

    /** Every run of `store`, page by page. */
    const exportAll = async (store: TransferStore, limit = 2): Promise<RunExport[]> => {
      const runs: RunExport[] = [];
      let page = await store.exportRuns(undefined, limit);
      runs.push(...page.runs);
      while (page.next !== undefined) {
        page = await store.exportRuns(page.next, limit);
        runs.push(...page.runs);
      }
      return runs;
    };

    /** The workflow of a run the variety holds: one per run, so that claiming one never takes another. */
    const own = (id: string) => `conformance-${id}`;
    const HELD = ["b-sleeping", "c-waiting", "d-completed", "e-blocked", "f-continued", "g-parent"];
    /** Every workflow the variety's runs belong to. */
    const ALL = served(WORKFLOW, ...HELD.map(own));

    /** Writes one run in each state a store keeps, one ms apart, into the source. */
    const writeVariety = async (): Promise<void> => {
      const h = new Harness(source);
      const hold = (id: string, nowMs: number) => h.createClaimed(id, { nowMs, workflow: own(id) });
      await h.create("a-pending", { nowMs: T0 });
      await hold("b-sleeping", T0 + 1);
      await h.recordStep("b-sleeping", T0 + 2);
      await h.parkSleeping("b-sleeping", T0 + 3, T0 + 60_000);
      await hold("c-waiting", T0 + 4);
      await h.signal("c-waiting", "first", { n: 1 }, T0 + 5, "sig-1");
      const first = await source.nextSignal("c-waiting", "first", 0);
      await h.commit("c-waiting", {
        events: [{ type: "signal_received", name: "first", signalId: "sig-1", payload: { n: 1 } }],
        consumedSignals: [{ position: first?.position ?? -1, seq: 2 }],
        update: { status: "running", release: false },
        nowMs: T0 + 6,
      });
      await h.parkWaiting("c-waiting", T0 + 7, "second", T0 + 90_000);
      await h.signal("c-waiting", "other", "kept", T0 + 8, "sig-2");
      await hold("d-completed", T0 + 9);
      await h.complete("d-completed", T0 + 10, { total: 42 });
      await hold("e-blocked", T0 + 11);
      await h.block("e-blocked", T0 + 12);
      await hold("f-continued", T0 + 13);
      const next = startedRecord(WORKFLOW, { round: 2 }, T0 + 14);
      await h.commit("f-continued", {
        events: [
          { type: "step_completed", name: "a", attempt: 1, result: 1 },
          { type: "run_continued", input: { round: 2 } },
        ],
        update: { status: "pending", release: true, wake: { atMs: T0 + 14 } },
        nowMs: T0 + 14,
        continueAsNew: { input: next.input, startedEvent: next.event },
      });
      await hold("g-parent", T0 + 15);
      await h.commit("g-parent", {
        events: [{ type: "child_started", childId: "g-parent/2", workflow: WORKFLOW }],
        update: { status: "running", release: false },
        nowMs: T0 + 16,
        startChildren: [h.childRun("g-parent/2", "g-parent", T0 + 16, "cancel")],
      });
      // A delayed start in a queue, with a key and a priority.
      const queued = startedRecord(WORKFLOW, { id: "h-queued" }, T0 + 17);
      await source.createRun({
        id: "h-queued",
        workflow: WORKFLOW,
        input: queued.input,
        startedEvent: queued.event,
        nowMs: T0 + 17,
        queue: "imports",
        queueKey: "customer-7",
        priority: 5,
        dueAtMs: T0 + 50_000,
        tags: { customer: "7", plan: "pro" },
      });
    };

    it("moves every run with its record, events of every generation, inbox and blocked episodes", async () => {
      await writeVariety();
      const exported = await exportAll(source);
      expect(exported.map((run) => run.record.id)).toEqual([
        "a-pending",
        "b-sleeping",
        "c-waiting",
        "d-completed",
        "e-blocked",
        "f-continued",
        "g-parent",
        "g-parent/2",
        "h-queued",
      ]);
      expect(exported.at(-1)?.record).toMatchObject({
        queue: "imports",
        queueKey: "customer-7",
        priority: 5,
        tags: { customer: "7", plan: "pro" },
      });
      await target.importRuns(exported);
      const moved = await exportAll(target, 3);
      // g-parent holds a live lease on the source (it is still running there); a move never carries one.
      expect(moved).toEqual(exported.map((run) => ({ ...run, liveLease: undefined })));
      for (const run of exported) {
        expect(await target.getRun(run.record.id)).toEqual(await source.getRun(run.record.id));
        expect(await target.readEvents(run.record.id)).toEqual(await source.readEvents(run.record.id));
        expect(await target.blockedEpisodes(run.record.id)).toEqual(await source.blockedEpisodes(run.record.id));
      }
      expect(await target.readEvents("f-continued", 0, 1)).toEqual(await source.readEvents("f-continued", 0, 1));
      expect((await target.readEvents("f-continued", 0, 1)).map((event) => event.type)).toEqual([
        "run_started",
        "step_completed",
        "run_continued",
      ]);
      expect(await target.pendingSignals("c-waiting", 10)).toMatchObject([{ signalId: "sig-2", name: "other" }]);
      expect(await target.childrenOf("g-parent", 10)).toEqual(["g-parent/2"]);
      // Tag filters find moved runs by their tags (the index rows came along).
      const tagged = await target.listRuns({ tags: { customer: "7" }, limit: 10 });
      expect(tagged.map((run) => run.id)).toEqual(["h-queued"]);
      expect((await target.countRuns({ tags: { plan: "pro" }, queue: "imports" })).pending).toBe(1);
    });

    it("exports a page at a time, oldest first, and validates the limit", async () => {
      const h = new Harness(source);
      for (let i = 0; i < 5; i++) await h.create(`r${i}`, { nowMs: T0 + (i % 2) });
      const first = await source.exportRuns(undefined, 3);
      expect(first.runs.map((run) => run.record.id)).toEqual(["r0", "r2", "r4"]);
      const second = await source.exportRuns(first.next, 3);
      expect(second.runs.map((run) => run.record.id)).toEqual(["r1", "r3"]);
      expect(second.next).toBeUndefined();
      await expectCode(source.exportRuns(undefined, 0), "INVALID_ARGUMENT");
    });

    it("moved runs are scheduled on the target as they were on the source", async () => {
      await writeVariety();
      // The target already knows another queue, so its claims walk queues by name: the moved run's queue too.
      const elsewhere = startedRecord(WORKFLOW, { id: "later" }, T0);
      await target.createRun({
        id: "later",
        workflow: WORKFLOW,
        input: elsewhere.input,
        startedEvent: elsewhere.event,
        nowMs: T0,
        queue: "emails",
        dueAtMs: T0 + 10 * LONG_LEASE_MS,
      });
      await target.importRuns(await exportAll(source));
      const workflows = ALL;
      expect(await target.nextDueAtMs(workflows)).toBe(await source.nextDueAtMs(workflows));
      // No lease came along: g-parent, still running on the source, is free on the target once it is due.
      const claimed = await target.claimDueRuns({
        owner: OWNER_B,
        nowMs: T0 + 20,
        // Outlasts the later claim below, on a store that judges leases by the nowMs it is given.
        leaseMs: 10 * LONG_LEASE_MS,
        limit: 100,
        workflows,
      });
      expect(claimed.map((run) => run.id).sort()).toEqual(["a-pending", "f-continued", "g-parent", "g-parent/2"]);
      // The waiting run's timeout and the sleeping run's timer still wake them.
      const later = await target.claimDueRuns({
        owner: OWNER_B,
        nowMs: T0 + 90_000,
        leaseMs: LONG_LEASE_MS,
        limit: 100,
        workflows,
      });
      expect(later.map((run) => run.id).sort()).toEqual(["b-sleeping", "c-waiting", "h-queued"]);
    });

    it("a moved run's inbox de-duplicates by signal id and wakes it as before", async () => {
      await writeVariety();
      await target.importRuns(await exportAll(source));
      const h = new Harness(target);
      expect(await h.signal("c-waiting", "first", { n: 1 }, T0 + 30, "sig-1")).toEqual({ duplicate: true });
      expect(await target.nextSignal("c-waiting", "first", 0)).toBeUndefined();
      expect(await h.signal("c-waiting", "second", "go", T0 + 31, "sig-3")).toEqual({ duplicate: false });
      const claimed = await target.claimDueRuns({
        owner: OWNER_A,
        nowMs: T0 + 32,
        leaseMs: LONG_LEASE_MS,
        limit: 100,
        workflows: ALL,
      });
      expect(claimed.map((run) => run.id)).toContain("c-waiting");
    });

    it("a moved run that ended is in the target's order of endings", async () => {
      await writeVariety();
      const before = await target.finishedRunsSince(0, 0);
      await target.importRuns(await exportAll(source));
      const endings = await target.finishedRunsSince(before.cursor, 10);
      expect(endings.runs.map((run) => run.runId)).toEqual(["d-completed"]);
      expect(endings.runs[0]?.outcome).toMatchObject({ status: "completed", result: encoded({ total: 42 }) });
    });

    it("reports a live lease on export, and none once the lease is released", async () => {
      const h = new Harness(source);
      await h.createClaimed("held", { nowMs: Date.now(), leaseMs: LONG_LEASE_MS });
      const [held] = (await source.exportRuns(undefined, 10)).runs;
      expect(held?.liveLease).toMatchObject({ owner: OWNER_A });
      await source.releaseLeases(OWNER_A, ["held"], Date.now());
      const [released] = (await source.exportRuns(undefined, 10)).runs;
      expect(released?.liveLease).toBeUndefined();
    });

    it("refuses runs whose ids the target holds, writing none of them", async () => {
      await writeVariety();
      const exported = await exportAll(source);
      await new Harness(target).create("c-waiting", { nowMs: T0 });
      expect(await target.existingRunIds(["zz", "c-waiting", "a-pending"])).toEqual(["c-waiting"]);
      await expectCode(target.importRuns(exported), "RUNS_ALREADY_EXIST");
      const left: RunRecord[] = await target.listRuns({ limit: 100 });
      expect(left.map((run) => run.id)).toEqual(["c-waiting"]);
      expect(await target.readEvents("c-waiting")).toHaveLength(1);
      expect(await target.getRun("a-pending")).toBeUndefined();
    });
  });
}
