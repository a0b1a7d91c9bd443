// The walk behind encodeValue: refuses what cannot be stored (naming the path), and tells JSON-shaped values from
// those only superjson can write. Pure; builds path strings only for errors and for `undefined` annotations.
import { UnencodableValueError } from "./errors.js";

/** Property names superjson refuses to write (prototype pollution guards). */
const REFUSED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** A step of a path: an object key or array index as it is, or a label for a Map or Set entry. */
type PathSegment = string | number | { readonly label: string };

/**
 * Throws UnencodableValueError naming the path of the first value superjson would drop, mangle or refuse.
 * Otherwise returns where the value holds `undefined` (superjson's dotted, escaped paths; "" for the value
 * itself) if it is JSON apart from those, or `undefined` if only superjson can write it.
 *
 * @example
 * inspectValue({ name: "a", result: undefined }, "step result"); // ["result"]
 * inspectValue({ at: new Date() }, "step result"); // undefined: superjson writes it
 */
export function inspectValue(value: unknown, what: string): string[] | undefined {
  const walk = new ValueWalk(what);
  walk.visit(value);
  return walk.plain ? walk.undefinedPaths : undefined;
}

/** One walk over one value (a class, not closures: this runs for every value the engine stores). */
class ValueWalk {
  /** Whether JSON (plus `undefined` annotations) can carry everything seen so far. */
  plain = true;
  readonly undefinedPaths: string[] = [];
  readonly #what: string;
  readonly #path: PathSegment[] = [];
  readonly #ancestors: object[] = [];
  readonly #seen = new Set<object>();

  constructor(what: string) {
    this.#what = what;
  }

  visit(current: unknown): void {
    switch (typeof current) {
      case "string":
      case "boolean":
        return;
      case "number":
        if (!Number.isFinite(current) || Object.is(current, -0)) this.plain = false;
        return;
      case "function":
        return this.#fail("a function");
      case "symbol":
        return this.#fail("a symbol");
      case "undefined":
        // While the value is still plain, the path holds only keys and indexes (labels come with Map and Set).
        if (this.plain) this.undefinedPaths.push(this.#path.map(annotationSegment).join("."));
        return;
      case "object":
        if (current !== null) this.#visitObject(current);
        return;
      default:
        // bigint: superjson restores it, JSON cannot.
        this.plain = false;
    }
  }

  #visitObject(current: object): void {
    if (this.#seen.has(current)) {
      if (this.#ancestors.includes(current)) this.#fail("a circular reference");
      // The same object twice: superjson restores the shared reference, JSON would make two copies.
      this.plain = false;
      return;
    }
    this.#seen.add(current);
    this.#ancestors.push(current);
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) {
        // A hole reads as undefined, and JSON would turn it into null.
        if (!(index in current)) this.plain = false;
        this.#visitEntry(index, current[index]);
      }
    } else if (current instanceof Map) {
      this.plain = false;
      for (const [key, entry] of current) {
        this.#visitEntry({ label: ".<map key>" }, key);
        this.#visitEntry({ label: `.get(${describeKey(key)})` }, entry);
      }
    } else if (current instanceof Set) {
      this.plain = false;
      for (const entry of current) this.#visitEntry({ label: ".<set entry>" }, entry);
    } else if (current instanceof Date || current instanceof RegExp || current instanceof URL) {
      this.plain = false;
    } else {
      const prototype: unknown = Object.getPrototypeOf(current);
      const plainObject = prototype === Object.prototype || prototype === null;
      if (!plainObject) this.plain = false;
      for (const key of Object.keys(current)) {
        if (plainObject && REFUSED_KEYS.has(key)) {
          this.#path.push(key);
          this.#fail(`a property named '${key}' (refused by the codec as a prototype-pollution risk; rename it)`);
        }
        this.#visitEntry(key, (current as Record<string, unknown>)[key]);
      }
    }
    this.#ancestors.pop();
  }

  #visitEntry(segment: PathSegment, entry: unknown): void {
    this.#path.push(segment);
    this.visit(entry);
    this.#path.pop();
  }

  #fail(reason: string): never {
    const rendered = this.#path.map((segment) => (typeof segment === "object" ? segment.label : `.${segment}`));
    throw new UnencodableValueError(this.#what, `value${rendered.join("")}`, reason);
  }
}

/** A path segment as superjson writes it in annotations: `.` and `\` escaped with a backslash. */
function annotationSegment(segment: PathSegment): string {
  const key = typeof segment === "object" ? segment.label : String(segment);
  return key.replace(/\\/g, "\\\\").replace(/\./g, "\\.");
}

/** A Map key as a path segment shows it: primitives as text, objects by kind (they may not convert to text). */
function describeKey(key: unknown): string {
  if (typeof key === "object" && key !== null) return Array.isArray(key) ? "<array>" : "<object>";
  return typeof key === "symbol" ? key.toString() : String(key);
}
