// describeRunReaderConformance: the behavioural suite of the RunReader contract (what tools read), for any store.
// Runs are written through the Store interface, then read through the reader under test; no SQL or files here.
import {
  UNFINISHED_STATUSES,
  type RunPage,
  type RunPageQuery,
  type RunReader,
  type RunSummary,
  type Store,
} from "@reprise/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Harness,
  LONG_LEASE_MS,
  OTHER_WORKFLOW,
  OWNER_A,
  served,
  startedRecord,
  T0,
  WORKFLOW,
} from "./conformance/harness.js";

/** The workflow of runs a test claims: a claim takes every due run of its workflows, so the others stay apart. */
const HELD = "conformance-held";

/**
 * What `makeTarget` of `describeRunReaderConformance` returns for one test: an empty store to write through, and
 * how to get the reader under test on the same data.
 *
 * @example
 * const target: RunReaderConformanceTarget = { store, reader: async () => store, cleanup: () => store.close() };
 */
export interface RunReaderConformanceTarget {
  /** An empty store, used by one test to write the runs the reader then reads. */
  readonly store: Store;
  /**
   * The reader under test on the store's data, asked for after the test has written (the store itself when it
   * is a RunReader, or e.g. a read-only reader of the same file). The suite closes it unless it is `store`.
   */
  readonly reader: () => Promise<RunReader>;
  /** Closes every handle and deletes the data. Called after each test. */
  readonly cleanup: () => Promise<void>;
}

/**
 * Declares the RunReader conformance suite for one implementation. Call it at the top level of a test file.
 *
 * @example
 * describeRunReaderConformance("SqliteStore", async () => {
 *   const store = await SqliteStore.open({ filename: ":memory:" });
 *   return { store, reader: async () => store, cleanup: () => store.close() };
 * });
 */
export function describeRunReaderConformance(
  name: string,
  makeTarget: () => Promise<RunReaderConformanceTarget>,
): void {
  describe(`RunReader conformance: ${name}`, () => {
    let target: RunReaderConformanceTarget | undefined;
    const readers: RunReader[] = [];
    const current = () => {
      if (target === undefined) throw new Error("describeRunReaderConformance: the store is only available in a test.");
      return target;
    };
    const harness = () => new Harness(current().store);
    const read = async () => {
      const reader = await current().reader();
      if ((reader as unknown) !== current().store) readers.push(reader);
      return reader;
    };

    beforeEach(async () => {
      target = await makeTarget();
    });

    afterEach(async () => {
      for (const reader of readers.splice(0)) await reader.close();
      const done = target;
      target = undefined;
      await done?.cleanup();
    });

    /** Creates runs `prefix-00` … of WORKFLOW (or `workflow`), one ms apart, oldest first. */
    const createMany = async (prefix: string, count: number, workflow = WORKFLOW, version = 1) => {
      for (let i = 0; i < count; i++) {
        const id = `${prefix}-${String(i).padStart(2, "0")}`;
        const started = startedRecord(workflow, { id }, T0 + i);
        await current().store.createRun({
          id,
          workflow,
          version,
          input: started.input,
          startedEvent: started.event,
          nowMs: T0 + i,
        });
      }
    };

    /** Every run of a query, page by page. */
    const walk = async (reader: RunReader, query: Omit<RunPageQuery, "after">): Promise<RunSummary[][]> => {
      const pages: RunSummary[][] = [];
      let page: RunPage = await reader.runsPage(query);
      pages.push([...page.runs]);
      while (page.next !== undefined) {
        page = await reader.runsPage({ ...query, after: page.next });
        pages.push([...page.runs]);
        if (pages.length > 100) throw new Error("runsPage never ends");
      }
      return pages;
    };

    it("pages runs newest first with a keyset cursor, never skipping or repeating one", async () => {
      await createMany("r", 7);
      const reader = await read();
      const pages = await walk(reader, { limit: 3 });
      expect(pages.map((page) => page.map((run) => run.id))).toEqual([
        ["r-06", "r-05", "r-04"],
        ["r-03", "r-02", "r-01"],
        ["r-00"],
      ]);
      const first = await reader.runsPage({ limit: 7 });
      expect(first.next).toBeUndefined();
      expect(first.runs[0]).toMatchObject({
        id: "r-06",
        workflow: WORKFLOW,
        version: 1,
        generation: 1,
        status: "pending",
        cancelRequested: false,
        createdAtMs: T0 + 6,
      });
      expect(first.runs[0]).not.toHaveProperty("input");
    });

    it("keeps paging ties in one millisecond apart by id", async () => {
      for (const id of ["b", "a", "c", "d"]) await harness().create(id, { nowMs: T0 });
      const pages = await walk(await read(), { limit: 3 });
      expect(pages.flat().map((run) => run.id)).toEqual(["d", "c", "b", "a"]);
    });

    it("filters by statuses, workflow, version, parent and id text", async () => {
      const h = harness();
      await createMany("order", 3);
      await createMany("invoice", 2, OTHER_WORKFLOW);
      await createMany("v2order", 2, WORKFLOW, 2);
      await h.createClaimed("parent", { nowMs: T0 + 10, workflow: HELD });
      await h.commit("parent", {
        events: [{ type: "child_started", childId: "kid_1", workflow: WORKFLOW }],
        update: { status: "waiting", waitingFor: { kind: "child", id: "kid_1" }, release: true },
        nowMs: T0 + 11,
        startChildren: [h.childRun("kid_1", "parent", T0 + 11)],
      });
      await h.createClaimed("sleeper", { nowMs: T0 + 20, workflow: HELD });
      await h.parkSleeping("sleeper", T0 + 21, T0 + 1000);
      const reader = await read();
      const ids = async (query: Omit<RunPageQuery, "limit">) =>
        (await reader.runsPage({ ...query, limit: 50 })).runs.map((run) => run.id);
      expect(await ids({ workflow: OTHER_WORKFLOW })).toEqual(["invoice-01", "invoice-00"]);
      expect(await ids({ version: 2 })).toEqual(["v2order-01", "v2order-00"]);
      expect(await ids({ parent: "parent" })).toEqual(["kid_1"]);
      expect(await ids({ statuses: ["waiting", "sleeping"] })).toEqual(["sleeper", "parent"]);
      expect(await ids({ statuses: [] })).toEqual([]);
      expect(await ids({ idContains: "ORDER-0", workflow: WORKFLOW, version: 1 })).toEqual([
        "order-02",
        "order-01",
        "order-00",
      ]);
      // % and _ are literal text, not wildcards.
      expect(await ids({ idContains: "_" })).toEqual(["kid_1"]);
      expect(await ids({ idContains: "%" })).toEqual([]);
      const [sleeper] = (await reader.runsPage({ statuses: ["sleeping"], limit: 1 })).runs;
      expect(sleeper).toMatchObject({ waitingFor: { kind: "timer" }, wakeAtMs: T0 + 1000 });
      const [kid] = (await reader.runsPage({ parent: "parent", limit: 1 })).runs;
      expect(kid?.parentId).toBe("parent");
    });

    it("lists a run's queue, key and priority, and filters by queue", async () => {
      await createMany("plain", 1);
      for (const [id, key, priority] of [
        ["queued-a", "customer-1", 3],
        ["queued-b", undefined, undefined],
      ] as const) {
        const started = startedRecord(WORKFLOW, { id }, T0 + 5);
        await current().store.createRun({
          id,
          workflow: WORKFLOW,
          input: started.input,
          startedEvent: started.event,
          nowMs: T0 + 5,
          queue: "imports",
          queueKey: key,
          priority,
        });
      }
      const reader = await read();
      const { runs } = await reader.runsPage({ queue: "imports", limit: 10 });
      expect(runs.map((run) => [run.id, run.queue, run.queueKey, run.priority])).toEqual([
        ["queued-b", "imports", undefined, 0],
        ["queued-a", "imports", "customer-1", 3],
      ]);
      const all = await reader.runsPage({ limit: 10 });
      expect(all.runs.find((run) => run.id === "plain-00")).toMatchObject({ queue: undefined, priority: 0 });
    });

    it("refuses a limit that is not a whole number from 1", async () => {
      const reader = await read();
      await expect(reader.runsPage({ limit: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
      await expect(reader.unfinishedRuns(undefined, 1.5)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    });

    it("counts runs per status, of all workflows or one, and lists the workflows with runs", async () => {
      const h = harness();
      await createMany("order", 3);
      await createMany("invoice", 2, OTHER_WORKFLOW);
      await h.createClaimed("done", { nowMs: T0 + 10, workflow: HELD });
      await h.complete("done", T0 + 11);
      const reader = await read();
      expect(await reader.countRunsByStatus()).toEqual({
        pending: 5,
        running: 0,
        sleeping: 0,
        waiting: 0,
        completed: 1,
        failed: 0,
        cancelled: 0,
        blocked: 0,
      });
      expect((await reader.countRunsByStatus(OTHER_WORKFLOW)).pending).toBe(2);
      expect((await reader.countRunsByStatus("nothing")).pending).toBe(0);
      expect(await reader.workflowsWithRuns(10)).toEqual([HELD, OTHER_WORKFLOW, WORKFLOW].sort());
      expect(await reader.workflowsWithRuns(1)).toEqual([[HELD, OTHER_WORKFLOW, WORKFLOW].sort()[0]]);
    });

    it("pages and counts runs by tags and creation window, and shows each run's tags", async () => {
      const tagged = (id: string, nowMs: number, tags: Record<string, string>) => {
        const started = startedRecord(WORKFLOW, { id }, nowMs);
        return { id, workflow: WORKFLOW, input: started.input, startedEvent: started.event, nowMs, tags };
      };
      await current().store.createRuns([
        tagged("a", T0 + 1, { customer: "7", plan: "pro" }),
        tagged("b", T0 + 2, { customer: "7" }),
        tagged("c", T0 + 3, { customer: "8" }),
      ]);
      await harness().create("plain", { nowMs: T0 + 4 });
      const reader = await read();
      const page = await reader.runsPage({ tags: { customer: "7" }, limit: 1 });
      expect(page.runs.map((run) => [run.id, run.tags])).toEqual([["b", { customer: "7" }]]);
      const rest = await reader.runsPage({ tags: { customer: "7" }, limit: 1, after: page.next });
      expect(rest.runs.map((run) => run.id)).toEqual(["a"]);
      expect(rest.next).toBeUndefined();
      const window = await reader.runsPage({ createdAfterMs: T0 + 2, createdBeforeMs: T0 + 4, limit: 10 });
      expect(window.runs.map((run) => run.id)).toEqual(["c", "b"]);
      expect((await reader.runsPage({ idContains: "LAI", limit: 10 })).runs.map((run) => run.id)).toEqual(["plain"]);
      expect(await reader.countRuns({ tags: { customer: "7" } })).toMatchObject({ pending: 2, completed: 0 });
      expect((await reader.countRuns({ tags: { customer: "7", plan: "pro" } })).pending).toBe(1);
      expect((await reader.countRuns({ createdAfterMs: T0 + 3 })).pending).toBe(2);
      expect((await reader.countRuns({ statuses: [] })).pending).toBe(0);
    });

    it("walks the unfinished runs oldest first, page by page, with their versions", async () => {
      const h = harness();
      await createMany("a", 3);
      await createMany("b", 2, OTHER_WORKFLOW, 3);
      await h.createClaimed("ended", { nowMs: T0 + 10, workflow: HELD });
      await h.complete("ended", T0 + 11);
      await h.createClaimed("stuck", { nowMs: T0 + 20, workflow: HELD });
      await h.block("stuck", T0 + 21);
      const reader = await read();
      const seen: { id: string; version: number; status: string }[] = [];
      let page = await reader.unfinishedRuns(undefined, 2);
      for (;;) {
        for (const run of page.runs) seen.push({ id: run.id, version: run.version, status: run.status });
        if (page.next === undefined) break;
        page = await reader.unfinishedRuns(page.next, 2);
      }
      expect(seen.map((run) => run.id)).toEqual(["a-00", "b-00", "a-01", "b-01", "a-02", "stuck"]);
      expect(seen.find((run) => run.id === "b-01")?.version).toBe(3);
      expect(seen.at(-1)?.status).toBe("blocked");
      for (const run of seen) expect(UNFINISHED_STATUSES).toContain(run.status);
    });

    it("reads the kept generations and their events, blocked episodes and pending signals", async () => {
      const h = harness();
      await h.createClaimed("loop");
      const started = startedRecord(WORKFLOW, { round: 2 }, T0 + 1);
      await h.commit("loop", {
        events: [{ type: "run_continued", input: { round: 2 } }],
        update: { status: "pending", release: true, wake: { atMs: T0 + 1 } },
        nowMs: T0 + 1,
        continueAsNew: { input: started.input, startedEvent: started.event },
      });
      await h.create("plain");
      await h.signal("plain", "approve", true, T0 + 2);
      await h.createClaimed("stuck", { nowMs: T0 + 3, workflow: HELD });
      await h.block("stuck", T0 + 4);
      const reader = await read();
      expect(await reader.keptGenerations("loop")).toEqual([1]);
      expect(await reader.keptGenerations("plain")).toEqual([]);
      expect(await reader.keptGenerations("no-such-run")).toEqual([]);
      expect((await reader.readEvents("loop", 0, 1)).map((event) => event.type)).toEqual([
        "run_started",
        "run_continued",
      ]);
      expect(await reader.readEvents("loop")).toEqual([started.event]);
      expect((await reader.getRun("loop"))?.generation).toBe(2);
      expect(await reader.getRun("no-such-run")).toBeUndefined();
      expect((await reader.pendingSignals("plain", 10)).map((signal) => signal.name)).toEqual(["approve"]);
      const episodes = await reader.blockedEpisodes("stuck");
      expect(episodes).toHaveLength(1);
      expect(episodes[0]).toMatchObject({ blockedAtMs: T0 + 4, reason: "NonDeterminismError: conformance" });
    });

    it("names the highest version an engine has served of a workflow", async () => {
      await current().store.registerWorkflows(
        [
          { name: WORKFLOW, version: 1 },
          { name: WORKFLOW, version: 3 },
          { name: OTHER_WORKFLOW, version: 2 },
        ],
        T0,
      );
      const reader = await read();
      expect(await reader.highestServedVersion(WORKFLOW)).toBe(3);
      expect(await reader.highestServedVersion(OTHER_WORKFLOW)).toBe(2);
      expect(await reader.highestServedVersion("never-served")).toBeUndefined();
    });

    it("lists schedules in code-point order of id, after a cursor, as the Store's listSchedules does", async () => {
      for (const id of ["b-nightly", "a-hourly", "c-weekly"]) {
        await current().store.createSchedule({
          id,
          workflow: WORKFLOW,
          input: "{}",
          cron: "0 3 * * *",
          timezone: "UTC",
          overlap: "skip",
          catchUp: "latest",
          catchUpLimit: 100,
          paused: id === "c-weekly",
          nextFireAtMs: id === "c-weekly" ? undefined : T0 + 1,
          nowMs: T0,
        });
      }
      const reader = await read();
      const listed = await reader.listSchedules(undefined, 10);
      expect(listed).toEqual(await current().store.listSchedules(undefined, 10));
      expect(listed.map((schedule) => [schedule.id, schedule.paused, schedule.nextFireAtMs])).toEqual([
        ["a-hourly", false, T0 + 1],
        ["b-nightly", false, T0 + 1],
        ["c-weekly", true, undefined],
      ]);
      expect((await reader.listSchedules("a-hourly", 1)).map((schedule) => schedule.id)).toEqual(["b-nightly"]);
    });

    /** Creates a pending run of `workflow` in `queue`, due at `dueAtMs` when given (else at `nowMs`). */
    const createQueued = async (
      id: string,
      queue: string,
      options: { key?: string; priority?: number; nowMs?: number; dueAtMs?: number; workflow?: string } = {},
    ) => {
      const nowMs = options.nowMs ?? T0;
      const workflow = options.workflow ?? WORKFLOW;
      const started = startedRecord(workflow, { id }, nowMs);
      await current().store.createRun({
        id,
        workflow,
        input: started.input,
        startedEvent: started.event,
        nowMs,
        queue,
        queueKey: options.key,
        priority: options.priority,
        dueAtMs: options.dueAtMs,
      });
    };

    it("counts each queue's running, queued and delayed runs, its busiest keys and its recent starts", async () => {
      await createQueued("a1", "imports", { key: "acme", nowMs: T0 });
      await createQueued("a2", "imports", { key: "acme", nowMs: T0 + 1 });
      await createQueued("b1", "imports", { key: "beta", nowMs: T0 + 2 });
      await createQueued("a3", "imports", { key: "acme", priority: 5, nowMs: T0 + 3 });
      await createQueued("n1", "imports", { priority: 10, nowMs: T0 + 4 });
      await createQueued("later", "imports", { key: "acme", nowMs: T0 + 5, dueAtMs: T0 + 3_600_000 });
      // Another workflow, so that the claim below leaves them alone.
      await createQueued("e1", "email", { nowMs: T0 + 6, workflow: OTHER_WORKFLOW });
      await harness().create("plain", { nowMs: T0 + 7, workflow: OTHER_WORKFLOW });
      const claimed = await current().store.claimDueRuns({
        owner: OWNER_A,
        nowMs: T0 + 10,
        leaseMs: LONG_LEASE_MS,
        limit: 10,
        workflows: served(WORKFLOW),
        queues: { imports: { concurrency: 2, rateLimit: { limit: 100, periodMs: 60_000 } } },
      });
      expect(claimed.map((run) => run.id).sort()).toEqual(["a1", "a2"]);
      const reader = await read();
      const report = await reader.queueStats({ nowMs: T0 + 20, sinceMs: T0 });
      expect(report).toEqual({
        nowMs: T0 + 20,
        sinceMs: T0,
        more: false,
        queues: [
          { name: "email", running: 0, queued: 1, delayed: 0, startsSince: 0, keys: [] },
          {
            name: "imports",
            running: 2,
            queued: 3,
            delayed: 1,
            startsSince: 2,
            keys: [
              { key: "acme", running: 2, queued: 1 },
              { key: "beta", running: 0, queued: 1 },
            ],
          },
        ],
      });
      // Starts are counted strictly after sinceMs; a delayed run is queued once it is due.
      const later = await reader.queueStats({ nowMs: T0 + 3_600_000, sinceMs: T0 + 10, keysPerQueue: 1 });
      expect(later.queues[1]).toEqual({
        name: "imports",
        running: 2,
        queued: 4,
        delayed: 0,
        startsSince: 0,
        keys: [{ key: "acme", running: 2, queued: 2 }],
      });
      const first = await reader.queueStats({ nowMs: T0 + 20, limit: 1, keysPerQueue: 0 });
      expect(first).toMatchObject({ sinceMs: T0 + 20 - 60_000, more: true });
      expect(first.queues.map((queue) => [queue.name, queue.keys])).toEqual([["email", []]]);
    });

    it("counts a queue's sleeping run as queued only once it is due, and a finished run nowhere", async () => {
      await createQueued("nap", "imports", { key: "acme", nowMs: T0 });
      await createQueued("done", "imports", { key: "acme", nowMs: T0 + 1 });
      const claimed = await current().store.claimDueRuns({
        owner: OWNER_A,
        nowMs: T0 + 10,
        leaseMs: LONG_LEASE_MS,
        limit: 10,
        workflows: served(WORKFLOW),
      });
      expect(claimed.map((run) => run.id).sort()).toEqual(["done", "nap"]);
      await harness().parkSleeping("nap", T0 + 11, T0 + 1_000);
      await harness().complete("done", T0 + 12);
      const reader = await read();
      const asleep = await reader.queueStats({ nowMs: T0 + 500 });
      expect(asleep.queues).toEqual([{ name: "imports", running: 0, queued: 0, delayed: 0, startsSince: 0, keys: [] }]);
      const awake = await reader.queueStats({ nowMs: T0 + 1_000 });
      expect(awake.queues[0]).toMatchObject({
        running: 0,
        queued: 1,
        delayed: 0,
        keys: [{ key: "acme", running: 0, queued: 1 }],
      });
    });

    it("reports no queues on a store without any, and refuses malformed queueStats options", async () => {
      await harness().create("plain");
      const reader = await read();
      expect(await reader.queueStats({ nowMs: T0 })).toEqual({
        nowMs: T0,
        sinceMs: T0 - 60_000,
        queues: [],
        more: false,
      });
      await expect(reader.queueStats({ limit: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
      await expect(reader.queueStats({ keysPerQueue: -1 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
      await expect(reader.queueStats({ sinceMs: Number.NaN })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    });
  });
}
