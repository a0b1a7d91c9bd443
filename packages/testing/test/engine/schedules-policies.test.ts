// Overlap (skip, bufferOne, allowAll) and catch-up (none, latest, all with a limit) policies of schedules,
// on the test engine's virtual clock. A run "overlaps" while it sleeps durably past the next fire time.
import { sleep, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { createTestEngine, type TestEngine } from "../../src/index.js";

const HOUR_MS = 3_600_000;
const START = Date.parse("2030-01-01T00:00:00Z");

/** Takes `input.hours` hours of virtual time (a durable sleep), so that runs can overlap fire times. */
const slow = workflow("slow", function* (input: { hours: number }) {
  yield* sleep({ hours: input.hours });
  return yield* step("finish", () => "done");
});

const quick = workflow("quick", function* () {
  return yield* step("work", () => "done");
});

/** Ids of the runs a schedule started, sorted (ISO fire times sort in time order). */
async function runIds(t: TestEngine, scheduleId: string): Promise<string[]> {
  const runs = await t.listRuns({ limit: 1_000 });
  return runs
    .map((run) => run.id)
    .filter((id) => id.startsWith(`${scheduleId}@`))
    .sort();
}

const at = (hours: number) => `@${new Date(START + hours * HOUR_MS).toISOString()}`;

describe("schedule overlap policies", () => {
  it("skip: a fire time while the previous run is unfinished starts nothing", async () => {
    const t = await createTestEngine({ workflows: [slow], startAt: START });
    try {
      // Hourly; each run takes 2.5 hours: runs at 01:00 and 04:00 start, 02:00 and 03:00 are skipped, ...
      await t.engine.schedules.create({
        id: "s",
        workflow: slow,
        input: { hours: 2.5 },
        cron: "0 * * * *",
        overlap: "skip",
      });
      await t.advance({ hours: 7 });
      expect(await runIds(t, "s")).toEqual([`s${at(1)}`, `s${at(4)}`, `s${at(7)}`]);
    } finally {
      await t.close();
    }
  });

  it("bufferOne: one held-back fire time starts as soon as the previous run ends; more are skipped", async () => {
    const t = await createTestEngine({ workflows: [slow], startAt: START });
    try {
      await t.engine.schedules.create({
        id: "b",
        workflow: slow,
        input: { hours: 2.5 },
        cron: "0 * * * *",
        overlap: "bufferOne",
      });
      await t.advance({ hours: 2 });
      expect((await t.engine.schedules.get("b"))?.bufferedFireAtMs).toBe(START + 2 * HOUR_MS);
      // 01:00 runs until 03:30; 02:00 is held back (03:00 is skipped: one is held at most) and starts at 03:30.
      await t.advance({ hours: 1.5 });
      const ids = await runIds(t, "b");
      expect(ids).toEqual([`b${at(1)}`, `b${at(2)}`]);
      const buffered = await t.getRun(`b${at(2)}`);
      expect(buffered?.createdAtMs).toBe(START + 3.5 * HOUR_MS);
      expect((await t.engine.schedules.get("b"))?.bufferedFireAtMs).toBeUndefined();
    } finally {
      await t.close();
    }
  });

  it("allowAll: every fire time starts a run, whatever is still running", async () => {
    const t = await createTestEngine({ workflows: [slow], startAt: START });
    try {
      await t.engine.schedules.create({
        id: "a",
        workflow: slow,
        input: { hours: 2.5 },
        cron: "0 * * * *",
        overlap: "allowAll",
      });
      await t.advance({ hours: 3 });
      expect(await runIds(t, "a")).toEqual([`a${at(1)}`, `a${at(2)}`, `a${at(3)}`]);
      const statuses = await Promise.all((await runIds(t, "a")).map(async (id) => (await t.getRun(id))?.status));
      expect(statuses).toEqual(["sleeping", "sleeping", "sleeping"]); // three runs at once
    } finally {
      await t.close();
    }
  });
});

describe("schedule catch-up after downtime", () => {
  /** Creates an hourly schedule, stops the engine for `hours`, and starts it again. */
  async function downFor(hours: number, options: { catchUp: "none" | "latest" | "all"; catchUpLimit?: number }) {
    const t = await createTestEngine({ workflows: [quick], startAt: START });
    await t.engine.schedules.create({ id: "c", workflow: quick, cron: "0 * * * *", overlap: "allowAll", ...options });
    await t.engine.close();
    // No engine runs: the fire times of these hours pass unattended.
    await t.clock.advance({ hours, minutes: 30 });
    await t.restart();
    return t;
  }

  it("none: missed fire times never start; the schedule goes on from the next one", async () => {
    const t = await downFor(5, { catchUp: "none" });
    try {
      expect(await runIds(t, "c")).toEqual([]);
      expect((await t.engine.schedules.get("c"))?.nextFireAtMs).toBe(START + 6 * HOUR_MS);
      await t.advance({ hours: 1 });
      expect(await runIds(t, "c")).toEqual([`c${at(6)}`]);
    } finally {
      await t.close();
    }
  });

  it("latest: only the newest missed fire time starts", async () => {
    const t = await downFor(5, { catchUp: "latest" });
    try {
      expect(await runIds(t, "c")).toEqual([`c${at(5)}`]);
    } finally {
      await t.close();
    }
  });

  it("all: every missed fire time starts, oldest first", async () => {
    const t = await downFor(5, { catchUp: "all" });
    try {
      expect(await runIds(t, "c")).toEqual([1, 2, 3, 4, 5].map((h) => `c${at(h)}`));
    } finally {
      await t.close();
    }
  });

  it("all with a catchUpLimit: only the newest catchUpLimit missed fire times start", async () => {
    const t = await downFor(50, { catchUp: "all", catchUpLimit: 3 });
    try {
      expect(await runIds(t, "c")).toEqual([48, 49, 50].map((h) => `c${at(h)}`));
      expect((await t.engine.schedules.get("c"))?.nextFireAtMs).toBe(START + 51 * HOUR_MS);
    } finally {
      await t.close();
    }
  });
});
