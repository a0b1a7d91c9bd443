// The walk behind encodeValue: refuses what cannot be stored (naming the path), and tells JSON-shaped values from
// those only superjson can write. Pure; builds path strings only for errors and for `undefined` annotations.
import { UnencodableValueError, ValueTooDeepError } from "./errors.js";
import { loneSurrogateIndex } from "./well-formed.js";

/**
 * How many levels of objects, arrays, Maps and Sets a stored value may nest (a value `[[1]]` nests 2 levels).
 * Encoding and decoding walk values recursively, and the stack of a Node.js thread overflows somewhere near
 * 1,800 levels (less inside deep user code): 256 leaves room for the caller's own stack and for Reprise's
 * envelope around a value (an event, an error's cause chain), and no real workflow value comes close.
 *
 * @example
 * let tree: unknown = "leaf";
 * for (let i = 0; i < MAX_VALUE_DEPTH + 1; i++) tree = { child: tree };
 * encodeValue(tree, "The tree", DEFAULT_MAX_PAYLOAD_BYTES); // throws ValueTooDeepError
 */
export const MAX_VALUE_DEPTH = 256;

/** Property names superjson refuses to write (prototype pollution guards). */
export const REFUSED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** A step of a path: an object key or array index as it is, or a label for a Map or Set entry. */
type PathSegment = string | number | { readonly label: string };

/** Path segments shown at most in an error; the rest of a deep path is elided. */
const MAX_PATH_SEGMENTS_SHOWN = 12;

/** Objects the codec refuses outright, with the reason shown to the user (checked only for non-plain objects). */
const REFUSED_CLASSES: readonly (readonly [abstract new (...args: never[]) => object, string])[] = [
  [Promise, "a Promise (await it and store its value)"],
  [WeakMap, "a WeakMap (use a Map)"],
  [WeakSet, "a WeakSet (use a Set)"],
  [WeakRef, "a WeakRef"],
  [ArrayBuffer, "an ArrayBuffer (store a Uint8Array over it)"],
  [SharedArrayBuffer, "a SharedArrayBuffer (store a Uint8Array copy)"],
  [DataView, "a DataView (store a Uint8Array over its buffer)"],
  [BigInt64Array, "a BigInt64Array (store an array of bigints)"],
  [BigUint64Array, "a BigUint64Array (store an array of bigints)"],
  [Number, "a boxed Number (store the primitive number)"],
  [String, "a boxed String (store the primitive string)"],
  [Boolean, "a boxed Boolean (store the primitive boolean)"],
];

/** What the walk found out about a value. */
export interface ValueInspection {
  /** Whether JSON (plus `undefined` annotations) can carry the value; if not, only superjson can write it. */
  readonly plain: boolean;
  /** Where a plain value holds `undefined`: each path as its segments, escaped as superjson escapes them. */
  readonly undefinedPaths: readonly (readonly string[])[];
  /** The value holds class instances or array holes, stored converted (see `normalizeValue`). */
  readonly needsNormalizing: boolean;
}

/**
 * Throws UnencodableValueError naming the path of the first value superjson would drop, mangle or refuse
 * (ValueTooDeepError past `maxDepth` levels, not counting the `envelopeDepth` levels Reprise wraps around the
 * user's value, e.g. an event's fields). Otherwise tells how the value can be written.
 *
 * @example
 * inspectValue({ name: "a", result: undefined }, "step result").undefinedPaths; // [["result"]]
 * inspectValue({ at: new Date() }, "step result").plain; // false: superjson writes it
 */
export function inspectValue(
  value: unknown,
  what: string,
  maxDepth: number = MAX_VALUE_DEPTH,
  envelopeDepth = 0,
): ValueInspection {
  const walk = new ValueWalk(what, maxDepth, envelopeDepth);
  walk.visit(value);
  return walk;
}

/** One walk over one value (a class, not closures: this runs for every value the engine stores). */
class ValueWalk implements ValueInspection {
  plain = true;
  needsNormalizing = false;
  readonly undefinedPaths: string[][] = [];
  readonly #what: string;
  readonly #maxDepth: number;
  readonly #envelopeDepth: number;
  readonly #path: PathSegment[] = [];
  readonly #ancestors: object[] = [];
  readonly #seen = new Set<object>();

  constructor(what: string, maxDepth: number, envelopeDepth: number) {
    this.#what = what;
    this.#maxDepth = maxDepth;
    this.#envelopeDepth = envelopeDepth;
  }

  visit(current: unknown): void {
    switch (typeof current) {
      case "string":
        // SQLite stores UTF-8, where a lone surrogate has no encoding: it would come back as U+FFFD.
        if (!current.isWellFormed()) {
          this.#fail(
            `a string that is not well-formed Unicode (a lone surrogate at index ${loneSurrogateIndex(current)})`,
          );
        }
        return;
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
        if (this.plain) this.undefinedPaths.push(this.#path.map(annotationSegment));
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
    // Checked before going deeper, so that neither this walk nor superjson's ever recurses past the limit. A Date
    // or another leaf at the bottom is no level of its own: nothing recurses into it.
    if (this.#ancestors.length >= this.#maxDepth + this.#envelopeDepth && !isLeafObject(current)) {
      throw new ValueTooDeepError(this.#what, renderPath(this.#path), this.#maxDepth);
    }
    this.#seen.add(current);
    this.#ancestors.push(current);
    if (Array.isArray(current)) {
      for (let index = 0; index < current.length; index++) {
        // A hole reads as undefined, and JSON would turn it into null: it is stored as undefined instead.
        if (!(index in current)) this.needsNormalizing = true;
        this.#visitEntry(index, current[index]);
      }
      if (this.needsNormalizing) this.plain = false;
    } else {
      const prototype: unknown = Object.getPrototypeOf(current);
      if (prototype === Object.prototype || prototype === null) this.#visitProperties(current);
      else this.#visitInstance(current);
    }
    this.#ancestors.pop();
  }

  /** Anything but a plain object or an array: a value superjson knows, or a class instance. */
  #visitInstance(current: object): void {
    this.plain = false;
    if (current instanceof Map) {
      for (const [key, entry] of current) {
        this.#visitEntry({ label: ".<map key>" }, key);
        this.#visitEntry({ label: `.get(${describeKey(key)})` }, entry);
      }
    } else if (current instanceof Set) {
      for (const entry of current) this.#visitEntry({ label: ".<set entry>" }, entry);
    } else if (current instanceof Date) {
      // superjson would write an Invalid Date as null, and read it back as null.
      if (Number.isNaN(current.getTime())) this.#fail("an Invalid Date (its time is NaN)");
    } else if (current instanceof RegExp || current instanceof URL) {
      return;
    } else if (current instanceof Error) {
      // superjson keeps an Error's name, message and cause (walked here: it may hold anything).
      if ("cause" in current) this.#visitEntry("cause", current.cause);
    } else if (ArrayBuffer.isView(current) && !(current instanceof DataView) && !isBigIntArray(current)) {
      return; // a typed array of numbers: superjson restores it
    } else {
      for (const [refusedClass, reason] of REFUSED_CLASSES) {
        if (current instanceof refusedClass) this.#fail(reason);
      }
      // Any other class instance is stored as a plain object (see normalizeValue); one with toJSON() as the
      // value toJSON() returns, checked once it is known.
      this.needsNormalizing = true;
      if (typeof (current as { toJSON?: unknown }).toJSON !== "function") this.#visitProperties(current);
    }
  }

  /** An object's own enumerable properties: what is stored of a plain object or a class instance. */
  #visitProperties(current: object): void {
    for (const key of Object.keys(current)) {
      if (REFUSED_KEYS.has(key)) {
        this.#path.push(key);
        this.#fail(`a property named '${key}' (refused by the codec as a prototype-pollution risk; rename it)`);
      }
      if (!key.isWellFormed()) {
        this.#fail(
          `a property name that is not well-formed Unicode (${JSON.stringify(key)}, a lone surrogate at index ` +
            `${loneSurrogateIndex(key)})`,
        );
      }
      this.#visitEntry(key, (current as Record<string, unknown>)[key]);
    }
    // Symbol-keyed properties have no place in stored text: refuse them rather than drop them.
    for (const symbol of Object.getOwnPropertySymbols(current)) {
      if (Object.prototype.propertyIsEnumerable.call(current, symbol)) {
        this.#fail(`a property keyed by ${symbol.toString()} (symbol keys cannot be stored; use a string key)`);
      }
    }
  }

  #visitEntry(segment: PathSegment, entry: unknown): void {
    this.#path.push(segment);
    this.visit(entry);
    this.#path.pop();
  }

  #fail(reason: string): never {
    throw new UnencodableValueError(this.#what, renderPath(this.#path), reason);
  }
}

/** A path as errors show it, e.g. `value.items.3.get(k)`; past a few segments only its start and its length. */
function renderPath(path: readonly PathSegment[]): string {
  const shown = path.slice(0, MAX_PATH_SEGMENTS_SHOWN).map(renderSegment).join("");
  return path.length <= MAX_PATH_SEGMENTS_SHOWN ? `value${shown}` : `value${shown}… (${path.length} levels)`;
}

function renderSegment(segment: PathSegment): string {
  if (typeof segment === "object") return segment.label;
  // A key that is not well-formed is shown escaped, so that the error itself can be stored.
  return typeof segment === "string" && !segment.isWellFormed() ? `.${JSON.stringify(segment)}` : `.${segment}`;
}

/** A path segment as superjson writes it in annotations: `.` and `\` escaped with a backslash. */
function annotationSegment(segment: PathSegment): string {
  const key = typeof segment === "object" ? segment.label : String(segment);
  return key.replace(/\\/g, "\\\\").replace(/\./g, "\\.");
}

/** A Map key as a path segment shows it: primitives as text, objects by kind (they may not convert to text). */
function describeKey(key: unknown): string {
  if (typeof key === "object" && key !== null) return Array.isArray(key) ? "<array>" : "<object>";
  if (typeof key === "string" && !key.isWellFormed()) return JSON.stringify(key);
  return typeof key === "symbol" ? key.toString() : String(key);
}

function isBigIntArray(view: ArrayBufferView): boolean {
  return view instanceof BigInt64Array || view instanceof BigUint64Array;
}

/**
 * Objects stored without looking inside them, which add no level of nesting (checked only at the depth limit).
 *
 * @example
 * isLeafObject(new Date()); // true
 */
export function isLeafObject(value: object): boolean {
  return (
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof URL ||
    (ArrayBuffer.isView(value) && !(value instanceof DataView))
  );
}
