// Catches workflow code that reads the clock or randomness directly: while a workflow's generator runs (one
// next()/throw()/return()), Date, Math.random, crypto and performance.now report calls; step functions never see it.
// Must never leave a global swapped after the generator step returns or throws, and never change a value it allows.
import nodeCryptoModule, { type webcrypto } from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import type { Performance } from "node:perf_hooks";
import { NondeterministicCallError, type NondeterministicCall } from "./errors.js";

/** Reports a call for the guard whose generator step is running. */
type Reporter = (call: NondeterministicCall) => never;
/** The guard whose generator step is running, if any. Guarded functions delegate to the real ones without it. */
let current: Reporter | undefined;
/** Set while the guard inspects a call: anything the inspection itself calls uses the real functions. */
let inspecting = false;

/**
 * Runs pieces of one workflow's code (its generator steps) with the clock and randomness guarded. A call of
 * `Date.now()`, `new Date()` (no arguments), `Date()`, `Math.random()`, `crypto.randomUUID()`,
 * `crypto.getRandomValues()`, `performance.now()` or node:crypto's `randomUUID()` throws a
 * NondeterministicCallError at the call and is reported to `onCall`; `run()` then throws it too, even when
 * the workflow caught it, so the run fails. Outside `run()`, and in step functions (which the engine calls
 * between generator steps), every function is the real one.
 *
 * @example
 * const guard = new NondeterminismGuard("order", (error) => found.push(error));
 * const first = guard.run(() => generator.next());
 */
export class NondeterminismGuard {
  readonly workflow: string;
  readonly #onCall: (error: NondeterministicCallError) => void;
  /** The first call reported during the current `run()`. */
  #caught: NondeterministicCallError | undefined;
  /** What guarded functions call while this guard runs. */
  readonly #reporter: Reporter = (call) => this.report(call);

  constructor(workflow: string, onCall: (error: NondeterministicCallError) => void) {
    this.workflow = workflow;
    this.#onCall = onCall;
  }

  /** Runs `body` (one generator step) guarded; throws the first reported call even if `body` caught it. */
  run<T>(body: () => T): T {
    const previous = current;
    const restore = previous === undefined ? installGuards() : undefined;
    const outerCaught = this.#caught;
    current = this.#reporter;
    this.#caught = undefined;
    try {
      const result = body();
      const caught = this.#caughtCall();
      if (caught !== undefined) throw caught;
      return result;
    } catch (error) {
      throw this.#caughtCall() ?? error;
    } finally {
      current = previous;
      this.#caught = outerCaught;
      restore?.();
    }
  }

  /** Records the call, tells the owner and throws at the call site. */
  report(call: NondeterministicCall): never {
    const error = new NondeterministicCallError({ workflow: this.workflow, call });
    this.#caught ??= error;
    this.#onCall(error);
    throw error;
  }

  #caughtCall(): NondeterministicCallError | undefined {
    return this.#caught;
  }
}

/** Returns a version of `real` that reports `call` while a guard runs, and is `real` otherwise. */
function guarded<A extends unknown[], R>(
  call: NondeterministicCall,
  real: (...args: A) => R,
  allowed?: () => boolean,
): (...args: A) => R {
  const wrapper = function (this: unknown, ...args: A): R {
    const report = current;
    if (report === undefined || inspecting || allowed?.() === true) return real.apply(this, args);
    return report(call);
  };
  Object.defineProperty(wrapper, ORIGINAL, { value: real });
  return wrapper;
}

/** Marks wrappers with the function they wrap, across copies of this module, so wrapping never stacks. */
const ORIGINAL = Symbol.for("@reprise/testing.original");

function original<F>(fn: F): F {
  return (fn as { [ORIGINAL]?: F } | undefined)?.[ORIGINAL] ?? fn;
}

/**
 * luxon reads Date.now() to guess a zone offset while it builds a DateTime from a complete date
 * (`DateTime.fromISO("2030-01-01T10:00")`, `fromObject({ year: 2030 })`, `local(2030, 1, 1)`): the result does
 * not depend on the value, so those calls are allowed. `DateTime.now()` and `DateTime.utc()` are still reported.
 */
function calledForLuxonOffsetGuess(): boolean {
  inspecting = true;
  try {
    const frames = (new Error().stack ?? "").split("\n").slice(1, 6);
    const settingsAt = frames.findIndex((frame) => /\bSettings\.now\b.*[\\/]luxon[\\/]/.test(frame));
    const caller = settingsAt === -1 ? undefined : frames[settingsAt + 1];
    return caller !== undefined && /\b(DateTime\.fromObject|guessOffsetForZone)\b.*[\\/]luxon[\\/]/.test(caller);
  } finally {
    inspecting = false;
  }
}

let dateProxy: { readonly real: DateConstructor; readonly proxy: DateConstructor } | undefined;

/** The Date constructor with `Date.now()`, `new Date()` and `Date()` guarded; `instanceof Date` still works. */
function guardedDate(real: DateConstructor): DateConstructor {
  if (dateProxy?.real === real) return dateProxy.proxy;
  const now = guarded("Date.now()", real.now.bind(real), calledForLuxonOffsetGuess);
  const proxy: DateConstructor = new Proxy(real, {
    construct(target, args, newTarget) {
      const report = current;
      if (args.length === 0 && report !== undefined && !inspecting) report("new Date()");
      return Reflect.construct(target, args, newTarget === proxy ? target : newTarget) as object;
    },
    apply(target, self, args) {
      const report = current;
      if (report !== undefined && !inspecting) report("Date()");
      return Reflect.apply(target, self, args) as unknown;
    },
    get(target, property) {
      if (property === "now") return now;
      return Reflect.get(target, property, target) as unknown;
    },
  });
  dateProxy = { real, proxy };
  return proxy;
}

/** Swaps the guarded functions in; returns what puts the previous ones back. */
function installGuards(): () => void {
  wrapNodeCryptoOnce();
  const restores: (() => void)[] = [];
  const swap = (target: object, key: string, value: unknown): void => {
    const previous = Object.getOwnPropertyDescriptor(target, key);
    Object.defineProperty(target, key, {
      value,
      writable: true,
      configurable: true,
      enumerable: previous?.enumerable ?? false,
    });
    restores.push(() => {
      if (previous === undefined) Reflect.deleteProperty(target, key);
      else Object.defineProperty(target, key, previous);
    });
  };
  try {
    swap(globalThis, "Date", guardedDate(globalThis.Date));
    swap(Math, "random", guarded("Math.random()", original(Math.random)));
    const globals = globalThis as { crypto?: webcrypto.Crypto; performance?: Performance };
    const webCrypto = globals.crypto;
    if (webCrypto !== undefined) {
      const randomUUID = webCrypto.randomUUID.bind(webCrypto);
      const getRandomValues = webCrypto.getRandomValues.bind(webCrypto);
      swap(webCrypto, "randomUUID", guarded("crypto.randomUUID()", randomUUID));
      swap(webCrypto, "getRandomValues", guarded("crypto.getRandomValues()", getRandomValues));
    }
    const performance = globals.performance;
    if (performance !== undefined) {
      swap(performance, "now", guarded("performance.now()", performance.now.bind(performance)));
    }
  } catch (error) {
    for (const restore of restores.reverse()) restore();
    throw error;
  }
  return () => {
    for (const restore of restores.reverse()) restore();
  };
}

let nodeCryptoWrapped = false;

/**
 * node:crypto's `randomUUID` is wrapped once for the life of the process (updating ES module imports of a
 * builtin costs about 60 µs, too much for every generator step); outside a guarded step the wrapper calls
 * the original. Destructured CommonJS copies (`const { randomUUID } = require("node:crypto")`) are not reached.
 */
function wrapNodeCryptoOnce(): void {
  if (nodeCryptoWrapped) return;
  nodeCryptoWrapped = true;
  const exports = nodeCryptoModule as unknown as Record<string, unknown>;
  const real = original(exports.randomUUID as typeof nodeCryptoModule.randomUUID);
  exports.randomUUID = guarded("crypto.randomUUID()", real);
  syncBuiltinESMExports();
}
