// The walk behind encodeValue: refuses what cannot be stored (naming the path), and tells JSON-shaped values from
// those only superjson can write. Pure; builds path strings only for errors and for `undefined` annotations.
import { UnencodableValueError } from "./errors.js";

/** Property names superjson refuses to write (prototype pollution guards). */
const REFUSED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Throws UnencodableValueError naming the path of the first value superjson would drop, mangle or refuse.
 * Otherwise returns where the value holds `undefined` (superjson's dotted, escaped paths; "" for the value itself) if it is JSON apart from those, or `undefined` if only superjson can write it.
 *
 * @example
 * inspectValue({ name: "a", result: undefined }, "step result"); // ["result"]
 * inspectValue({ at: new Date() }, "step result"); // undefined: superjson writes it
 */
export function inspectValue(value: unknown, what: string): string[] | undefined {
  // Keys and indexes as they are; `{ label }` for a Map or Set entry. Rendered only for an error.
  const path: (string | number | { label: string })[] = [];
  const ancestors: object[] = [];
  const seen = new Set<object>();
  let plain = true;
  const undefinedPaths: string[] = [];
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
      case "undefined":
        // While the value is still plain, the path holds only keys and indexes (labels come with Map and Set).
        if (plain) {
          undefinedPaths.push(
            path.map((segment) => (typeof segment === "object" ? segment.label : escapeKey(String(segment)))).join("."),
          );
        }
        return;
      default:
        // bigint: superjson restores it, JSON cannot.
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
  return plain ? undefinedPaths : undefined;
}

/** A path segment as superjson writes it in annotations: `.` and `\\` escaped with a backslash. */
function escapeKey(key: string): string {
  return key.replace(/\\/g, "\\\\").replace(/\./g, "\\.");
}

/** A Map key as a path segment shows it: primitives as text, objects by kind (they may not convert to text). */
function describeKey(key: unknown): string {
  if (typeof key === "object" && key !== null) return Array.isArray(key) ? "<array>" : "<object>";
  return typeof key === "symbol" ? key.toString() : String(key);
}
