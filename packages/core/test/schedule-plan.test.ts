// planFiring, the pure part of firing a schedule: which fire times start, which are passed over (catch-up and
// overlap), and the state written back. Fire times come from real cron expressions; no store, no clock.
import { describe, expect, it } from "vitest";
import { CronTimes } from "../src/cron-times.js";
import { MISSED_FIRE_AFTER_MS, planFiring } from "../src/schedule-plan.js";
import type { ScheduleRecord } from "../src/store.js";

const HOUR_MS = 3_600_000;
const T0 = Date.parse("2030-01-01T00:00:00Z");
const hourly = CronTimes.parse("0 * * * *", "UTC");

function schedule(overrides: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    id: "s",
    workflow: "w",
    input: "{}",
    cron: "0 * * * *",
    timezone: "UTC",
    overlap: "allowAll",
    catchUp: "latest",
    catchUpLimit: 100,
    paused: false,
    nextFireAtMs: T0 + HOUR_MS,
    revision: 1,
    createdAtMs: T0,
    updatedAtMs: T0,
    ...overrides,
  };
}

const hours = (plan: ReturnType<typeof planFiring>) => plan?.runs.map((run) => (run.fireAtMs - T0) / HOUR_MS);

describe("planFiring", () => {
  it("answers nothing before the next fire time", () => {
    expect(planFiring(schedule(), hourly, T0 + HOUR_MS - 1, false)).toBeUndefined();
  });

  it("starts the due fire time with a derived run id and moves the next fire time past now", () => {
    const plan = planFiring(schedule(), hourly, T0 + HOUR_MS, false);
    expect(plan?.runs).toEqual([{ runId: "s@2030-01-01T01:00:00.000Z", fireAtMs: T0 + HOUR_MS }]);
    expect(plan?.state).toMatchObject({
      nextFireAtMs: T0 + 2 * HOUR_MS,
      lastRunId: "s@2030-01-01T01:00:00.000Z",
      lastFireAtMs: T0 + HOUR_MS,
    });
  });

  it("catch-up none starts a fire time only within MISSED_FIRE_AFTER_MS of it", () => {
    const base = schedule({ catchUp: "none" });
    expect(hours(planFiring(base, hourly, T0 + HOUR_MS + MISSED_FIRE_AFTER_MS, false))).toEqual([1]);
    const late = planFiring(base, hourly, T0 + HOUR_MS + MISSED_FIRE_AFTER_MS + 1, false);
    expect(late).toMatchObject({ runs: [], skipped: 1, state: { nextFireAtMs: T0 + 2 * HOUR_MS } });
  });

  it("catch-up all keeps the newest catchUpLimit, and finds them without walking a long downtime", () => {
    const minutely = CronTimes.parse("* * * * *", "UTC");
    const yearLater = T0 + 365 * 24 * HOUR_MS;
    const plan = planFiring(
      schedule({ catchUp: "all", catchUpLimit: 3, nextFireAtMs: T0 + 60_000 }),
      minutely,
      yearLater,
      false,
    );
    expect(plan?.runs.map((run) => run.fireAtMs)).toEqual([yearLater - 120_000, yearLater - 60_000, yearLater]);
    expect(plan?.skipped).toBeGreaterThan(0);
    expect(plan?.state.nextFireAtMs).toBe(yearLater + 60_000);
  });

  it("with skip, caught-up fire times after the first find it unfinished", () => {
    const plan = planFiring(schedule({ catchUp: "all", overlap: "skip" }), hourly, T0 + 3 * HOUR_MS, false);
    expect(hours(plan)).toEqual([1]);
    expect(plan?.skipped).toBe(2);
    expect(planFiring(schedule({ overlap: "skip" }), hourly, T0 + HOUR_MS, true)?.runs).toEqual([]);
  });

  it("with bufferOne, one fire time is held while the previous run is unfinished and starts first once it ended", () => {
    const held = planFiring(schedule({ overlap: "bufferOne", catchUp: "all" }), hourly, T0 + 2 * HOUR_MS, true);
    expect(held).toMatchObject({ runs: [], skipped: 1, state: { bufferedFireAtMs: T0 + HOUR_MS } });
    const waiting = schedule({ overlap: "bufferOne", nextFireAtMs: T0 + 3 * HOUR_MS, bufferedFireAtMs: T0 + HOUR_MS });
    expect(planFiring(waiting, hourly, T0 + 2.5 * HOUR_MS, true)).toBeUndefined();
    const released = planFiring(waiting, hourly, T0 + 2.5 * HOUR_MS, false);
    expect(hours(released)).toEqual([1]);
    expect(released?.state).toMatchObject({ bufferedFireAtMs: undefined, nextFireAtMs: T0 + 3 * HOUR_MS });
    // The held one starts, and the fire time due with it is held in turn.
    const both = planFiring(waiting, hourly, T0 + 3 * HOUR_MS, false);
    expect(hours(both)).toEqual([1]);
    expect(both?.state.bufferedFireAtMs).toBe(T0 + 3 * HOUR_MS);
  });

  it("a paused schedule fires nothing from its cron expression", () => {
    expect(planFiring(schedule({ paused: true }), hourly, T0 + 5 * HOUR_MS, false)).toBeUndefined();
  });
});
