// The deliberate conversions of the codec: class instances become plain objects and array holes become undefined,
// in a copy, before the value is written. Never mutates the caller's value; runs only when inspection asks for it.
import { UnencodableValueError, ValueTooDeepError } from "./errors.js";
import { isLeafObject } from "./value-inspection.js";

/**
 * A copy of `value` in which every class instance is a plain object of its own enumerable properties (or, if it
 * has a `toJSON()` method, the value that returns, as `JSON.stringify` would use), and every array hole is
 * `undefined`. Shared references stay shared. Values superjson restores as they are (Date, Map, Set, RegExp, URL,
 * Error, typed arrays) are kept; their contents are converted too.
 *
 * @example
 * class Point { constructor(public x: number, public y: number) {} }
 * normalizeValue({ at: new Point(1, 2), list: [1, , 3] }, "The result", 256);
 * // { at: { x: 1, y: 2 }, list: [1, undefined, 3] }, with Object.prototype as the prototype of `at`
 */
export function normalizeValue(value: unknown, what: string, maxDepth: number, envelopeDepth = 0): unknown {
  return new Normalization(what, maxDepth).copy(value, -envelopeDepth);
}

class Normalization {
  readonly #what: string;
  readonly #maxDepth: number;
  /** Original object → its copy, so that shared references stay shared. */
  readonly #copies = new Map<object, unknown>();

  constructor(what: string, maxDepth: number) {
    this.#what = what;
    this.#maxDepth = maxDepth;
  }

  copy(value: unknown, depth: number): unknown {
    if (typeof value !== "object" || value === null) return value;
    const known = this.#copies.get(value);
    if (known !== undefined || this.#copies.has(value)) return known;
    // The value was checked before, but what toJSON() returns was not: it may nest deeper.
    if (depth >= this.#maxDepth && !isLeafObject(value))
      throw new ValueTooDeepError(this.#what, "value…", this.#maxDepth);
    if (Array.isArray(value)) {
      const copy: unknown[] = new Array<unknown>(value.length);
      this.#copies.set(value, copy);
      for (let index = 0; index < value.length; index++) copy[index] = this.copy(value[index], depth + 1);
      return copy;
    }
    if (value instanceof Map) {
      const copy = new Map<unknown, unknown>();
      this.#copies.set(value, copy);
      for (const [key, entry] of value) copy.set(this.copy(key, depth + 1), this.copy(entry, depth + 1));
      return copy;
    }
    if (value instanceof Set) {
      const copy = new Set<unknown>();
      this.#copies.set(value, copy);
      for (const entry of value) copy.add(this.copy(entry, depth + 1));
      return copy;
    }
    if (value instanceof Date || value instanceof RegExp || value instanceof URL || value instanceof Error)
      return value;
    if (ArrayBuffer.isView(value)) return value;
    const prototype: unknown = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return this.#copyToJSON(value, toJSON as (key: string) => unknown, depth);
    }
    const copy: Record<string, unknown> = prototype === null ? (Object.create(null) as Record<string, unknown>) : {};
    this.#copies.set(value, copy);
    for (const key of Object.keys(value)) copy[key] = this.copy((value as Record<string, unknown>)[key], depth + 1);
    return copy;
  }

  #copyToJSON(value: object, toJSON: (key: string) => unknown, depth: number): unknown {
    let converted: unknown;
    try {
      converted = toJSON.call(value, "");
    } catch (error) {
      throw new UnencodableValueError(
        this.#what,
        "value…",
        `a class instance whose toJSON() threw (${error instanceof Error ? error.message : String(error)})`,
      );
    }
    // A toJSON() that returns another instance with toJSON() is converted once more, at one more level.
    const copy = this.copy(converted, depth + 1);
    this.#copies.set(value, copy);
    return copy;
  }
}
