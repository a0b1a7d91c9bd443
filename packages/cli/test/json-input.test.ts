// JSON typed by people: accepted as JSON.parse would, refused with the line and column of the first mistake.
// Also: decoded values (Date, BigInt, Map, Set, Error) printed as plain JSON for --json and the inspector.
import { describe, expect, it } from "vitest";
import { JsonInputError, parseJson } from "../src/json-input.js";
import { toJsonSafe } from "../src/json-safe.js";

function failure(text: string): { line: number; column: number; message: string } {
  try {
    parseJson(text, "the payload");
  } catch (error) {
    if (error instanceof JsonInputError) return { line: error.line, column: error.column, message: error.message };
    throw error;
  }
  throw new Error(`${text} parsed`);
}

describe("parseJson", () => {
  it("returns what JSON.parse returns", () => {
    expect(parseJson('{"a": [1, "x", null, true]}', "x")).toEqual({ a: [1, "x", null, true] });
    expect(parseJson('"text"', "x")).toBe("text");
  });

  it.each([
    ['{"by": }', 1, 8, 'unexpected "}"'],
    ["{by: 'x'}", 1, 2, "expected a double-quoted property name"],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}' but found \"\\\"\""],
    ["[1, 2", 1, 6, "unexpected end of input"],
    ["", 1, 1, "unexpected end of input"],
    ['"tab\there"', 1, 5, "control character in string"],
    ["{} x", 1, 4, 'unexpected "x" after the end of the value'],
    ["01", 1, 2, 'unexpected "1" after the end of the value'],
    ['"\\u12G4"', 1, 3, "bad \\u escape"],
  ])("%j fails at line %i, column %i (%s)", (text, line, column, problem) => {
    const result = failure(text);
    expect(result).toMatchObject({ line, column });
    expect(result.message).toContain(`the payload is not valid JSON: ${problem}`);
    expect(result.message).toContain(`at line ${line}, column ${column}.`);
  });
});

describe("toJsonSafe", () => {
  it("turns decoded values into plain JSON", () => {
    const value = {
      at: new Date(0),
      big: 10n,
      tags: new Set(["a"]),
      byName: new Map([["x", 1]]),
      byNumber: new Map([[1, "one"]]),
      error: new TypeError("bad"),
      gone: undefined,
      list: [undefined, Number.NaN],
    };
    expect(toJsonSafe(value)).toEqual({
      at: "1970-01-01T00:00:00.000Z",
      big: "10",
      tags: ["a"],
      byName: { x: 1 },
      byNumber: [[1, "one"]],
      error: { name: "TypeError", message: "bad" },
      list: [null, "NaN"],
    });
  });
});
