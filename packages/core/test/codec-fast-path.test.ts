// The codec writes plain JSON values without superjson; these properties pin that it writes superjson's exact bytes
// and reads back what superjson reads, for any value, so the stored format does not depend on which path ran.
import fc from "fast-check";
import SuperJSON from "superjson";
import { describe, expect, it } from "vitest";
import { UnencodableValueError, decodeValue, encodeValue } from "../src/index.js";

/** `[1, <hole>, 3]`. */
function sparseArray(): unknown[] {
  const array: unknown[] = [1];
  array[2] = 3;
  return array;
}

const LIMIT = 10 * 1024 * 1024;

/** Values of every kind the codec accepts: JSON, plus what only superjson can carry, nested in each other. */
const anythingOptions = {
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withSparseArray: false,
  withTypedArray: false,
  withBoxedValues: false,
  // Keys superjson refuses are covered by their own test below.
  key: fc.string().filter((key) => !["__proto__", "constructor", "prototype"].includes(key)),
};
/** Whether a value holds an Invalid Date, which the codec refuses (fast-check generates them now and then). */
function hasInvalidDate(value: unknown): boolean {
  if (value instanceof Date) return Number.isNaN(value.getTime());
  if (value instanceof Map) return [...value].some(([k, v]) => hasInvalidDate(k) || hasInvalidDate(v));
  if (value instanceof Set) return [...value].some(hasInvalidDate);
  if (typeof value !== "object" || value === null) return false;
  return Object.values(value).some(hasInvalidDate);
}
const anyValue = fc.anything(anythingOptions).filter((value) => !hasInvalidDate(value));
/** Like anyValue, with sparse arrays: the codec stores their holes as undefined (a documented conversion). */
const sparseValue = fc
  .anything({ ...anythingOptions, withSparseArray: true })
  .filter((value) => !hasInvalidDate(value));

/** A copy with every array hole set to undefined, as the codec stores it (superjson alone would write null). */
function holesAsUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return Array.from(value, holesAsUndefined);
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [holesAsUndefined(k), holesAsUndefined(v)]));
  if (value instanceof Set) return new Set([...value].map(holesAsUndefined));
  if (typeof value !== "object" || value === null || value instanceof Date) return value;
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  for (const [key, entry] of Object.entries(value)) copy[key] = holesAsUndefined(entry);
  return copy;
}

/** JSON values without the keys superjson refuses (covered by their own test below). */
const jsonValue = fc.jsonValue().filter((value) => !/"(__proto__|constructor|prototype)":/.test(JSON.stringify(value)));

describe("codec fast path", () => {
  it("writes exactly the bytes superjson writes, for JSON values and for everything else", () => {
    fc.assert(
      fc.property(fc.oneof(jsonValue, anyValue), (value) => {
        expect(encodeValue(value, "value", LIMIT)).toBe(SuperJSON.stringify(value));
      }),
      { numRuns: 2_000 },
    );
  });

  it("stores an array hole as undefined: superjson's bytes for the array with undefined in the hole", () => {
    fc.assert(
      fc.property(sparseValue, (value) => {
        const text = encodeValue(value, "value", LIMIT);
        expect(text).toBe(SuperJSON.stringify(holesAsUndefined(value)));
        expect(decodeValue(text)).toEqual(holesAsUndefined(value));
      }),
      { numRuns: 1_000 },
    );
    const decoded = decodeValue(encodeValue(sparseArray(), "value", LIMIT)) as unknown[];
    expect(decoded).toHaveLength(3);
    expect(1 in decoded).toBe(true);
    expect(decoded[1]).toBeUndefined();
  });

  it("reads back what superjson reads back", () => {
    fc.assert(
      fc.property(fc.oneof(jsonValue, anyValue), (value) => {
        const text = SuperJSON.stringify(value);
        expect(decodeValue(text)).toEqual(SuperJSON.parse(text));
      }),
      { numRuns: 2_000 },
    );
  });

  it("annotates undefined where superjson does, escaping dots and backslashes in keys", () => {
    const values: unknown[] = [
      undefined,
      [1, undefined],
      { name: "send", attempt: 1, result: undefined },
      { "a.b": undefined, "c\\d": { e: [undefined, 2] }, "": undefined },
      // superjson lists an array's own indexes before the paths of its nested values.
      [[undefined], undefined],
      { k: [[undefined], { 2: undefined, x: undefined, 1: undefined }, undefined], 3: undefined },
    ];
    for (const value of values) {
      const text = encodeValue(value, "value", LIMIT);
      expect(text).toBe(SuperJSON.stringify(value));
      expect(decodeValue(text)).toEqual(SuperJSON.parse(text));
    }
  });

  it("keeps a shared reference shared, and -0, NaN and undefined as they were", () => {
    const shared = { n: 1 };
    const decoded = decodeValue(encodeValue({ a: shared, b: shared }, "value", LIMIT)) as Record<string, unknown>;
    expect(decoded.a).toBe(decoded.b);
    expect(decodeValue(encodeValue([-0, Number.NaN, undefined], "value", LIMIT))).toEqual([-0, Number.NaN, undefined]);
    expect(Object.is((decodeValue(encodeValue(-0, "value", LIMIT)) as number) + 0, 0)).toBe(true);
    expect(Object.is(decodeValue(encodeValue(-0, "value", LIMIT)), -0)).toBe(true);
  });

  it("refuses a property named __proto__, constructor or prototype with a typed error naming its path", () => {
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const value = JSON.parse(`{"order":{"${key}":1}}`) as unknown;
      expect(() => encodeValue(value, "the step result", LIMIT)).toThrow(UnencodableValueError);
      expect(() => encodeValue(value, "the step result", LIMIT)).toThrow(`value.order.${key}`);
    }
  });
});
