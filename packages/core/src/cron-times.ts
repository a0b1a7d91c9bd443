// Fire times of a cron expression in a time zone, computed by cron-parser (which works in luxon zones).
// Owns no schedule state and never parses cron text itself: it checks the shape, then asks the library.
import { CronExpressionParser, type CronExpression } from "cron-parser";
import { IANAZone } from "luxon";
import { InvalidArgumentError } from "./errors.js";

// Why cron-parser (5.x): it is maintained, it computes fire times in a time zone through luxon (already a
// dependency of this package), so a zone's daylight-saving rules come from one place, and it answers both
// "next after t" and "previous before t", which catch-up needs to find the newest missed fire times without
// walking a long downtime forward. croner has no luxon and no previous-time lookup of the same shape.

/** Longest cron expression accepted. */
export const MAX_CRON_LENGTH = 200;

/** The predefined expressions cron-parser knows (each a 6-field expression with seconds 0). */
const MACROS: ReadonlySet<string> = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@hourly",
  "@minutely",
  "@weekdays",
  "@weekends",
]);

/**
 * A checked cron expression in a time zone: `next` and `previous` fire times, as epoch milliseconds.
 *
 * @example
 * const times = CronTimes.parse("0 3 * * *", "Europe/Berlin");
 * times.next(Date.UTC(2026, 11, 1)); // 2026-12-01T02:00:00.000Z, 03:00 in Berlin
 */
export class CronTimes {
  readonly expression: string;
  readonly timezone: string;

  private constructor(expression: string, timezone: string) {
    this.expression = expression;
    this.timezone = timezone;
  }

  /**
   * Checks `expression` (5 fields, or 6 with a leading seconds field, or a macro such as `@daily`) and
   * `timezone` (an IANA name such as `Europe/Berlin`, or `UTC`); throws InvalidArgumentError saying how to fix
   * either. `what` names the call in messages.
   *
   * @example
   * CronTimes.parse("*\/15 * * * *", "UTC");
   */
  static parse(expression: unknown, timezone: unknown, what = "schedules.create()"): CronTimes {
    if (typeof timezone !== "string" || !IANAZone.isValidZone(timezone)) {
      throw new InvalidArgumentError(
        `${what} got the time zone ${JSON.stringify(timezone)}, which is not an IANA time zone name; use one such as ` +
          `"Europe/Berlin", "America/New_York" or "UTC".`,
      );
    }
    if (typeof expression !== "string" || expression.trim() === "" || expression.length > MAX_CRON_LENGTH) {
      throw new InvalidArgumentError(
        `${what} needs { cron } to be a cron expression of at most ${MAX_CRON_LENGTH} characters, e.g. ` +
          `"0 3 * * *" (03:00 every day); got ${JSON.stringify(expression)}.`,
      );
    }
    const trimmed = expression.trim();
    const fields = trimmed.split(/\s+/).length;
    if (!(MACROS.has(trimmed) || (trimmed[0] !== "@" && (fields === 5 || fields === 6)))) {
      throw new InvalidArgumentError(
        `${what} got the cron expression "${trimmed}" with ${fields} field(s); write 5 fields (minute hour ` +
          `day-of-month month day-of-week, e.g. "0 3 * * *"), 6 with a leading seconds field ("0 0 3 * * *"), or ` +
          `one of ${[...MACROS].join(", ")}.`,
      );
    }
    const times = new CronTimes(trimmed, timezone);
    try {
      // Parsing alone accepts some expressions that never fire (e.g. February 30): ask for one time too.
      times.#expression(Date.UTC(2000, 0, 1)).next();
    } catch (error) {
      throw new InvalidArgumentError(
        `${what} cannot use the cron expression "${trimmed}": ${error instanceof Error ? error.message : String(error)}. ` +
          `Check each field's range (minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-7).`,
      );
    }
    return times;
  }

  /** The first fire time strictly after `afterMs`, or undefined if there is none. */
  next(afterMs: number): number | undefined {
    try {
      return this.#expression(afterMs).next().getTime();
    } catch {
      // cron-parser throws when no time is left in its search range (e.g. a year field long past).
      return undefined;
    }
  }

  /** The last fire time at or before `atMs`, or undefined if there is none. */
  previous(atMs: number): number | undefined {
    try {
      // cron-parser answers strictly before its current date: one millisecond later includes `atMs` itself.
      return this.#expression(atMs + 1)
        .prev()
        .getTime();
    } catch {
      // cron-parser throws when no time is left in its search range (e.g. a year field long past).
      return undefined;
    }
  }

  #expression(currentMs: number): CronExpression {
    return CronExpressionParser.parse(this.expression, { tz: this.timezone, currentDate: new Date(currentMs) });
  }
}
