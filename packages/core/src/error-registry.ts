// Which Error classes a stored error can be decoded into, by name: JavaScript's own, Reprise's, and the user's.
// Module-level, because replay decodes errors without an engine; it never constructs anything itself.
import * as repriseErrors from "./errors.js";

/** An Error class, whatever its constructor takes (decoding never calls it). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** Options of `registerErrorClass`. */
export interface RegisterErrorClassOptions {
  /**
   * The name the class is stored and looked up under; defaults to the class's own `name`. Set it when a bundler
   * or minifier renames classes, so that it stays the same across builds.
   */
  readonly name?: string;
}

const classesByName = new Map<string, ErrorClass>();
const namesByPrototype = new Map<object, string>();

/**
 * Lets errors of this class decode as instances of it again (`instanceof` works on a `StepFailedError`'s `cause`
 * and on `RunFailedError.cause` after a replay, a restart or in another process). Register the class in every
 * process that runs or reads the workflow, at module load, before the engine starts. Decoding never calls the
 * constructor: the instance is created with the class's prototype, and its stored message, stack, data fields
 * and cause are assigned. Registering another class under a name already taken replaces the earlier one.
 * JavaScript's error classes and every Reprise error class are registered already.
 *
 * @example
 * class Declined extends Error {
 *   code = "insufficient_funds";
 * }
 * registerErrorClass(Declined);
 * // later, in the workflow:
 * try { yield* step("charge", charge); }
 * catch (e) { if (e instanceof StepFailedError && e.cause instanceof Declined) return e.cause.code; }
 */
export function registerErrorClass(errorClass: ErrorClass, options: RegisterErrorClassOptions = {}): void {
  if (typeof errorClass !== "function" || !(errorClass.prototype instanceof Error || errorClass === Error)) {
    throw new repriseErrors.InvalidArgumentError(
      `registerErrorClass() takes an Error class (a class that extends Error), not ${describe(errorClass)}.`,
    );
  }
  const name = options.name ?? errorClass.name;
  if (typeof name !== "string" || name.length === 0 || name.length > 256 || !name.isWellFormed()) {
    throw new repriseErrors.InvalidArgumentError(
      `registerErrorClass() needs a name of 1 to 256 well-formed characters for this class (got ${describe(name)}); ` +
        `pass registerErrorClass(MyError, { name: "MyError" }).`,
    );
  }
  const previous = classesByName.get(name);
  if (previous !== undefined) namesByPrototype.delete(previous.prototype as object);
  classesByName.set(name, errorClass);
  namesByPrototype.set(errorClass.prototype as object, name);
}

/** The class registered under `name`, if any. */
export function registeredErrorClass(name: string): ErrorClass | undefined {
  return classesByName.get(name);
}

/** The name an error's own class is registered under, or its constructor's name if it is not registered. */
export function errorClassNameOf(error: Error): string | undefined {
  const prototype: unknown = Object.getPrototypeOf(error);
  if (typeof prototype !== "object" || prototype === null) return undefined;
  const registered = namesByPrototype.get(prototype);
  if (registered !== undefined) return registered;
  const constructor = (prototype as { constructor?: unknown }).constructor;
  const name = typeof constructor === "function" ? constructor.name : undefined;
  return typeof name === "string" && name.length > 0 && name.length <= 256 && name.isWellFormed() ? name : undefined;
}

function describe(value: unknown): string {
  if (typeof value === "function") return `the function ${value.name || "(anonymous)"}`;
  if (typeof value === "string") return JSON.stringify(value);
  return value === null ? "null" : typeof value;
}

for (const builtIn of [
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
]) {
  registerErrorClass(builtIn);
}
// Every error class errors.ts exports, so that a new one is registered without anyone having to remember it.
for (const exported of Object.values(repriseErrors)) {
  if (typeof exported === "function" && exported.prototype instanceof Error) registerErrorClass(exported);
}
