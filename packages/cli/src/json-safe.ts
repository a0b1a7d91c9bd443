// Turns decoded workflow values (which may hold Date, BigInt, Map, Set, Error, URL, undefined) into plain JSON.
// Used for `--json` output and the inspector's API; lossy on purpose: it is for reading, never for replay.

/** A value that `JSON.stringify` represents faithfully. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Converts a decoded value into plain JSON: Dates become ISO strings, BigInts decimal strings, Maps objects
 * (or `[key, value]` pairs when a key is not a string), Sets arrays, Errors `{ name, message }`, and
 * `undefined` is dropped from objects (`null` in arrays). Non-finite numbers become strings.
 *
 * @example
 * toJsonSafe({ at: new Date(0), n: 10n }); // { at: "1970-01-01T00:00:00.000Z", n: "10" }
 */
export function toJsonSafe(value: unknown): JsonValue | undefined {
  return convert(value, new Set());
}

function convert(value: unknown, seen: Set<object>): JsonValue | undefined {
  if (value === undefined || typeof value === "function" || typeof value === "symbol") return undefined;
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object") return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof RegExp || value instanceof URL) return value.toString();
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  try {
    if (value instanceof Error) return { name: value.name, message: value.message };
    if (Array.isArray(value)) return value.map((entry) => convert(entry, seen) ?? null);
    if (value instanceof Set) return [...value].map((entry) => convert(entry, seen) ?? null);
    if (value instanceof Map) return convertMap(value, seen);
    const result: Record<string, JsonValue> = {};
    for (const [key, entry] of Object.entries(value)) {
      const converted = convert(entry, seen);
      if (converted !== undefined) result[key] = converted;
    }
    return result;
  } finally {
    seen.delete(value);
  }
}

function convertMap(map: Map<unknown, unknown>, seen: Set<object>): JsonValue {
  if ([...map.keys()].every((key) => typeof key === "string")) {
    const result: Record<string, JsonValue> = {};
    for (const [key, entry] of map) result[key as string] = convert(entry, seen) ?? null;
    return result;
  }
  return [...map].map(([key, entry]) => [convert(key, seen) ?? null, convert(entry, seen) ?? null]);
}
