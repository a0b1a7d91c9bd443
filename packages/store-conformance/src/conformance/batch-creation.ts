// Conformance: creating many runs in one atomic write (createRuns), with createRun's idempotency per id.
// Checks only what the Store interface promises: order of answers, all-or-nothing on a conflict, leases as createRun.
import { describe, expect, it } from "vitest";
import {
  expectCode,
  Harness,
  RealTime,
  SHORT_LEASE_MS,
  OTHER_WORKFLOW,
  OWNER_A,
  OWNER_B,
  startedRecord,
  T0,
  WORKFLOW,
  type ConformanceContext,
} from "./harness.js";
import type { NewRun } from "@reprise/core";

/** A createRuns item as an engine writes it. */
function newRun(id: string, options: { workflow?: string; input?: unknown; nowMs?: number } = {}): NewRun {
  const { workflow = WORKFLOW, input = { id }, nowMs = T0 } = options;
  const started = startedRecord(workflow, input, nowMs);
  return { id, workflow, input: started.input, startedEvent: started.event, nowMs };
}

export function describeBatchCreation(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("createRuns", () => {
    it("creates every run with its run_started event and answers in the same order", async () => {
      const harness = h();
      const runs = ["b-2", "a-1", "c-3"].map((id) => newRun(id));
      const answers = await harness.store.createRuns(runs);
      expect(answers.map((answer) => [answer.created, answer.run.id, answer.run.status])).toEqual([
        [true, "b-2", "pending"],
        [true, "a-1", "pending"],
        [true, "c-3", "pending"],
      ]);
      for (const [index, run] of runs.entries()) {
        expect(await harness.store.getRun(run.id)).toEqual(answers[index]?.run);
        expect(await harness.store.readEvents(run.id)).toEqual([run.startedEvent]);
      }
      expect(await harness.claimIds(OWNER_A, T0)).toEqual(["a-1", "b-2", "c-3"]);
      expect(await harness.store.createRuns([])).toEqual([]);
    });

    it("gives an existing id of the same workflow back unchanged (created: false) and writes nothing for it", async () => {
      const harness = h();
      const existing = await harness.create("old", { input: "first" });
      const answers = await harness.store.createRuns([newRun("old", { input: "second" }), newRun("new")]);
      expect(answers[0]).toEqual({ created: false, run: existing });
      expect(answers[1]?.created).toBe(true);
      expect(await harness.store.readEvents("old")).toEqual([startedRecord(WORKFLOW, "first", T0).event]);
    });

    it("treats an id repeated in the list like a second createRun: the first one wins", async () => {
      const harness = h();
      const answers = await harness.store.createRuns([newRun("twice", { input: 1 }), newRun("twice", { input: 2 })]);
      expect(answers.map((answer) => answer.created)).toEqual([true, false]);
      expect(answers[1]?.run).toEqual(answers[0]?.run);
      expect((await harness.run("twice")).input).toBe(startedRecord(WORKFLOW, 1, T0).input);
      expect(await harness.store.readEvents("twice")).toHaveLength(1);
    });

    it("rejects with RUN_ID_CONFLICT and creates nothing when an id belongs to another workflow", async () => {
      const harness = h();
      await harness.create("taken", { workflow: OTHER_WORKFLOW });
      await expectCode(
        harness.store.createRuns([newRun("fresh-1"), newRun("taken"), newRun("fresh-2")]),
        "RUN_ID_CONFLICT",
      );
      expect(await harness.store.getRun("fresh-1")).toBeUndefined();
      expect(await harness.store.getRun("fresh-2")).toBeUndefined();
      await expectCode(
        harness.store.createRuns([newRun("dup"), newRun("dup", { workflow: OTHER_WORKFLOW })]),
        "RUN_ID_CONFLICT",
      );
      expect(await harness.store.getRun("dup")).toBeUndefined();
      expect((await harness.store.listRuns({ limit: 10 })).map((run) => run.id)).toEqual(["taken"]);
    });

    it("creates runs with a lease already claimed, as createRun does", async () => {
      const harness = h();
      const time = new RealTime();
      const lease = { owner: OWNER_A, leaseMs: SHORT_LEASE_MS };
      const answers = await harness.store.createRuns([{ ...newRun("held"), lease }, newRun("free")]);
      expect(answers.map((answer) => answer.run.status)).toEqual(["running", "pending"]);
      expect(await harness.claimIds(OWNER_B, time.now())).toEqual(["free"]);
      await harness.recordStep("held", time.now(), OWNER_A);
      expect(await harness.claimIds(OWNER_B, await time.pastLease())).toEqual(["held"]);
    });
  });
}
