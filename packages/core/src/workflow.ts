// Workflow definitions: a name plus a generator function. Names tie stored runs to code.
// A definition holds no state; the same definition may be registered in any number of engines. Versions let
// several definitions share a name: each run stays on the version it started with (docs/versioning.md).
import { InvalidArgumentError } from "./errors.js";
import { textProblem } from "./text-checks.js";

/**
 * The generator a workflow runs. It yields commands (`yield* step(...)`) and returns the output.
 * TNext is `any` so both `yield*` (typed) and plain `yield` (untyped) of commands are accepted.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type WorkflowFunction<I, O> = (input: I) => Generator<unknown, O, any>;

/**
 * A named workflow, as returned by `workflow()`. Pass it to `createEngine({ workflows })` and `engine.start()`.
 *
 * @example
 * const def: WorkflowDefinition<string, string> = greet;
 * console.log(def.name); // "greet"
 */
export interface WorkflowDefinition<I = unknown, O = unknown> {
  readonly name: string;
  readonly fn: WorkflowFunction<I, O>;
  /** The definition's version (1 unless given): runs started on it are only ever run with this code. */
  readonly version: number;
}

/**
 * Options of `workflow()`.
 *
 * @example
 * export const orderV2 = workflow("order", fnV2, { version: 2 });
 */
export interface WorkflowOptions {
  /**
   * The definition's version, a positive integer; default 1. Several definitions may share a name when their
   * versions differ: register them together and each run is executed only with the code of the version it
   * started on, while new runs start on the highest one (docs/versioning.md).
   */
  readonly version?: number;
}

/** Input type of a workflow definition. */
export type WorkflowInput<W> = W extends WorkflowDefinition<infer I, unknown> ? I : never;
/** Output type of a workflow definition. */
export type WorkflowOutput<W> = W extends WorkflowDefinition<never, infer O> ? O : never;

/** Longest workflow name accepted. */
export const MAX_WORKFLOW_NAME_LENGTH = 200;

/**
 * Defines a workflow. The name identifies its runs in the store, so keep it stable across deploys. Pass
 * `{ version }` to keep an older definition registered next to a newer one under the same name.
 *
 * @example
 * export const orderV1 = workflow("order", fnV1, { version: 1 });
 * export const orderV2 = workflow("order", fnV2, { version: 2 });
 *
 * @example
 * export const greet = workflow("greet", function* (name: string) {
 *   const text = yield* step("compose", () => `Hello, ${name}`);
 *   yield* sleep({ seconds: 5 });
 *   return text;
 * });
 */
export function workflow<I, O>(
  name: string,
  fn: WorkflowFunction<I, O>,
  options: WorkflowOptions = {},
): WorkflowDefinition<I, O> {
  const problem = textProblem(name, MAX_WORKFLOW_NAME_LENGTH);
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      `workflow() needs a name: a non-empty string of at most ${MAX_WORKFLOW_NAME_LENGTH} characters; ` +
        `this one ${problem} (got ${JSON.stringify(name)}).`,
    );
  }
  if (typeof fn !== "function") {
    throw new InvalidArgumentError(
      `workflow('${name}') needs a generator function: workflow(name, function* (input) { ... }).`,
    );
  }
  const version = options?.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new InvalidArgumentError(
      `workflow('${name}', fn, { version }) needs a positive integer version (got ${String(version)}).`,
    );
  }
  return Object.freeze({ name, fn, version });
}
