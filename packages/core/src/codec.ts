// Values ⇄ stored text. superjson keeps what JSON loses (Date, BigInt, Map, Set, undefined, Error, RegExp, URL).
// The codec refuses what it cannot round-trip (functions, symbols, cycles) instead of silently dropping it.
import SuperJSON from "superjson";
import { PayloadTooLargeError } from "./errors.js";
import { inspectValue } from "./value-inspection.js";

/** Default upper bound on one encoded value (input, step result, signal payload, error): 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Encodes a value to stored text, checking that it round-trips and fits in `limitBytes`.
 *
 * The text is always a superjson document. Most workflow values are JSON, possibly with `undefined` in places
 * (a step that returns nothing), and superjson's document for those is `{"json":<the JSON, undefined as null>}`
 * plus, if there were any, a `meta` listing where `undefined` was. For them this writes exactly those bytes with
 * `JSON.stringify`, skipping superjson's copy of the value (a third of a step's CPU time on the hot path).
 * Anything else (Date, Map, BigInt, NaN, -0, shared references, ...) goes through superjson itself.
 *
 * @example
 * encodeValue({ sku: "MUG", note: undefined }, "The cart", DEFAULT_MAX_PAYLOAD_BYTES);
 * // '{"json":{"sku":"MUG","note":null},"meta":{"values":{"note":["undefined"]},"v":1}}'
 */
export function encodeValue(value: unknown, what: string, limitBytes: number): string {
  const undefinedPaths = inspectValue(value, what);
  const text =
    undefinedPaths === undefined
      ? SuperJSON.stringify(value)
      : undefinedPaths.length === 0
        ? `{"json":${JSON.stringify(value)}}`
        : `{"json":${JSON.stringify(value, undefinedAsNull)},"meta":{"values":${undefinedAnnotations(value, undefinedPaths)},"v":1}}`;
  // Most payloads are ASCII, so text.length is exact for them and a cheap lower bound otherwise.
  if (text.length * 3 > limitBytes) {
    const sizeBytes = Buffer.byteLength(text, "utf8");
    if (sizeBytes > limitBytes) throw new PayloadTooLargeError(what, sizeBytes, limitBytes);
  }
  return text;
}

/**
 * Decodes text written by `encodeValue`. Throws a SyntaxError on text that is not JSON. A document without
 * `meta` is plain JSON: its `json` is the value, with nothing for superjson to restore.
 *
 * @example
 * decodeValue('{"json":{"sku":"MUG"}}'); // { sku: "MUG" }
 */
export function decodeValue(text: string): unknown {
  const document: unknown = JSON.parse(text);
  if (typeof document === "object" && document !== null && !("meta" in document) && "json" in document) {
    return document.json;
  }
  return SuperJSON.deserialize(document as Parameters<typeof SuperJSON.deserialize>[0], { inPlace: true });
}

/** JSON.stringify replacer: superjson stores `undefined` as null, wherever it is (JSON would drop a property). */
function undefinedAsNull(_key: string, value: unknown): unknown {
  return value === undefined ? null : value;
}

/** superjson's annotations for `undefined` at these paths: `["undefined"]` for the value itself, else one per path. */
function undefinedAnnotations(value: unknown, paths: readonly string[]): string {
  if (value === undefined) return '["undefined"]';
  return `{${paths.map((path) => `${JSON.stringify(path)}:["undefined"]`).join(",")}}`;
}
