// The brand every command carries and the base class that makes `yield* command` return its typed result.
// Recognising commands never uses `instanceof`: an app may load two copies of @reprise/core.
import type { Command } from "./commands.js";

/**
 * Marks an object as a Reprise command, across copies of @reprise/core: an app may load two (a CommonJS and an
 * ESM build, or two versions), and a command made by one must be recognised by the other, so the engine never
 * uses `instanceof` on commands. The value is the version of the command shape.
 */
const COMMAND_BRAND = Symbol.for("reprise.command");
const COMMAND_SHAPE_VERSION = 1;
const COMMAND_KINDS: ReadonlySet<string> = new Set([
  "step",
  "sleep",
  "signal",
  "value",
  "patch",
  "branches",
  "child",
  "childResult",
  "continueAsNew",
  "tags",
]);

/** Base of every command: `yield* command` hands the command to the engine and returns its result. */
export abstract class CommandBase<T> {
  readonly [COMMAND_BRAND] = COMMAND_SHAPE_VERSION;
  *[Symbol.iterator](): Generator<Command, T, unknown> {
    return (yield this as unknown as Command) as T;
  }
}

/**
 * Whether a yielded value is a command, made by this or any other copy of @reprise/core (else a workflow bug).
 * Commands carry a `Symbol.for("reprise.command")` brand, so this holds across a CommonJS/ESM pair or versions.
 *
 * @example
 * isCommand(step("charge", charge)); // true
 * isCommand(Promise.resolve(1)); // false: a workflow must `yield*` commands, not promises
 */
export function isCommand(value: unknown): value is Command {
  if (typeof value !== "object" || value === null) return false;
  const branded = value as { [COMMAND_BRAND]?: unknown; kind?: unknown };
  return branded[COMMAND_BRAND] === COMMAND_SHAPE_VERSION && COMMAND_KINDS.has(branded.kind as string);
}
