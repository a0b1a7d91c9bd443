// Values ⇄ stored text. superjson keeps what JSON loses (Date, BigInt, Map, Set, undefined, Error, RegExp, URL).
// The codec refuses what it cannot round-trip (functions, symbols, cycles) instead of silently dropping it.
import SuperJSON from "superjson";
import { PayloadTooLargeError, UnencodableValueError } from "./errors.js";

/** Default upper bound on one encoded value (input, step result, signal payload, error): 1 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Encodes a value to stored text, checking that it round-trips and fits in `limitBytes`. */
export function encodeValue(value: unknown, what: string, limitBytes: number): string {
  assertEncodable(value, what);
  const text = SuperJSON.stringify(value);
  // Most payloads are ASCII, so text.length is exact for them and a cheap lower bound otherwise.
  if (text.length * 3 > limitBytes) {
    const sizeBytes = Buffer.byteLength(text, "utf8");
    if (sizeBytes > limitBytes) throw new PayloadTooLargeError(what, sizeBytes, limitBytes);
  }
  return text;
}

/** Decodes text written by `encodeValue`. Throws a SyntaxError on text that is not a superjson document. */
export function decodeValue(text: string): unknown {
  return SuperJSON.parse(text);
}

/** Throws UnencodableValueError naming the path of the first value superjson would drop or mangle. */
function assertEncodable(value: unknown, what: string): void {
  const seen = new Set<object>();
  const visit = (current: unknown, path: string): void => {
    if (typeof current === "function") throw new UnencodableValueError(what, path, "a function");
    if (typeof current === "symbol") throw new UnencodableValueError(what, path, "a symbol");
    if (typeof current !== "object" || current === null) return;
    if (seen.has(current)) throw new UnencodableValueError(what, path, "a circular reference");
    seen.add(current);
    if (current instanceof Map) {
      for (const [key, entry] of current) {
        visit(key, `${path}.<map key>`);
        visit(entry, `${path}.get(${String(key)})`);
      }
    } else if (current instanceof Set) {
      for (const entry of current) visit(entry, `${path}.<set entry>`);
    } else if (!(current instanceof Date || current instanceof RegExp || current instanceof URL)) {
      for (const [key, entry] of Object.entries(current)) visit(entry, `${path}.${key}`);
    }
    seen.delete(current);
  };
  visit(value, "value");
}
