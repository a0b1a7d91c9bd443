// Patches: `patched(id)` and `deprecatePatch(id)` let new code take a new path while runs recorded before it
// keep the old one. Only descriptions: the replayer (replay.ts) decides, from the history, what they return.
import { CommandBase } from "./command-base.js";
import { InvalidArgumentError } from "./errors.js";
import { textProblem } from "./text-checks.js";

/** Longest patch id accepted; ids are stored with the `patch_recorded` event. */
export const MAX_PATCH_ID_LENGTH = 200;

/**
 * Asks whether a patch applies to this run, or (`deprecated`) marks where a deprecated patch was. Created by
 * `patched()` and `deprecatePatch()`.
 *
 * @example
 * const command = patched("attach-volume");
 * console.log(command.patchId, command.deprecated); // "attach-volume" false
 */
export class PatchCommand<T = boolean> extends CommandBase<T> {
  readonly kind = "patch";
  constructor(
    readonly patchId: string,
    readonly deprecated: boolean,
  ) {
    super();
  }
}

/**
 * Whether this run takes the patched path. True when the run reaches this point for the first time with this
 * code (recorded as `patch_recorded`); false when it replays a history written before the patch existed here,
 * and then the event the history holds at this point is left for the next command. The answer is kept for the
 * rest of the run: a second `patched(id)` with the same id gives the same answer and records nothing.
 *
 * @example
 * const ip = yield* step("allocate-ip", allocate);
 * if (yield* patched("attach-volume")) yield* step("attach-volume", attach);
 */
export function patched(patchId: string): PatchCommand<boolean> {
  assertPatchId(patchId, "patched");
  return new PatchCommand<boolean>(patchId, false);
}

/**
 * Marks the place of a patch whose old path no run needs any more: code that now always takes the new path
 * records a deprecated `patch_recorded` here, and replays histories recorded with `patched(id)` (true) too.
 * Once no run from before this deploy is in flight, remove the call: replay skips deprecated markers.
 *
 * @example
 * yield* deprecatePatch("attach-volume");
 * yield* step("attach-volume", attach);
 */
export function deprecatePatch(patchId: string): PatchCommand<void> {
  assertPatchId(patchId, "deprecatePatch");
  return new PatchCommand<void>(patchId, true);
}

function assertPatchId(patchId: unknown, api: string): asserts patchId is string {
  const problem = textProblem(patchId, MAX_PATCH_ID_LENGTH);
  if (problem !== undefined) {
    throw new InvalidArgumentError(
      `${api}() needs a patch id: a non-empty string of at most ${MAX_PATCH_ID_LENGTH} characters; this one ` +
        `${problem} (got ${JSON.stringify(patchId)}).`,
    );
  }
}
