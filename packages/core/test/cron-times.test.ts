// CronTimes: 5 fields, 6 with a leading seconds field, or a macro, read in an IANA time zone by cron-parser;
// anything else is an InvalidArgumentError that says what to write instead.
import { describe, expect, it } from "vitest";
import { CronTimes } from "../src/cron-times.js";
import { InvalidArgumentError } from "../src/errors.js";

const T0 = Date.parse("2030-01-01T00:00:00Z");

describe("CronTimes", () => {
  it("reads 5 fields, 6 with seconds first, and macros, in the given time zone", () => {
    expect(CronTimes.parse("0 3 * * *", "UTC").next(T0)).toBe(Date.parse("2030-01-01T03:00:00Z"));
    expect(CronTimes.parse("30 0 3 * * *", "UTC").next(T0)).toBe(Date.parse("2030-01-01T03:00:30Z"));
    expect(CronTimes.parse("@daily", "UTC").next(T0)).toBe(Date.parse("2030-01-02T00:00:00Z"));
    expect(CronTimes.parse("0 3 * * *", "Asia/Tokyo").next(T0)).toBe(Date.parse("2030-01-01T18:00:00Z"));
    expect(CronTimes.parse("  0 3 * * *  ", "UTC").expression).toBe("0 3 * * *");
  });

  it("answers the previous fire time at or before a moment", () => {
    const times = CronTimes.parse("0 * * * *", "UTC");
    expect(times.previous(T0)).toBe(T0);
    expect(times.previous(T0 - 1)).toBe(T0 - 3_600_000);
    expect(times.next(T0)).toBe(T0 + 3_600_000);
  });

  it("refuses wrong field counts, ranges, impossible dates and unknown zones", () => {
    for (const [expression, zone] of [
      ["* * * *", "UTC"],
      ["* * * * * * *", "UTC"],
      ["@sometimes", "UTC"],
      ["0 25 * * *", "UTC"],
      ["0 0 31 2 *", "UTC"],
      ["0 3 * * *", "Europe/Atlantis"],
      ["0 3 * * *", ""],
    ] as const) {
      expect(() => CronTimes.parse(expression, zone), `${expression} in ${zone}`).toThrow(InvalidArgumentError);
    }
  });
});
