// Values ⇄ stored text. superjson keeps what JSON loses (Date, BigInt, Map, Set, undefined, Error, RegExp, URL).
// The codec refuses what it cannot round-trip (functions, symbols, cycles, lone surrogates, values nested past
// MAX_VALUE_DEPTH) instead of silently changing it; its only conversions are the documented ones (normalizeValue).
import SuperJSON from "superjson";
import { PayloadTooLargeError } from "./errors.js";
import { MAX_VALUE_DEPTH, inspectValue } from "./value-inspection.js";
import { normalizeValue } from "./value-normalization.js";

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
 * Two conversions are deliberate (docs/concepts.md, "What values can be stored"): a class instance is stored as a
 * plain object of its own enumerable properties (or what its `toJSON()` returns), and an array hole as `undefined`.
 * The engine hands workflows the decoded value, so the first run and every replay see the same converted value.
 *
 * @example
 * encodeValue({ sku: "MUG", note: undefined }, "The cart", DEFAULT_MAX_PAYLOAD_BYTES);
 * // '{"json":{"sku":"MUG","note":null},"meta":{"values":{"note":["undefined"]},"v":1}}'
 */
export function encodeValue(value: unknown, what: string, limitBytes: number): string {
  return encodeDocument(value, what, limitBytes, MAX_VALUE_DEPTH);
}

/**
 * `encodeValue` with a nesting limit of the caller's choosing (an error's data fields get less, as they sit below
 * its cause chain), and `envelopeDepth` levels around the user's value that do not count (an event's fields).
 * Internal; users have `encodeValue`.
 *
 * @example
 * encodeDocument({ name: "send", attempt: 1, result }, "The result of step 'send'", limit, MAX_VALUE_DEPTH, 1);
 */
export function encodeDocument(
  value: unknown,
  what: string,
  limitBytes: number,
  maxDepth: number = MAX_VALUE_DEPTH,
  envelopeDepth = 0,
): string {
  let inspection = inspectValue(value, what, maxDepth, envelopeDepth);
  if (inspection.needsNormalizing) {
    value = normalizeValue(value, what, maxDepth, envelopeDepth);
    inspection = inspectValue(value, what, maxDepth, envelopeDepth);
  }
  const { plain, undefinedPaths } = inspection;
  const text = !plain
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
  // superjson applies its annotations recursively, and the stack overflows a few thousand levels down:
  // refuse deeper documents (Reprise never writes them; see MAX_VALUE_DEPTH) before handing them over.
  const meta = typeof document === "object" && document !== null ? (document as { meta?: unknown }).meta : undefined;
  if (nestsDeeperThan(meta, MAX_DECODED_ANNOTATION_DEPTH)) {
    throw new SyntaxError(
      `The stored document nests its annotations more than ${MAX_DECODED_ANNOTATION_DEPTH} levels deep, ` +
        `deeper than Reprise writes (values nest at most ${MAX_VALUE_DEPTH} levels), so it was not decoded.`,
    );
  }
  return SuperJSON.deserialize(document as Parameters<typeof SuperJSON.deserialize>[0], { inPlace: true });
}

/**
 * JSON levels allowed in a document's superjson annotations when decoding: each level of a value takes at most
 * two (an annotation and its children), plus Reprise's envelope around values. Far below where superjson overflows.
 */
const MAX_DECODED_ANNOTATION_DEPTH = 4 * MAX_VALUE_DEPTH;

/** Whether parsed JSON nests more than `limit` levels, found without recursion (the input may be hostile). */
function nestsDeeperThan(root: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[root, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== "object" || node === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) {
      if (typeof child === "object" && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}

/** JSON.stringify replacer: superjson stores `undefined` as null, wherever it is (JSON would drop a property). */
function undefinedAsNull(_key: string, value: unknown): unknown {
  return value === undefined ? null : value;
}

/** superjson's annotations for `undefined` at these paths: `["undefined"]` for the value itself, else one per path. */
function undefinedAnnotations(value: unknown, paths: readonly (readonly string[])[]): string {
  if (value === undefined) return '["undefined"]';
  return `{${Object.keys(annotationKeys(paths, 0, paths.length, 0))
    .map((path) => `${JSON.stringify(path)}:["undefined"]`)
    .join(",")}}`;
}

/**
 * The annotation paths of one level, in superjson's order. superjson collects each object's or array's annotations
 * in an object of its own and prefixes them into its parent's, so integer-like keys (array indexes of that level)
 * come first there: building the same objects gives the same order. `paths[from..to)` share their first `depth`
 * segments, and the walk wrote them in superjson's visiting order, so each child's paths are contiguous.
 */
function annotationKeys(
  paths: readonly (readonly string[])[],
  from: number,
  to: number,
  depth: number,
): Record<string, true> {
  const keys = Object.create(null) as Record<string, true>;
  let start = from;
  while (start < to) {
    const segment = paths[start]?.[depth] as string;
    let end = start + 1;
    while (end < to && paths[end]?.[depth] === segment) end++;
    if (paths[start]?.length === depth + 1) keys[segment] = true;
    else for (const key of Object.keys(annotationKeys(paths, start, end, depth + 1))) keys[`${segment}.${key}`] = true;
    start = end;
  }
  return keys;
}
