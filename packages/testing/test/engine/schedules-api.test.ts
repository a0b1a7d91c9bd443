// engine.schedules: create (idempotent when identical), get, list with next fire times, pause, resume, trigger,
// update, delete; bad input is refused with a typed error and changes nothing; client-only engines manage, never fire.
import {
  InvalidArgumentError,
  ScheduleConflictError,
  ScheduleNotFoundError,
  UnencodableValueError,
  UnknownWorkflowError,
  createEngine,
  step,
  workflow,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { createTestEngine, type TestEngine } from "../../src/index.js";

const HOUR_MS = 3_600_000;
const START = Date.parse("2030-01-01T00:00:00Z");

const report = workflow("report", function* (input: { kind: string }) {
  return yield* step("render", () => `rendered ${input.kind}`);
});

const nightly = {
  id: "nightly-report",
  workflow: report,
  input: { kind: "nightly" },
  cron: "0 3 * * *",
  timezone: "Europe/Berlin",
  overlap: "skip",
  catchUp: "latest",
} as const;

async function runIds(t: TestEngine): Promise<string[]> {
  return (await t.listRuns({ limit: 1_000 })).map((run) => run.id).sort();
}

describe("engine.schedules", () => {
  it("create answers the schedule with its next fire time; get and list show it", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: START });
    try {
      const created = await t.engine.schedules.create(nightly);
      expect(created).toMatchObject({
        id: "nightly-report",
        workflow: "report",
        input: { kind: "nightly" },
        cron: "0 3 * * *",
        timezone: "Europe/Berlin",
        overlap: "skip",
        catchUp: "latest",
        catchUpLimit: 100,
        paused: false,
        nextFireAtMs: Date.parse("2030-01-01T02:00:00Z"),
      });
      await t.engine.schedules.create({ id: "a-hourly", workflow: "report", cron: "0 * * * *" });
      expect(await t.engine.schedules.get("nightly-report")).toEqual(created);
      expect(await t.engine.schedules.get("missing")).toBeUndefined();
      const listed = await t.engine.schedules.list();
      expect(listed.map((s) => [s.id, s.nextFireAtMs, s.timezone, s.overlap])).toEqual([
        ["a-hourly", START + HOUR_MS, "UTC", "skip"],
        ["nightly-report", START + 2 * HOUR_MS, "Europe/Berlin", "skip"],
      ]);
      expect((await t.engine.schedules.list({ after: "a-hourly", limit: 1 })).map((s) => s.id)).toEqual([
        "nightly-report",
      ]);
    } finally {
      await t.close();
    }
  });

  it("creating the same schedule again returns it (keeping a pause); other settings throw ScheduleConflictError", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: START });
    try {
      await t.engine.schedules.create(nightly);
      await t.engine.schedules.pause("nightly-report");
      const again = await t.engine.schedules.create(nightly);
      expect(again.paused).toBe(true);
      const conflict = t.engine.schedules.create({ ...nightly, cron: "0 4 * * *", overlap: "allowAll" });
      await expect(conflict).rejects.toBeInstanceOf(ScheduleConflictError);
      await expect(conflict).rejects.toThrow(/different cron, overlap/);
      expect((await t.engine.schedules.get("nightly-report"))?.cron).toBe("0 3 * * *");
    } finally {
      await t.close();
    }
  });

  it("pause stops firing; resume fires again from the next fire time, without the ones missed while paused", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: START });
    try {
      await t.engine.schedules.create({ id: "h", workflow: report, input: { kind: "h" }, cron: "0 * * * *" });
      await t.advance({ hours: 1 });
      expect(await runIds(t)).toEqual(["h@2030-01-01T01:00:00.000Z"]);
      const paused = await t.engine.schedules.pause("h");
      expect(paused).toMatchObject({ paused: true, nextFireAtMs: undefined });
      expect((await t.engine.schedules.pause("h")).paused).toBe(true);
      await t.advance({ hours: 3, minutes: 30 });
      expect(await runIds(t)).toEqual(["h@2030-01-01T01:00:00.000Z"]);
      const resumed = await t.engine.schedules.resume("h");
      expect(resumed).toMatchObject({ paused: false, nextFireAtMs: START + 5 * HOUR_MS });
      await t.advance({ hours: 1 });
      expect(await runIds(t)).toEqual(["h@2030-01-01T01:00:00.000Z", "h@2030-01-01T05:00:00.000Z"]);
    } finally {
      await t.close();
    }
  });

  it("trigger starts a run now, even while paused, without moving the fire times", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: START });
    try {
      await t.engine.schedules.create({ ...nightly, paused: true });
      await t.clock.advance({ minutes: 10 });
      const run = await t.engine.schedules.trigger("nightly-report");
      expect(run.id).toBe("nightly-report@manual-2030-01-01T00:10:00.000Z");
      expect(await run.result()).toBe("rendered nightly");
      const schedule = await t.engine.schedules.get("nightly-report");
      expect(schedule).toMatchObject({ paused: true, nextFireAtMs: undefined, lastRunId: run.id });
      await expect(t.engine.schedules.trigger("missing")).rejects.toBeInstanceOf(ScheduleNotFoundError);
    } finally {
      await t.close();
    }
  });

  it("update changes the cron expression (next fire time computed again) and the input of later runs", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: START });
    try {
      await t.engine.schedules.create(nightly);
      const updated = await t.engine.schedules.update("nightly-report", {
        cron: "30 5 * * *",
        input: { kind: "late" },
      });
      expect(updated).toMatchObject({
        cron: "30 5 * * *",
        input: { kind: "late" },
        nextFireAtMs: START + 4.5 * HOUR_MS,
      });
      await t.advance({ hours: 5 });
      const runs = await t.listRuns({ limit: 10 });
      expect(runs.map((r) => r.id)).toEqual(["nightly-report@2030-01-01T04:30:00.000Z"]);
      expect(t.stepCalls.map((c) => c.runId)).toEqual(["nightly-report@2030-01-01T04:30:00.000Z"]);
      expect((await t.getRun<string>("nightly-report@2030-01-01T04:30:00.000Z"))?.result).toBe("rendered late");
    } finally {
      await t.close();
    }
  });

  it("delete removes the schedule and keeps its runs; actions on an unknown id throw ScheduleNotFoundError", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: START });
    try {
      await t.engine.schedules.create({ id: "h", workflow: report, input: { kind: "h" }, cron: "0 * * * *" });
      await t.advance({ hours: 1 });
      await t.engine.schedules.delete("h");
      await t.advance({ hours: 3 });
      expect(await runIds(t)).toEqual(["h@2030-01-01T01:00:00.000Z"]);
      expect(await t.engine.schedules.list()).toEqual([]);
      for (const action of [
        () => t.engine.schedules.delete("h"),
        () => t.engine.schedules.pause("h"),
        () => t.engine.schedules.resume("h"),
        () => t.engine.schedules.update("h", { cron: "* * * * *" }),
      ]) {
        await expect(action()).rejects.toBeInstanceOf(ScheduleNotFoundError);
      }
    } finally {
      await t.close();
    }
  });

  it("refuses bad input with a typed error that says how to fix it, and stores nothing", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: START });
    try {
      const bad: [Record<string, unknown>, new (...args: never[]) => Error, RegExp][] = [
        [{ cron: "0 3 * *" }, InvalidArgumentError, /4 field\(s\); write 5 fields/],
        [{ cron: "0 3 * * * * *" }, InvalidArgumentError, /7 field\(s\)/],
        [{ cron: "61 3 * * *" }, InvalidArgumentError, /Check each field's range/],
        [{ cron: "0 0 30 2 *" }, InvalidArgumentError, /cannot use the cron expression/],
        [{ cron: 5 }, InvalidArgumentError, /needs \{ cron \}/],
        [{ timezone: "Mars/Olympus" }, InvalidArgumentError, /not an IANA time zone name/],
        [{ overlap: "queue" }, InvalidArgumentError, /"skip", "bufferOne", "allowAll"/],
        [{ catchUp: "some" }, InvalidArgumentError, /"none", "latest", "all"/],
        [{ catchUpLimit: 0 }, InvalidArgumentError, /catchUpLimit to be an integer from 1 to 1000/],
        [{ id: "x".repeat(161) }, InvalidArgumentError, /at most 160 characters/],
        [{ id: "" }, InvalidArgumentError, /schedule id/],
        [{ every: "day" }, InvalidArgumentError, /has no option 'every'/],
        [{ workflow: "no-such-workflow" }, UnknownWorkflowError, /No engine on this store has registered/],
        [{ input: { at: () => 1 } }, UnencodableValueError, /input/],
      ];
      for (const [overrides, type, message] of bad) {
        const attempt = t.engine.schedules.create({ ...nightly, ...overrides } as never);
        await expect(attempt, JSON.stringify(overrides)).rejects.toBeInstanceOf(type);
        await expect(attempt).rejects.toThrow(message);
      }
      expect(await t.engine.schedules.list()).toEqual([]);

      const stored = await t.engine.schedules.create(nightly);
      await expect(t.engine.schedules.update("nightly-report", { cron: "nope" })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(t.engine.schedules.update("nightly-report", { id: "other" } as never)).rejects.toThrow(
        /has no option 'id'/,
      );
      expect(await t.engine.schedules.get("nightly-report")).toEqual(stored);
      await t.advance({ days: 1 });
      expect(t.errors).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it("a client-only engine creates, pauses and lists schedules; only an engine serving the workflow fires them", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: START });
    const { SqliteStore } = await import("@reprise/store-sqlite");
    const store = await SqliteStore.open({ filename: t.filename });
    const client = createEngine({ store, clock: t.clock, pollIntervalMs: Number.POSITIVE_INFINITY });
    try {
      await client.schedules.create({ id: "from-client", workflow: report, input: { kind: "c" }, cron: "0 * * * *" });
      await client.schedules.create({ id: "paused", workflow: "report", input: { kind: "p" }, cron: "0 * * * *" });
      await client.schedules.pause("paused");
      expect((await client.schedules.list()).map((s) => [s.id, s.paused])).toEqual([
        ["from-client", false],
        ["paused", true],
      ]);
      // The test engine never polls (pollIntervalMs: Infinity), so it learns of schedules another engine made when
      // it starts; a production engine finds them within its pollIntervalMs.
      await t.restart();
      await t.advance({ hours: 2 });
      expect(await runIds(t)).toEqual(["from-client@2030-01-01T01:00:00.000Z", "from-client@2030-01-01T02:00:00.000Z"]);
    } finally {
      await client.close();
      await store.close();
      await t.close();
    }
  });
});
