// Child workflows: `child()` (start and wait), `startChild()` (start, wait later through a ChildHandle).
// Only descriptions: the engine creates the child run in the same write as the parent's event (run-execution.ts).
import { checkTags, type RunTags } from "./tags.js";
import { createHash } from "node:crypto";
import { assertId, MAX_ID_LENGTH } from "./argument-checks.js";
import { CommandBase } from "./command-base.js";
import { InvalidArgumentError } from "./errors.js";
import type { ParentCancelPolicy } from "./store.js";
import type { WorkflowDefinition } from "./workflow.js";

/** Options of `child()` and `startChild()`. */
export interface ChildOptions {
  /**
   * The child run's id. Default: derived from the parent run's id and the command's seq (`<parent>/<seq>`), so
   * replays and crashes never create a second child.
   */
  readonly id?: string;
  /** `"cancel"` (default): cancelling the parent cancels this child; `"abandon"`: the child runs on. */
  readonly onParentCancel?: ParentCancelPolicy;
  /**
   * The version of the child workflow to start on. Default: the highest version the parent's engine serves for
   * its name, else the definition's own.
   */
  readonly version?: number;
  /** The child's queue (docs/queues.md); default none. The parent's queue is not inherited. */
  readonly queue?: string;
  /** The child's key within its queue (per-key limits). Needs `queue`. */
  readonly key?: string;
  /** The child's priority within its queue: lower runs first; default 0. Needs `queue`. */
  readonly priority?: number;
  /** The child run's tags, as `start(workflow, input, { tags })`; a child has none unless given here. */
  readonly tags?: RunTags;
}

/**
 * Starts a child run; `wait` says whether the command also waits for its result (`child`) or not (`startChild`).
 *
 * @example
 * const command = child(charge, { amount: 5 });
 * console.log(command.workflow.name, command.wait); // "charge" true
 */
export class ChildCommand<T = unknown> extends CommandBase<T> {
  readonly kind = "child";
  constructor(
    readonly workflow: WorkflowDefinition<never, unknown>,
    readonly input: unknown,
    readonly options: ChildOptions,
    readonly wait: boolean,
  ) {
    super();
  }
}

/**
 * Waits for a started child's result. Created by `ChildHandle.result()`.
 *
 * @example
 * const report = yield* handle.result(); // a ChildResultCommand for handle.id
 */
export class ChildResultCommand<T = unknown> extends CommandBase<T> {
  readonly kind = "childResult";
  constructor(
    readonly childId: string,
    readonly workflow: string,
  ) {
    super();
  }
}

/**
 * A child run started by `startChild()`: its `id`, and `result()`, a command that waits for its result.
 *
 * @example
 * const handle = yield* startChild(nightlyReport, { day });
 * const report = yield* handle.result();
 */
export class ChildHandle<T = unknown> {
  constructor(
    readonly id: string,
    readonly workflow: string,
  ) {}

  /** A command: `yield* handle.result()` waits for the child and returns its result (or throws ChildFailedError). */
  result(): ChildResultCommand<T> {
    return new ChildResultCommand<T>(this.id, this.workflow);
  }
}

/**
 * Starts a child workflow and waits for its result. The child run is created in the same write as the parent's
 * record of it, with a stable id; any engine serving the child's workflow runs it, and the parent waits
 * without holding a lease. A failed child throws ChildFailedError, a cancelled one ChildCancelledError.
 *
 * @example
 * const receipt = yield* child(charge, { amount: 5 }, { id: "charge-42" });
 */
export function child<I, O>(
  definition: WorkflowDefinition<I, O>,
  input: I,
  options: ChildOptions = {},
): ChildCommand<O> {
  checkChild(definition, options, "child");
  return new ChildCommand<O>(definition, input, options, true);
}

/**
 * Starts a child workflow and returns at once with a ChildHandle; `yield* handle.result()` waits for it later.
 *
 * @example
 * const handle = yield* startChild(nightlyReport, { day });
 * yield* step("notify", () => notify(handle.id));
 * const report = yield* handle.result();
 */
export function startChild<I, O>(
  definition: WorkflowDefinition<I, O>,
  input: I,
  options: ChildOptions = {},
): ChildCommand<ChildHandle<O>> {
  checkChild(definition, options, "startChild");
  return new ChildCommand<ChildHandle<O>>(definition, input, options, false);
}

/**
 * The default id of a child: `<parent id>/<identity>`, the identity being the command's seq (`order-1/4`), or
 * `<generation>-<seq>` once the parent has continued as new (`agent-7/3-4`; see commandIdentity). A parent id
 * near the length limit is shortened with a hash of it, so the child id stays within MAX_ID_LENGTH and still
 * differs between parents.
 */
export function defaultChildId(parentRunId: string, identity: string): string {
  const id = `${parentRunId}/${identity}`;
  if (id.length <= MAX_ID_LENGTH) return id;
  const hash = createHash("sha256").update(parentRunId).digest("hex").slice(0, 16);
  return `${parentRunId.slice(0, MAX_ID_LENGTH - 40)}~${hash}/${identity}`;
}

function checkChild(definition: unknown, options: ChildOptions, api: string): void {
  const candidate = definition as { name?: unknown; fn?: unknown } | undefined;
  if (typeof candidate?.name !== "string" || typeof candidate.fn !== "function") {
    throw new InvalidArgumentError(`${api}() takes a workflow definition (made by workflow()) as its first argument.`);
  }
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError(`${api}() options must be an object such as { id: "charge-42" }.`);
  }
  if (options.id !== undefined) assertId(options.id, `${api}() id`);
  checkTags(options.tags, `${api}()`);
  const policy = options.onParentCancel;
  if (policy !== undefined && policy !== "cancel" && policy !== "abandon") {
    throw new InvalidArgumentError(
      `${api}() option onParentCancel must be "cancel" or "abandon" (got ${JSON.stringify(policy)}).`,
    );
  }
  const version = options.version;
  if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) {
    throw new InvalidArgumentError(`${api}() option version must be a positive integer (got ${String(version)}).`);
  }
}
