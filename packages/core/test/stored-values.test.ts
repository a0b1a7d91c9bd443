// What the codec stores, converts and refuses: the depth limit, well-formed Unicode, symbol keys, Invalid Dates,
// class instances and array holes. Each refusal is the typed UnencodableValueError naming where the problem is.
import { describe, expect, it } from "vitest";
import { MAX_VALUE_DEPTH, UnencodableValueError, ValueTooDeepError, decodeValue, encodeValue } from "../src/index.js";
import { decodeEvent, encodeEvent } from "../src/internal.js";

/** `[1, <hole>, 3]`. */
function sparseArray(): unknown[] {
  const array: unknown[] = [1];
  array[2] = 3;
  return array;
}

const LIMIT = 10 * 1024 * 1024;

/** `levels` objects nested in each other around `leaf` ({ a: { a: ... leaf } }). */
function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

function refusal(value: unknown): UnencodableValueError {
  try {
    encodeValue(value, "The value", LIMIT);
  } catch (error) {
    if (error instanceof UnencodableValueError) return error;
    throw error;
  }
  throw new Error("the value was stored");
}

describe("the depth limit", () => {
  it("stores values nested MAX_VALUE_DEPTH levels, and refuses one level more with ValueTooDeepError", () => {
    expect(MAX_VALUE_DEPTH).toBe(256);
    expect(decodeValue(encodeValue(nested(MAX_VALUE_DEPTH), "The value", LIMIT))).toEqual(nested(MAX_VALUE_DEPTH));
    const error = refusal(nested(MAX_VALUE_DEPTH + 1));
    expect(error).toBeInstanceOf(ValueTooDeepError);
    expect(error).toMatchObject({ code: "UNENCODABLE_VALUE", maxDepth: MAX_VALUE_DEPTH });
    expect(error.message).toContain("The value cannot be stored: a value nested more than 256 levels deep");
    expect(error.path).toBe(`value${".a".repeat(12)}… (256 levels)`);
  });

  it("counts Maps and Sets as levels, and a Date or other leaf at the bottom as none", () => {
    let value: unknown = new Date(0);
    for (let i = 0; i < MAX_VALUE_DEPTH; i++) value = i % 2 === 0 ? new Set([value]) : new Map([[i, value]]);
    expect(decodeValue(encodeValue(value, "The value", LIMIT))).toEqual(value);
    expect(refusal([value])).toBeInstanceOf(ValueTooDeepError);
  });

  it("refuses values far past the stack's depth with the typed error, not a RangeError", () => {
    let deepArray: unknown = [];
    for (let i = 0; i < 100_000; i++) deepArray = [deepArray];
    expect(refusal(deepArray)).toBeInstanceOf(ValueTooDeepError);
    let deepMap: unknown = 1;
    for (let i = 0; i < 5_000; i++) deepMap = new Map([["k", deepMap]]);
    expect(refusal(deepMap)).toBeInstanceOf(ValueTooDeepError);
    expect(refusal(nested(5_000, new Date(0)))).toBeInstanceOf(ValueTooDeepError);
  });

  it("lets an event carry a value of the full depth (its envelope does not count)", () => {
    const result = nested(MAX_VALUE_DEPTH);
    const record = encodeEvent({ type: "step_completed", seq: 2, atMs: 1, name: "s", attempt: 1, result }, "e", LIMIT);
    expect(decodeEvent("r", record)).toMatchObject({ result });
    expect(() =>
      encodeEvent(
        { type: "step_completed", seq: 2, atMs: 1, name: "s", attempt: 1, result: nested(MAX_VALUE_DEPTH + 1) },
        "e",
        LIMIT,
      ),
    ).toThrow(ValueTooDeepError);
  });

  it("refuses to decode stored text whose annotations nest deeper than Reprise writes, without overflowing", () => {
    // Thousands of Maps in each other: superjson would overflow the stack restoring them.
    const levels = 20_000;
    const json = `${"[[0,".repeat(levels)}"1970-01-01T00:00:00.000Z"${"]]".repeat(levels)}`;
    const annotations = `${'["map",{"0.1":'.repeat(levels)}["Date"]${"}]".repeat(levels)}`;
    const text = `{"json":${json},"meta":{"values":${annotations},"v":1}}`;
    expect(() => decodeValue(text)).toThrow(SyntaxError);
    expect(() => decodeValue(text)).toThrow(/nests its annotations more than 1024 levels deep/);
    // A deep document without annotations is plain JSON, which JSON.parse reads without recursion.
    expect(decodeValue(`{"json":${"[".repeat(50_000)}${"]".repeat(50_000)}}`)).toBeInstanceOf(Array);
  });
});

describe("well-formed Unicode", () => {
  it("refuses a lone surrogate in a string, a property name or a Map key, naming where it is", () => {
    const inString = refusal({ note: ["ok", "a\ud800b"] });
    expect(inString.message).toContain(
      "a string that is not well-formed Unicode (a lone surrogate at index 1) at value.note.1",
    );
    const inKey = refusal({ outer: { ["x\udc00"]: 1 } });
    expect(inKey.message).toContain("a property name that is not well-formed Unicode");
    expect(inKey.message).toContain("a lone surrogate at index 1) at value.outer");
    const inMapKey = refusal(new Map([["\ud83d", 1]]));
    expect(inMapKey.message).toContain("(a lone surrogate at index 0) at value.<map key>");
    expect(refusal(new Set(["\udfff"])).path).toBe("value.<set entry>");
  });

  it("stores surrogate pairs (emoji) and other well-formed text as it is", () => {
    const value = { "😀": "naïve 😀 日本語", list: ["\u{1F600}"] };
    expect(decodeValue(encodeValue(value, "The value", LIMIT))).toEqual(value);
  });
});

describe("refusals instead of silent changes", () => {
  it("refuses symbol-keyed properties, an Invalid Date, and Promises, naming the path", () => {
    expect(refusal({ a: { [Symbol("secret")]: 1, b: 2 } }).message).toContain(
      "a property keyed by Symbol(secret) (symbol keys cannot be stored; use a string key) at value.a",
    );
    expect(refusal({ at: new Date(Number.NaN) }).message).toContain("an Invalid Date (its time is NaN) at value.at");
    expect(refusal({ pending: Promise.resolve(1) }).message).toContain(
      "a Promise (await it and store its value) at value.pending",
    );
    expect(refusal([new WeakMap()]).path).toBe("value.0");
    expect(refusal({ n: Object(1) as unknown }).message).toContain("a boxed Number");
    expect(refusal(new BigInt64Array([1n])).message).toContain("a BigInt64Array");
  });

  it("ignores non-enumerable symbol properties, as it ignores non-enumerable string properties", () => {
    const value = { a: 1 };
    Object.defineProperty(value, Symbol("hidden"), { value: 2, enumerable: false });
    Object.defineProperty(value, "hidden", { value: 3, enumerable: false });
    expect(decodeValue(encodeValue(value, "The value", LIMIT))).toEqual({ a: 1 });
  });
});

describe("deliberate conversions", () => {
  class Money {
    constructor(
      readonly amount: number,
      readonly at: Date,
    ) {}
    get doubled(): number {
      return this.amount * 2;
    }
  }

  it("stores a class instance as a plain object of its own enumerable properties, keeping what they hold", () => {
    const decoded = decodeValue(encodeValue({ price: new Money(5, new Date(7)) }, "The value", LIMIT)) as {
      price: Record<string, unknown>;
    };
    expect(Object.getPrototypeOf(decoded.price)).toBe(Object.prototype);
    expect(decoded.price).toEqual({ amount: 5, at: new Date(7) });
    expect(decoded.price.at).toBeInstanceOf(Date);
  });

  it("stores what toJSON() returns for a class instance that has one, checking it like any value", () => {
    class Temperature {
      constructor(readonly celsius: number) {}
      toJSON(): unknown {
        return { celsius: this.celsius, unit: "C", measured: new Date(0) };
      }
    }
    class Leaky {
      toJSON(): unknown {
        return { callback: () => 1 };
      }
    }
    expect(decodeValue(encodeValue([new Temperature(21)], "The value", LIMIT))).toEqual([
      { celsius: 21, unit: "C", measured: new Date(0) },
    ]);
    expect(refusal({ x: new Leaky() }).message).toContain("a function at value.x.callback");
  });

  it("keeps a shared class instance shared, and leaves the caller's value unchanged", () => {
    const money = new Money(1, new Date(0));
    const sparse = sparseArray();
    const value = { a: money, b: money, sparse };
    const decoded = decodeValue(encodeValue(value, "The value", LIMIT)) as Record<string, unknown>;
    expect(decoded.a).toBe(decoded.b);
    expect(value.a).toBeInstanceOf(Money);
    expect(1 in sparse).toBe(false);
  });
});
