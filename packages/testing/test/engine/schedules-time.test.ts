// Schedules on the test engine's virtual clock: daylight-saving transitions and a year of daily runs.
// Fire times are read back from run ids (`<schedule>@<ISO time>`), so each assertion names exact instants.
import { step, workflow } from "@reprise/core";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { createTestEngine } from "../../src/index.js";

const report = workflow("report", function* (input: { kind: string }) {
  return yield* step("render", () => `rendered ${input.kind}`);
});

/** Fire times of the runs a schedule started, oldest first, as ISO strings (from their ids). */
async function fireTimes(t: { listRuns(o: { limit: number }): Promise<{ id: string }[]> }, scheduleId: string) {
  const runs = await t.listRuns({ limit: 1_000 });
  return runs
    .map((run) => run.id)
    .filter((id) => id.startsWith(`${scheduleId}@`))
    .map((id) => id.slice(scheduleId.length + 1))
    .sort();
}

describe("schedules in virtual time", () => {
  it("a 02:30 schedule fires at 03:30 summer time on the spring-forward day, when 02:30 does not exist", async () => {
    // Europe/Berlin, 2027-03-28: clocks go from 02:00 CET straight to 03:00 CEST.
    const t = await createTestEngine({ workflows: [report], startAt: Date.parse("2027-03-26T12:00:00Z") });
    try {
      await t.engine.schedules.create({
        id: "berlin-0230",
        workflow: report,
        input: { kind: "daily" },
        cron: "30 2 * * *",
        timezone: "Europe/Berlin",
      });
      await t.advance({ days: 4 });
      expect(await fireTimes(t, "berlin-0230")).toEqual([
        "2027-03-27T01:30:00.000Z", // 02:30 CET
        "2027-03-28T01:30:00.000Z", // 03:30 CEST: the missing 02:30, one hour later
        "2027-03-29T00:30:00.000Z", // 02:30 CEST
        "2027-03-30T00:30:00.000Z",
      ]);
      for (const run of await t.listRuns({ limit: 10 })) expect(run.status).toBe("completed");
    } finally {
      await t.close();
    }
  });

  it("a 01:30 schedule fires once on the fall-back day, at the first 01:30 (daylight time)", async () => {
    // America/New_York, 2027-11-07: 01:00-02:00 happens twice (EDT, then EST).
    const t = await createTestEngine({ workflows: [report], startAt: Date.parse("2027-11-05T12:00:00Z") });
    try {
      await t.engine.schedules.create({
        id: "ny-0130",
        workflow: report,
        input: { kind: "daily" },
        cron: "30 1 * * *",
        timezone: "America/New_York",
      });
      await t.advance({ days: 4 });
      expect(await fireTimes(t, "ny-0130")).toEqual([
        "2027-11-06T05:30:00.000Z", // 01:30 EDT
        "2027-11-07T05:30:00.000Z", // the first 01:30 (EDT); the second one (06:30Z, EST) does not fire
        "2027-11-08T06:30:00.000Z", // 01:30 EST
        "2027-11-09T06:30:00.000Z",
      ]);
    } finally {
      await t.close();
    }
  });

  it("a 02:30 Berlin schedule fires once in the repeated hour of the fall-back day", async () => {
    // Europe/Berlin, 2027-10-31: 02:00-03:00 happens twice (CEST, then CET).
    const t = await createTestEngine({ workflows: [report], startAt: Date.parse("2027-10-30T12:00:00Z") });
    try {
      await t.engine.schedules.create({
        id: "berlin-0230",
        workflow: report,
        cron: "30 2 * * *",
        timezone: "Europe/Berlin",
      });
      await t.advance({ days: 2 });
      expect(await fireTimes(t, "berlin-0230")).toEqual(["2027-10-31T00:30:00.000Z", "2027-11-01T01:30:00.000Z"]);
    } finally {
      await t.close();
    }
  });

  it("an hourly schedule follows elapsed time: both 02:00s of the fall-back night, no 02:00 in spring", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: Date.parse("2027-10-30T23:30:00Z") });
    try {
      await t.engine.schedules.create({ id: "hourly", workflow: report, cron: "0 * * * *", timezone: "Europe/Berlin" });
      await t.advance({ hours: 3 });
      const autumn = await fireTimes(t, "hourly");
      // 02:00 CEST, 02:00 CET (an hour later in real time), 03:00 CET.
      expect(autumn).toEqual(["2027-10-31T00:00:00.000Z", "2027-10-31T01:00:00.000Z", "2027-10-31T02:00:00.000Z"]);
      expect(autumn.map((time) => DateTime.fromISO(time, { zone: "Europe/Berlin" }).toFormat("HH:mm ZZZZ"))).toEqual([
        "02:00 GMT+2",
        "02:00 GMT+1",
        "03:00 GMT+1",
      ]);
    } finally {
      await t.close();
    }
    const spring = await createTestEngine({ workflows: [report], startAt: Date.parse("2027-03-27T23:30:00Z") });
    try {
      await spring.engine.schedules.create({
        id: "hourly",
        workflow: report,
        cron: "0 * * * *",
        timezone: "Europe/Berlin",
      });
      await spring.advance({ hours: 2 });
      // 01:00 CET, then 03:00 CEST: one real hour apart, and no 02:00.
      expect(await fireTimes(spring, "hourly")).toEqual(["2027-03-28T00:00:00.000Z", "2027-03-28T01:00:00.000Z"]);
    } finally {
      await spring.close();
    }
  });

  it("a daily schedule runs 365 times in a year of virtual time, each at 03:00 Berlin time", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: Date.parse("2030-01-01T00:00:00Z") });
    try {
      await t.engine.schedules.create({
        id: "nightly-report",
        workflow: report,
        input: { kind: "nightly" },
        cron: "0 3 * * *",
        timezone: "Europe/Berlin",
        overlap: "skip",
        catchUp: "latest",
      });
      await t.advance({ days: 365 });
      const times = await fireTimes(t, "nightly-report");
      expect(times).toHaveLength(365);
      for (const time of times) {
        expect(DateTime.fromISO(time, { zone: "Europe/Berlin" }).toFormat("HH:mm")).toBe("03:00");
      }
      expect(new Set(times).size).toBe(365);
      expect(t.stepCalls.filter((call) => call.step === "render")).toHaveLength(365);
      const schedule = await t.engine.schedules.get("nightly-report");
      expect(schedule?.nextFireAtMs).toBe(Date.parse("2031-01-01T02:00:00.000Z"));
      expect(schedule?.lastRunId).toBe("nightly-report@2030-12-31T02:00:00.000Z");
    } finally {
      await t.close();
    }
  }, 60_000);
});
