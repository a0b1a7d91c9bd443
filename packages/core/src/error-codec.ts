// Errors ⇄ their stored form (ErrorInfo): name, message, stack, class, data fields and cause chain, bounded.
// toErrorInfo never throws and always returns something the codec can store; fromErrorInfo never calls a constructor.
import { encodeDocument } from "./codec.js";
import { errorClassNameOf, registeredErrorClass } from "./error-registry.js";
import { MAX_VALUE_DEPTH, REFUSED_KEYS } from "./value-inspection.js";

/**
 * An error as stored in the log (`step_failed`, `run_failed`) and in a failed run's row. Logs written before
 * `className`, `fields` and `cause` existed hold only name, message and stack, and still decode.
 *
 * @example
 * const info: ErrorInfo = {
 *   name: "Error",
 *   message: "card declined",
 *   className: "Declined",
 *   fields: { code: "insufficient_funds" },
 * };
 */
export interface ErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  /** The class the error was an instance of (its registered name), when that is not `name`. */
  readonly className?: string | undefined;
  /** The error's own enumerable data fields (`code`, `status`, ...) that the codec can store. */
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
  /** The error's `cause`, stored the same way. */
  readonly cause?: ErrorInfo | undefined;
}

/**
 * Causes kept below the thrown error; a longer chain is cut (a cycle ends it too).
 *
 * @example
 * let info: ErrorInfo | undefined = toErrorInfo(error);
 * for (let causes = 0; info?.cause !== undefined; causes++) info = info.cause; // causes <= MAX_ERROR_CAUSE_DEPTH
 */
export const MAX_ERROR_CAUSE_DEPTH = 8;

/**
 * Characters kept of a stored error's name; longer ones end in "… (N more characters)".
 *
 * @example
 * toErrorInfo(Object.assign(new Error("x"), { name: "N".repeat(1000) })).name.length; // about MAX_ERROR_NAME_LENGTH
 */
export const MAX_ERROR_NAME_LENGTH = 256;

/**
 * Characters kept of a stored error's message; longer ones end in "… (N more characters)".
 *
 * @example
 * toErrorInfo(new Error("x".repeat(10_000))).message; // "xxx…x… (1808 more characters)"
 */
export const MAX_ERROR_MESSAGE_LENGTH = 8192;

/**
 * Characters kept of a stored error's stack; longer ones end in "… (N more characters)".
 *
 * @example
 * (toErrorInfo(error).stack ?? "").length <= MAX_ERROR_STACK_LENGTH + 40; // true
 */
export const MAX_ERROR_STACK_LENGTH = 16384;

/**
 * Bytes of data fields kept per error (encoded); fields past the budget are left out.
 *
 * @example
 * toErrorInfo(Object.assign(new Error("x"), { code: "E1", dump: "d".repeat(20_000) })).fields; // { code: "E1" }
 */
export const MAX_ERROR_FIELDS_BYTES = 8 * 1024;

/**
 * Bytes one stored error may take encoded, causes included; the deepest causes go first until it fits.
 *
 * @example
 * Buffer.byteLength(encodeValue(toErrorInfo(error), "e", Infinity)) <= MAX_ERROR_INFO_BYTES; // true
 */
export const MAX_ERROR_INFO_BYTES = 96 * 1024;

/**
 * Nesting left for a data field: an error sits in an event (1 level), each cause adds one, and `fields` one more.
 * With it, any ErrorInfo toErrorInfo returns encodes within MAX_VALUE_DEPTH.
 */
const MAX_FIELD_DEPTH = MAX_VALUE_DEPTH - MAX_ERROR_CAUSE_DEPTH - 3;

/** Class names of decoded errors whose class is not registered here (they decode as plain Errors). */
const decodedClassNames = new WeakMap<Error, string>();

/** Own enumerable properties that are not data fields: stored on their own, or not at all. */
const NOT_FIELDS = new Set(["name", "message", "stack", "cause"]);

/**
 * Turns anything thrown into the stored error shape. Keeps name, message, stack, the class (for
 * `registerErrorClass`), own enumerable data fields the codec can store, and the `cause` chain; drops fields
 * that cannot be stored (functions, cycles, ...) and replaces lone surrogates in texts with U+FFFD.
 *
 * @example
 * toErrorInfo(Object.assign(new Error("no"), { code: "E42" })); // { name: "Error", message: "no", stack, fields: { code: "E42" } }
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  const info = infoOf(error, 0, new Set());
  return fitted(info);
}

function infoOf(error: unknown, level: number, seen: Set<unknown>): ErrorInfo {
  if (!(error instanceof Error)) {
    const message = typeof error === "string" ? error : `Non-error value thrown: ${safeString(error)}`;
    return { name: "Error", message: text(message, MAX_ERROR_MESSAGE_LENGTH) };
  }
  seen.add(error);
  const name = text(read(error, "name", "Error"), MAX_ERROR_NAME_LENGTH);
  const info: { -readonly [K in keyof ErrorInfo]: ErrorInfo[K] } = {
    name,
    message: text(read(error, "message", ""), MAX_ERROR_MESSAGE_LENGTH),
  };
  const stack = read(error, "stack", undefined);
  if (stack !== undefined) info.stack = text(stack, MAX_ERROR_STACK_LENGTH);
  const className = decodedClassNames.get(error) ?? errorClassNameOf(error);
  if (className !== undefined && className !== name && className !== "Error") info.className = className;
  const fields = dataFields(error);
  if (fields !== undefined) info.fields = fields;
  let cause: unknown;
  try {
    cause = "cause" in error ? error.cause : undefined;
  } catch {
    cause = undefined;
  }
  if (cause !== undefined && level < MAX_ERROR_CAUSE_DEPTH && !seen.has(cause)) {
    info.cause = infoOf(cause, level + 1, seen);
  }
  return info;
}

/** The own enumerable data fields of an error that the codec can store, within MAX_ERROR_FIELDS_BYTES. */
function dataFields(error: Error): Record<string, unknown> | undefined {
  let fields: Record<string, unknown> | undefined;
  let budgetBytes = MAX_ERROR_FIELDS_BYTES;
  for (const key of Object.keys(error)) {
    if (NOT_FIELDS.has(key) || REFUSED_KEYS.has(key) || !key.isWellFormed()) continue;
    try {
      const value = (error as unknown as Record<string, unknown>)[key];
      const encoded = encodeDocument(value, "an error field", budgetBytes, MAX_FIELD_DEPTH);
      budgetBytes -= Buffer.byteLength(encoded, "utf8") + key.length;
      fields ??= {};
      fields[key] = value;
    } catch {
      // A field that cannot be stored (a function, a cycle, a socket, too large) is left out, as documented.
    }
  }
  return fields;
}

/** Cuts the deepest causes, then the stack and fields, until the error fits in MAX_ERROR_INFO_BYTES. */
function fitted(info: ErrorInfo): ErrorInfo {
  let current = info;
  for (;;) {
    try {
      encodeDocument(current, "an error", MAX_ERROR_INFO_BYTES, MAX_VALUE_DEPTH);
      return current;
    } catch {
      const shorter = withoutDeepestCause(current);
      const { name, message, className } = current;
      const bare: ErrorInfo = className === undefined ? { name, message } : { name, message, className };
      if (shorter !== undefined) current = shorter;
      else if (current.stack !== undefined || current.fields !== undefined) current = bare;
      else return { ...bare, message: text(message, 1024) };
    }
  }
}

function withoutDeepestCause(info: ErrorInfo): ErrorInfo | undefined {
  if (info.cause === undefined) return undefined;
  const { cause, ...rest } = info;
  const shorter = withoutDeepestCause(cause);
  return shorter === undefined ? rest : { ...rest, cause: shorter };
}

/**
 * Rebuilds an error from its stored form: an instance of the class registered under its `className` (or
 * `name`), else a plain `Error`, with the stored name, message, stack, data fields and cause. The class's
 * constructor is never called (the instance is created with `Reflect.construct(Error, [message], Class)`).
 *
 * @example
 * const error = fromErrorInfo({ name: "TypeError", message: "bad" }); // error instanceof TypeError
 */
export function fromErrorInfo(info: ErrorInfo): Error {
  return errorOf(info, 0);
}

function errorOf(info: ErrorInfo, level: number): Error {
  const message = typeof info.message === "string" ? info.message : String(info.message);
  const name = typeof info.name === "string" ? info.name : "Error";
  const className = typeof info.className === "string" ? info.className : undefined;
  const errorClass =
    (className === undefined ? undefined : registeredErrorClass(className)) ?? registeredErrorClass(name);
  // Error's own constructor with the class as new.target: a real Error object with the class's prototype,
  // made without running the class's constructor (which may expect other arguments, or have side effects).
  const error = Reflect.construct(Error, [message], errorClass ?? Error) as Error;
  // An unregistered class is remembered, so that the error keeps it when it is stored again (as a cause).
  if (className !== undefined && errorClassNameOf(error) !== className) decodedClassNames.set(error, className);
  if (error.name !== name) define(error, "name", name, true);
  define(error, "stack", typeof info.stack === "string" ? info.stack : `${name}: ${message}`, false);
  const fields = info.fields;
  if (typeof fields === "object" && fields !== null) {
    for (const key of Object.keys(fields)) {
      if (!NOT_FIELDS.has(key) && !REFUSED_KEYS.has(key)) define(error, key, fields[key], true);
    }
  }
  if (typeof info.cause === "object" && info.cause !== null && level < MAX_ERROR_CAUSE_DEPTH + 1) {
    define(error, "cause", errorOf(info.cause, level + 1), false);
  }
  return error;
}

/** Own data property, whatever the prototype declares (a getter-only `code` there would make `=` throw). */
function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, enumerable, writable: true, configurable: true });
}

/** Whether a decoded value has the shape of an ErrorInfo (recursively, through a bounded cause chain). */
export function isErrorInfo(value: unknown, level = 0): boolean {
  if (typeof value !== "object" || value === null) return false;
  const info = value as Record<string, unknown>;
  return (
    typeof info.name === "string" &&
    typeof info.message === "string" &&
    (info.stack === undefined || typeof info.stack === "string") &&
    (info.className === undefined || typeof info.className === "string") &&
    (info.fields === undefined || (typeof info.fields === "object" && info.fields !== null)) &&
    (info.cause === undefined || (level <= MAX_ERROR_CAUSE_DEPTH && isErrorInfo(info.cause, level + 1)))
  );
}

/** A property of a thrown error as text; a getter that throws or a non-string gives the fallback. */
function read<T extends string | undefined>(error: Error, key: "name" | "message" | "stack", fallback: T): string | T {
  try {
    const value: unknown = error[key];
    return typeof value === "string" ? value : fallback;
  } catch {
    return fallback;
  }
}

/** Cut to `maxLength` and made well-formed, so that an error always fits in the log and always encodes. */
function text(value: string, maxLength: number): string {
  const wellFormed = value.toWellFormed();
  if (wellFormed.length <= maxLength) return wellFormed;
  return `${wellFormed.slice(0, maxLength).toWellFormed()}… (${wellFormed.length - maxLength} more characters)`;
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      return "(a value that cannot be shown)";
    }
  }
}
