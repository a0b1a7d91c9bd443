// Values ⇄ stored text. superjson keeps what JSON loses (Date, BigInt, Map, Set, undefined, Error, RegExp, URL).
// The codec refuses what it cannot round-trip (functions, symbols, cycles) instead of silently dropping it.
import SuperJSON from "superjson";
import { PayloadTooLargeError, UnencodableValueError } from "./errors.js";

/** Default upper bound on one encoded value (input, step result, signal payload, error): 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Encodes a value to stored text, checking that it round-trips and fits in `limitBytes`.
 *
 * The text is always a superjson document. Most workflow values are plain JSON (no Date, Map, BigInt, undefined,
 * NaN, -0 or shared references), and superjson's document for those is `{"json":<the JSON>}` with no `meta`; for
 * them this writes exactly those bytes with `JSON.stringify`, skipping superjson's copy of the value (a third of
 * a step's CPU time on the hot path). Anything else goes through superjson itself.
 */
export function encodeValue(value: unknown, what: string, limitBytes: number): string {
  const text = inspectValue(value, what) ? `{"json":${JSON.stringify(value)}}` : SuperJSON.stringify(value);
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
 */
export function decodeValue(text: string): unknown {
  const document: unknown = JSON.parse(text);
  if (typeof document === "object" && document !== null && !("meta" in document) && "json" in document) {
    return document.json;
  }
  return SuperJSON.deserialize(document as Parameters<typeof SuperJSON.deserialize>[0], { inPlace: true });
}

/** Property names superjson refuses to write (prototype pollution guards). */
const REFUSED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Throws UnencodableValueError naming the path of the first value superjson would drop, mangle or refuse;
 * otherwise returns whether the value is plain JSON (see `encodeValue`). Paths are only built for the error.
 */
function inspectValue(value: unknown, what: string): boolean {
  // Keys and indexes as they are; `{ label }` for a Map or Set entry. Rendered only for an error.
  const path: (string | number | { label: string })[] = [];
  const ancestors: object[] = [];
  const seen = new Set<object>();
  let plain = true;
  const fail = (reason: string): never => {
    const rendered = path.map((segment) => (typeof segment === "object" ? segment.label : `.${segment}`)).join("");
    throw new UnencodableValueError(what, `value${rendered}`, reason);
  };
  const visitEntry = (segment: string | number | { label: string }, entry: unknown): void => {
    path.push(segment);
    visit(entry);
    path.pop();
  };
  const visit = (current: unknown): void => {
    switch (typeof current) {
      case "string":
      case "boolean":
        return;
      case "number":
        if (!Number.isFinite(current) || Object.is(current, -0)) plain = false;
        return;
      case "function":
        return fail("a function");
      case "symbol":
        return fail("a symbol");
      case "object":
        break;
      default:
        // undefined and bigint: superjson restores them, JSON cannot.
        plain = false;
        return;
    }
    if (current === null) return;
    if (seen.has(current)) {
      if (ancestors.includes(current)) fail("a circular reference");
      // The same object twice: superjson restores the shared reference, JSON would make two copies.
      plain = false;
      return;
    }
    seen.add(current);
    ancestors.push(current);
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) {
        // A hole reads as undefined, and JSON would turn it into null.
        if (!(index in current)) plain = false;
        visitEntry(index, current[index]);
      }
    } else if (current instanceof Map) {
      plain = false;
      for (const [key, entry] of current) {
        visitEntry({ label: ".<map key>" }, key);
        visitEntry({ label: `.get(${describeKey(key)})` }, entry);
      }
    } else if (current instanceof Set) {
      plain = false;
      for (const entry of current) visitEntry({ label: ".<set entry>" }, entry);
    } else if (current instanceof Date || current instanceof RegExp || current instanceof URL) {
      plain = false;
    } else {
      const prototype: unknown = Object.getPrototypeOf(current);
      const plainObject = prototype === Object.prototype || prototype === null;
      if (!plainObject) plain = false;
      for (const key of Object.keys(current)) {
        if (plainObject && REFUSED_KEYS.has(key)) {
          path.push(key);
          fail(`a property named '${key}' (refused by the codec as a prototype-pollution risk; rename it)`);
        }
        visitEntry(key, (current as Record<string, unknown>)[key]);
      }
    }
    ancestors.pop();
  };
  visit(value);
  return plain;
}

/** A Map key as a path segment shows it: primitives as text, objects by kind (they may not convert to text). */
function describeKey(key: unknown): string {
  if (typeof key === "object" && key !== null) return Array.isArray(key) ? "<array>" : "<object>";
  return typeof key === "symbol" ? key.toString() : String(key);
}
