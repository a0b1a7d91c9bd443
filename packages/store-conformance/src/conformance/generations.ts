// Conformance: versioned runs (claims, due times, retries and the registry by name and version) and generations
// (a commit that continues a run as new, and reading earlier generations' events).
import { LeaseLostError } from "@reprise/core";
import { describe, expect, it } from "vitest";
import {
  encoded,
  Harness,
  OWNER_A,
  OWNER_B,
  records,
  startedRecord,
  T0,
  WORKFLOW,
  type ConformanceContext,
} from "./harness.js";

export function describeVersionsAndGenerations(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  /** Creates a run of WORKFLOW that started on `version`. */
  const createVersioned = async (harness: Harness, id: string, version: number) => {
    const started = startedRecord(WORKFLOW, { id }, T0);
    const { run } = await harness.store.createRun({
      id,
      workflow: WORKFLOW,
      version,
      input: started.input,
      startedEvent: started.event,
      nowMs: T0,
    });
    return run;
  };

  describe("versions", () => {
    it("a run keeps the version it was created with; listRuns filters by it", async () => {
      const harness = h();
      expect((await createVersioned(harness, "v1", 1)).version).toBe(1);
      expect((await createVersioned(harness, "v2", 2)).version).toBe(2);
      expect((await harness.create("plain")).version).toBe(1);
      expect((await harness.run("v2")).version).toBe(2);
      const listed = await harness.store.listRuns({ version: 2, limit: 10 });
      expect(listed.map((run) => run.id)).toEqual(["v2"]);
      expect((await harness.store.listRuns({ version: 1, limit: 10 })).map((run) => run.id).sort()).toEqual([
        "plain",
        "v1",
      ]);
    });

    it("claims, next due times, retries and parked runs match name and version together", async () => {
      const harness = h();
      const { store } = harness;
      await createVersioned(harness, "v1", 1);
      await createVersioned(harness, "v2", 2);
      const v2 = [{ name: WORKFLOW, version: 2 }];
      expect(await store.nextDueAtMs([{ name: WORKFLOW, version: 3 }])).toBeUndefined();
      expect(await store.nextDueAtMs(v2)).toBe(T0);
      const claimed = await store.claimDueRuns({ owner: OWNER_A, nowMs: T0, leaseMs: 1_000, limit: 10, workflows: v2 });
      expect(claimed.map((run) => run.id)).toEqual(["v2"]);
      await harness.block("v2", T0 + 1);
      expect(await store.retryBlockedRuns([{ name: WORKFLOW, version: 1 }], T0 + 2)).toBe(0);
      expect(await store.retryBlockedRuns(v2, T0 + 2)).toBe(1);
      const v1 = [{ name: WORKFLOW, version: 1 }];
      expect((await harness.claimIds(OWNER_B, T0 + 3, { workflows: [WORKFLOW] })).sort()).toEqual(["v1"]);
      await harness.parkSleeping("v1", T0 + 4, T0 + 10_000, OWNER_B);
      expect((await store.parkedRuns(v2, 0, 10)).runs).toEqual([]);
      expect((await store.parkedRuns(v1, 0, 10)).runs.map((run) => run.id)).toEqual(["v1"]);
    });

    it("remembers when an engine last served each version; without a version, the latest of any", async () => {
      const { store } = ctx.target();
      await store.registerWorkflows([{ name: WORKFLOW, version: 1 }], T0);
      await store.registerWorkflows([{ name: WORKFLOW, version: 2 }], T0 + 5);
      expect(await store.workflowLastSeenAtMs(WORKFLOW, 1)).toBe(T0);
      expect(await store.workflowLastSeenAtMs(WORKFLOW, 2)).toBe(T0 + 5);
      expect(await store.workflowLastSeenAtMs(WORKFLOW, 3)).toBeUndefined();
      expect(await store.workflowLastSeenAtMs(WORKFLOW)).toBe(T0 + 5);
    });
  });

  describe("continueAsNew commits", () => {
    /** Continues held run `id` as new with `input`, ending its generation after `events`. */
    const continueAsNew = async (harness: Harness, id: string, input: unknown, nowMs: number) => {
      const started = startedRecord(WORKFLOW, input, nowMs);
      return harness.commit(id, {
        events: [
          { type: "step_completed", name: "a", attempt: 1, result: 1 },
          { type: "run_continued", input },
        ],
        update: { status: "pending", release: true, wake: { atMs: nowMs } },
        nowMs,
        continueAsNew: { input: started.input, startedEvent: started.event },
      });
    };

    it("start the next generation in the same write and keep the earlier one readable by number", async () => {
      const harness = h();
      await harness.createClaimed("loop");
      const ended = await continueAsNew(harness, "loop", { round: 2 }, T0 + 1);
      const run = await harness.run("loop");
      expect(run).toMatchObject({ generation: 2, lastSeq: 1, status: "pending", input: encoded({ round: 2 }) });
      expect(await harness.store.readEvents("loop")).toEqual([startedRecord(WORKFLOW, { round: 2 }, T0 + 1).event]);
      expect(await harness.store.readEvents("loop", 0, 2)).toEqual(await harness.store.readEvents("loop"));
      const first = await harness.store.readEvents("loop", 0, 1);
      expect(first.map((event) => event.seq)).toEqual([1, 2, 3]);
      expect(first.slice(1)).toEqual(ended);
      expect(await harness.store.readEvents("loop", 1, 1)).toEqual(ended);
      expect(await harness.store.readEvents("loop", 0, 3)).toEqual([]);
      expect(await harness.store.readEvents("no-such-run", 0, 1)).toEqual([]);
      // Due at once, claimable like a new run; its next commit counts from seq 1.
      expect(await harness.claimIds(OWNER_B, T0 + 2)).toEqual(["loop"]);
      await harness.recordStep("loop", T0 + 3, OWNER_B);
      expect((await harness.run("loop")).lastSeq).toBe(2);
    });

    it("keep the run's unconsumed signals for the next generation", async () => {
      const harness = h();
      await harness.createClaimed("loop");
      await harness.signal("loop", "tick", "early", T0 + 1);
      await continueAsNew(harness, "loop", { round: 2 }, T0 + 2);
      expect((await harness.store.nextSignal("loop", "tick", 0))?.payload).toBe(encoded("early"));
    });

    it("write nothing when the expected last seq is stale", async () => {
      const harness = h();
      await harness.createClaimed("loop");
      const started = startedRecord(WORKFLOW, "next", T0 + 1);
      await expect(
        harness.store.commit({
          runId: "loop",
          owner: OWNER_A,
          expectedLastSeq: 5,
          events: records(5, [{ type: "run_continued", input: "next" }], T0 + 1),
          consumedSignals: [],
          update: { status: "pending", release: true, wake: { atMs: T0 + 1 } },
          nowMs: T0 + 1,
          continueAsNew: { input: started.input, startedEvent: started.event },
        }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      expect(await harness.run("loop")).toMatchObject({ generation: 1, lastSeq: 1, status: "running" });
      expect(await harness.store.readEvents("loop", 0, 1)).toHaveLength(1);
    });
  });
}
