// Codec, durations, retry schedule and event validation: the small pure pieces replay depends on.
import { describe, expect, it } from "vitest";
import {
  CorruptEventError,
  InvalidDurationError,
  PayloadTooLargeError,
  UnencodableValueError,
  decodeValue,
  encodeValue,
  sleep,
  sleepUntil,
  awaitSignal,
} from "../src/index.js";
import { decodeEvent, encodeEvent } from "../src/internal.js";
import { durationToMs, deadlineToMs } from "../src/duration.js";
import { resolveRetryPolicy, retryDelayMs, shouldRetry, DEFAULT_RETRY_POLICY } from "../src/retry.js";
import { NonRetryableError } from "../src/errors.js";
import { DateTime, Duration } from "luxon";

describe("codec", () => {
  it("round-trips what JSON loses", () => {
    const value = {
      date: new Date(0),
      big: 2n ** 70n,
      map: new Map([[1, { nested: new Set(["a"]) }]]),
      undef: undefined,
      error: new TypeError("bad"),
      regex: /ab+c/gi,
      url: new URL("https://example.com/a?b=1"),
      shared: [] as unknown[],
    };
    const decoded = decodeValue(encodeValue(value, "test", 1_000_000)) as typeof value;
    const { error, ...rest } = decoded;
    const { error: original, ...originalRest } = value;
    expect(rest).toEqual(originalRest);
    expect(error).toBeInstanceOf(Error);
    expect([error.name, error.message]).toEqual([original.name, original.message]);
    expect("undef" in decoded).toBe(true);
  });

  it("stores readable text", () => {
    expect(encodeValue({ a: 1, b: "two" }, "test", 1000)).toBe('{"json":{"a":1,"b":"two"}}');
  });

  it("rejects functions, symbols and cycles with the path of the offending value", () => {
    expect(() => encodeValue({ a: [1, () => 2] }, "Thing", 1000)).toThrow(
      /Thing cannot be stored: a function at value.a.1/,
    );
    expect(() => encodeValue(new Map([["k", Symbol("s")]]), "Thing", 1000)).toThrow(UnencodableValueError);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(() => encodeValue(cycle, "Thing", 1000)).toThrow(/circular reference at value.0/);
    const shared = { x: 1 };
    expect(decodeValue(encodeValue([shared, shared], "Thing", 1000))).toEqual([{ x: 1 }, { x: 1 }]);
  });

  it("enforces the size limit in bytes, counting multi-byte characters", () => {
    expect(() => encodeValue("é".repeat(600), "Payload", 1000)).toThrow(PayloadTooLargeError);
    expect(encodeValue("e".repeat(600), "Payload", 1000)).toContain("eee");
  });
});

describe("events", () => {
  it("validates events when decoding and names the run and seq of a bad one", () => {
    const record = encodeEvent(
      { type: "step_completed", seq: 4, atMs: 1, name: "s", attempt: 1, result: 5 },
      "e",
      1000,
    );
    expect(decodeEvent("r", record)).toEqual({
      type: "step_completed",
      seq: 4,
      atMs: 1,
      name: "s",
      attempt: 1,
      result: 5,
    });
    expect(() => decodeEvent("r", { ...record, data: "{oops" })).toThrow(CorruptEventError);
    expect(() => decodeEvent("r", { ...record, type: "step_exploded" as never })).toThrow(
      /unknown event type 'step_exploded'/,
    );
    expect(() => decodeEvent("r", { ...record, data: '{"json":{"attempt":1}}' })).toThrow(
      /Event 4 of run 'r' is corrupt \(a 'step_completed' event is missing fields\)/,
    );
  });

  it("refuses a log written in a newer event format", () => {
    const record = encodeEvent(
      { type: "run_started", seq: 1, atMs: 1, workflow: "w", input: null, formatVersion: 99 },
      "e",
      1000,
    );
    expect(() => decodeEvent("r", record)).toThrow(/event format 99, newer than this version/);
  });
});

describe("durations and deadlines", () => {
  it("accepts milliseconds, luxon durations, duration objects and ISO strings", () => {
    expect(durationToMs(1500, "t")).toBe(1500);
    expect(durationToMs(Duration.fromObject({ minutes: 2 }), "t")).toBe(120_000);
    expect(durationToMs({ hours: 1, seconds: 1 }, "t")).toBe(3_601_000);
    expect(durationToMs("PT1M30S", "t")).toBe(90_000);
  });

  it("rejects NaN, infinities, unknown units and unparseable text", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, { fortnights: 2 }, "soon", { seconds: Number.NaN }]) {
      expect(() => durationToMs(bad as never, "sleep()")).toThrow(InvalidDurationError);
    }
    expect(() => sleep(Number.NaN)).toThrow(/sleep\(\) got NaN/);
    expect(() => awaitSignal("x", { timeout: "forever" })).toThrow(InvalidDurationError);
  });

  it("reads deadlines from DateTime, Date and ISO strings, and rejects invalid ones", () => {
    const ms = Date.UTC(2031, 5, 1, 12);
    expect(deadlineToMs(DateTime.fromMillis(ms), "t")).toBe(ms);
    expect(deadlineToMs(new Date(ms), "t")).toBe(ms);
    expect(deadlineToMs("2031-06-01T14:00:00+02:00", "t")).toBe(ms);
    expect(() => sleepUntil("not a date")).toThrow(InvalidDurationError);
    expect(() => sleepUntil(new Date("garbage"))).toThrow(InvalidDurationError);
    expect(() => sleepUntil(DateTime.invalid("because"))).toThrow(InvalidDurationError);
  });
});

describe("retry policy", () => {
  it("backs off exponentially up to the maximum interval", () => {
    const policy = resolveRetryPolicy(DEFAULT_RETRY_POLICY, {
      initialInterval: 100,
      backoffCoefficient: 3,
      maxInterval: 1000,
    });
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(policy, attempt))).toEqual([100, 300, 900, 1000]);
  });

  it("stops at maxAttempts and for non-retryable errors", () => {
    const policy = resolveRetryPolicy(DEFAULT_RETRY_POLICY, { maxAttempts: 3, nonRetryableErrors: ["AuthError"] });
    const auth = Object.assign(new Error("no"), { name: "AuthError" });
    expect(shouldRetry(policy, new Error("x"), 1)).toBe(true);
    expect(shouldRetry(policy, new Error("x"), 3)).toBe(false);
    expect(shouldRetry(policy, new NonRetryableError("x"), 1)).toBe(false);
    expect(shouldRetry(policy, auth, 1)).toBe(false);
  });

  it("rejects nonsense settings", () => {
    expect(() => resolveRetryPolicy(DEFAULT_RETRY_POLICY, { maxAttempts: 1.5 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryPolicy(DEFAULT_RETRY_POLICY, { backoffCoefficient: 0 })).toThrow(/backoffCoefficient/);
    expect(() => resolveRetryPolicy(DEFAULT_RETRY_POLICY, { initialInterval: -1 })).toThrow(/must not be negative/);
  });
});
