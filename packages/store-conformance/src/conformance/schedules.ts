// Conformance: schedules (createSchedule, getSchedule, listSchedules, updateSchedule, deleteSchedule, dueSchedules,
// nextScheduleFireAtMs). Checks the Store contract only: stored state, the compare-and-set, and runs created with it.
import type { NewRun, NewSchedule, ScheduleState } from "@reprise/core";
import { describe, expect, it } from "vitest";
import {
  encoded,
  expectCode,
  Harness,
  OTHER_WORKFLOW,
  startedRecord,
  T0,
  WORKFLOW,
  type ConformanceContext,
} from "./harness.js";

const HOUR_MS = 3_600_000;

/** A schedule's state as an engine writes it. */
function state(overrides: Partial<ScheduleState> = {}): ScheduleState {
  return {
    workflow: WORKFLOW,
    input: encoded({ report: "daily" }),
    cron: "0 3 * * *",
    timezone: "Europe/Berlin",
    overlap: "skip",
    catchUp: "latest",
    catchUpLimit: 100,
    paused: false,
    nextFireAtMs: T0 + 2 * HOUR_MS,
    ...overrides,
  };
}

function newSchedule(id: string, overrides: Partial<ScheduleState> = {}, nowMs = T0): NewSchedule {
  return { id, ...state(overrides), nowMs };
}

/** A run a firing starts. */
function newRun(id: string, workflow = WORKFLOW, nowMs = T0): NewRun {
  const started = startedRecord(workflow, { id }, nowMs);
  return { id, workflow, input: started.input, startedEvent: started.event, nowMs };
}

export function describeSchedules(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("schedules", () => {
    it("stores a new schedule with revision 1 and reads it back field for field", async () => {
      const { store } = h();
      const given = newSchedule("nightly", { bufferedFireAtMs: T0 + 5, lastRunId: "r-1", lastFireAtMs: T0 + 1 });
      const { created, schedule } = await store.createSchedule(given);
      const { nowMs: _nowMs, ...fields } = given;
      expect(created).toBe(true);
      expect(schedule).toEqual({ ...fields, revision: 1, createdAtMs: T0, updatedAtMs: T0 });
      expect(await store.getSchedule("nightly")).toEqual(schedule);
      expect(await store.getSchedule("missing")).toBeUndefined();
    });

    it("keeps optional fields absent as undefined", async () => {
      const { store } = h();
      await store.createSchedule(newSchedule("paused", { paused: true, nextFireAtMs: undefined }));
      const stored = await store.getSchedule("paused");
      expect(stored?.paused).toBe(true);
      expect(stored?.nextFireAtMs).toBeUndefined();
      expect(stored?.bufferedFireAtMs).toBeUndefined();
      expect(stored?.lastRunId).toBeUndefined();
      expect(stored?.lastFireAtMs).toBeUndefined();
    });

    it("leaves an existing schedule unchanged when its id is created again (created: false)", async () => {
      const { store } = h();
      const first = await store.createSchedule(newSchedule("nightly"));
      const again = await store.createSchedule(newSchedule("nightly", { cron: "0 4 * * *" }, T0 + 10));
      expect(again).toEqual({ created: false, schedule: first.schedule });
    });

    it("lists schedules in code-point order of id, after a cursor, at most limit", async () => {
      const { store } = h();
      for (const id of ["b", "a", "B", "ä", "a-2"]) await store.createSchedule(newSchedule(id));
      const all = await store.listSchedules(undefined, 10);
      expect(all.map((s) => s.id)).toEqual(["B", "a", "a-2", "b", "ä"]);
      expect((await store.listSchedules("a", 2)).map((s) => s.id)).toEqual(["a-2", "b"]);
      expect(await store.listSchedules("ä", 10)).toEqual([]);
      expect(await store.listSchedules(undefined, 0)).toEqual([]);
    });

    it("applies an update at the expected revision: new state, revision + 1, updatedAtMs, runs created with it", async () => {
      const harness = h();
      const { store } = harness;
      await store.createSchedule(newSchedule("nightly"));
      const next = state({ nextFireAtMs: T0 + 26 * HOUR_MS, lastRunId: "nightly@1", lastFireAtMs: T0 + 2 * HOUR_MS });
      const result = await store.updateSchedule({
        id: "nightly",
        expectedRevision: 1,
        state: next,
        startRuns: [newRun("nightly@1")],
        nowMs: T0 + 2 * HOUR_MS,
      });
      expect(result.applied).toBe(true);
      expect(result.schedule).toEqual({
        id: "nightly",
        ...next,
        revision: 2,
        createdAtMs: T0,
        updatedAtMs: T0 + 2 * HOUR_MS,
      });
      expect(result.runs.map((r) => [r.created, r.run.id, r.run.status])).toEqual([[true, "nightly@1", "pending"]]);
      expect(await store.getSchedule("nightly")).toEqual(result.schedule);
      expect((await harness.run("nightly@1")).workflow).toBe(WORKFLOW);
      expect(await harness.claimIds("engine-a", T0 + 2 * HOUR_MS)).toEqual(["nightly@1"]);
    });

    it("writes nothing for an update at a stale revision and answers the current schedule", async () => {
      const { store } = h();
      await store.createSchedule(newSchedule("nightly"));
      const first = await store.updateSchedule({
        id: "nightly",
        expectedRevision: 1,
        state: state({ cron: "1 3 * * *" }),
        nowMs: T0 + 1,
      });
      const stale = await store.updateSchedule({
        id: "nightly",
        expectedRevision: 1,
        state: state({ cron: "2 3 * * *" }),
        startRuns: [newRun("nightly@stale")],
        nowMs: T0 + 2,
      });
      expect(stale).toEqual({ applied: false, schedule: first.schedule, runs: [] });
      expect(await store.getRun("nightly@stale")).toBeUndefined();
      expect((await store.getSchedule("nightly"))?.cron).toBe("1 3 * * *");
    });

    it("lets exactly one of two concurrent updates at the same revision apply", async () => {
      const { store } = h();
      await store.createSchedule(newSchedule("nightly"));
      const attempts = await Promise.all(
        ["a", "b"].map((engine) =>
          store.updateSchedule({
            id: "nightly",
            expectedRevision: 1,
            state: state({ lastRunId: `nightly@${engine}` }),
            startRuns: [newRun(`nightly@${engine}`)],
            nowMs: T0 + 1,
          }),
        ),
      );
      expect(attempts.filter((attempt) => attempt.applied)).toHaveLength(1);
      const created = (await Promise.all(["a", "b"].map((e) => store.getRun(`nightly@${e}`)))).filter(Boolean);
      expect(created).toHaveLength(1);
      expect((await store.getSchedule("nightly"))?.revision).toBe(2);
    });

    it("answers applied: false without a schedule for an unknown id, and creates none of its runs", async () => {
      const { store } = h();
      const result = await store.updateSchedule({
        id: "missing",
        expectedRevision: 1,
        state: state(),
        startRuns: [newRun("missing@1")],
        nowMs: T0,
      });
      expect(result).toEqual({ applied: false, schedule: undefined, runs: [] });
      expect(await store.getRun("missing@1")).toBeUndefined();
    });

    it("leaves an existing run as it is (created: false) and still applies the update", async () => {
      const harness = h();
      const existing = await harness.create("nightly@1");
      await harness.store.createSchedule(newSchedule("nightly"));
      const result = await harness.store.updateSchedule({
        id: "nightly",
        expectedRevision: 1,
        state: state({ lastRunId: "nightly@1" }),
        startRuns: [newRun("nightly@1")],
        nowMs: T0 + 5,
      });
      expect(result.applied).toBe(true);
      expect(result.runs).toEqual([{ created: false, run: existing }]);
    });

    it("throws RunIdConflictError for a run id another workflow has, and writes nothing", async () => {
      const harness = h();
      await harness.create("nightly@1", { workflow: OTHER_WORKFLOW });
      await harness.store.createSchedule(newSchedule("nightly"));
      await expectCode(
        harness.store.updateSchedule({
          id: "nightly",
          expectedRevision: 1,
          state: state({ lastRunId: "nightly@2" }),
          startRuns: [newRun("nightly@2"), newRun("nightly@1")],
          nowMs: T0 + 5,
        }),
        "RUN_ID_CONFLICT",
      );
      expect(await harness.store.getRun("nightly@2")).toBeUndefined();
      expect((await harness.store.getSchedule("nightly"))?.revision).toBe(1);
    });

    it("deletes a schedule (answering whether it existed) and keeps the runs it started", async () => {
      const harness = h();
      await harness.store.createSchedule(newSchedule("nightly"));
      await harness.store.updateSchedule({
        id: "nightly",
        expectedRevision: 1,
        state: state(),
        startRuns: [newRun("nightly@1")],
        nowMs: T0,
      });
      expect(await harness.store.deleteSchedule("nightly")).toBe(true);
      expect(await harness.store.deleteSchedule("nightly")).toBe(false);
      expect(await harness.store.getSchedule("nightly")).toBeUndefined();
      expect(await harness.store.getRun("nightly@1")).toBeDefined();
    });

    it("reports as due the unpaused schedules of the given workflows whose fire time came, or with a buffered fire", async () => {
      const { store } = h();
      await store.createSchedule(newSchedule("later", { nextFireAtMs: T0 + 3 * HOUR_MS }));
      await store.createSchedule(newSchedule("due-2", { nextFireAtMs: T0 + 2 * HOUR_MS }));
      await store.createSchedule(newSchedule("due-1", { nextFireAtMs: T0 + HOUR_MS }));
      await store.createSchedule(newSchedule("due-1b", { nextFireAtMs: T0 + HOUR_MS }));
      await store.createSchedule(newSchedule("buffered", { nextFireAtMs: undefined, bufferedFireAtMs: T0 }));
      await store.createSchedule(newSchedule("paused", { paused: true, nextFireAtMs: T0 }));
      await store.createSchedule(newSchedule("other", { workflow: OTHER_WORKFLOW, nextFireAtMs: T0 }));
      const due = await store.dueSchedules([WORKFLOW], T0 + 2 * HOUR_MS, 10);
      expect(due.map((s) => s.id)).toEqual(["due-1", "due-1b", "due-2", "buffered"]);
      expect((await store.dueSchedules([WORKFLOW], T0 + 2 * HOUR_MS, 2)).map((s) => s.id)).toEqual(["due-1", "due-1b"]);
      expect((await store.dueSchedules([OTHER_WORKFLOW, WORKFLOW], T0, 10)).map((s) => s.id)).toEqual([
        "other",
        "buffered",
      ]);
      expect(await store.dueSchedules([], T0 + 5 * HOUR_MS, 10)).toEqual([]);
    });

    it("answers the earliest next fire time of the unpaused schedules of the given workflows", async () => {
      const { store } = h();
      expect(await store.nextScheduleFireAtMs([WORKFLOW])).toBeUndefined();
      await store.createSchedule(newSchedule("later", { nextFireAtMs: T0 + 3 * HOUR_MS }));
      await store.createSchedule(newSchedule("paused", { paused: true, nextFireAtMs: T0 }));
      await store.createSchedule(newSchedule("other", { workflow: OTHER_WORKFLOW, nextFireAtMs: T0 + 1 }));
      await store.createSchedule(newSchedule("done", { nextFireAtMs: undefined }));
      expect(await store.nextScheduleFireAtMs([WORKFLOW])).toBe(T0 + 3 * HOUR_MS);
      expect(await store.nextScheduleFireAtMs([WORKFLOW, OTHER_WORKFLOW])).toBe(T0 + 1);
      expect(await store.nextScheduleFireAtMs([])).toBeUndefined();
    });

    it("keeps schedules when the store is closed and opened again", async ({ skip }) => {
      const target = ctx.target();
      if (target.reopen === undefined) return skip("the target has no reopen()");
      const { schedule } = await target.store.createSchedule(newSchedule("nightly"));
      await target.store.close();
      const reopened = await target.reopen();
      expect(await reopened.getSchedule("nightly")).toEqual(schedule);
      expect(await reopened.nextScheduleFireAtMs([WORKFLOW])).toBe(schedule.nextFireAtMs);
    });
  });
}
