// Run tags: the string key/value pairs operators filter runs by, their limits and checks, and `setTags()`.
// Pure: no store, no clock. A bad tag throws InvalidArgumentError before anything is written.
import { CommandBase } from "./command-base.js";
import { InvalidArgumentError } from "./errors.js";
import { textProblem } from "./text-checks.js";

/**
 * A run's tags: string keys with string values, e.g. `{ customer: "42", plan: "pro" }`.
 *
 * @example
 * const tags: RunTags = { customer: "42", plan: "pro" };
 * await engine.start(importJob, input, { tags });
 */
export type RunTags = Readonly<Record<string, string>>;

/**
 * Changes to a run's tags, as `setTags()` takes them: a string sets the key, `null` removes it, and a key whose
 * value is `undefined` is left as it is (as if it were not in the object).
 *
 * @example
 * const changes: TagChanges = { stage: "shipping", retryOf: null };
 */
export type TagChanges = Readonly<Record<string, string | null | undefined>>;

/**
 * Most tags one run holds.
 *
 * @example
 * if (Object.keys(info.tags).length === MAX_TAGS) yield* setTags({ oldest: null });
 */
export const MAX_TAGS = 32;
/**
 * Longest tag key, in UTF-16 code units.
 *
 * @example
 * const key = name.slice(0, MAX_TAG_KEY_LENGTH);
 */
export const MAX_TAG_KEY_LENGTH = 64;
/**
 * Longest tag value, in UTF-16 code units.
 *
 * @example
 * yield* setTags({ note: note.slice(0, MAX_TAG_VALUE_LENGTH) });
 */
export const MAX_TAG_VALUE_LENGTH = 256;

/**
 * Sets or removes tags of the running workflow's own run, merged into the tags it has (from `start()` and earlier
 * calls): a string value sets a key, `null` removes it. Recorded as a `tags_set` event, so a replay reaches the
 * same tags without writing them again; the store updates the run's tags (what `listRuns({ tags })` filters on)
 * in the same write. Throws InvalidArgumentError at the `yield*` when a key or value is not allowed or the run
 * would hold more than MAX_TAGS tags.
 *
 * @example
 * yield* setTags({ stage: "charging" });
 * const receipt = yield* step("charge", charge);
 * yield* setTags({ stage: "charged", receipt: receipt.id });
 */
export function setTags(changes: TagChanges): SetTagsCommand {
  return new SetTagsCommand(checkTagChanges(changes, "setTags()"));
}

/**
 * The command `setTags()` yields: the checked changes, with `undefined` values left out.
 *
 * @example
 * const command = setTags({ stage: "done" });
 * console.log(command.changes); // { stage: "done" }
 */
export class SetTagsCommand extends CommandBase<void> {
  readonly kind = "tags";
  constructor(readonly changes: Readonly<Record<string, string | null>>) {
    super();
  }
}

/**
 * Checks tags given at start (`start(wf, input, { tags })`); returns a frozen copy, or undefined for none.
 *
 * @example
 * checkTags({ customer: "42" }, "start()"); // { customer: "42" }
 */
export function checkTags(tags: unknown, api: string): RunTags | undefined {
  if (tags === undefined) return undefined;
  const entries = tagEntries(tags, api);
  const checked: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    checkKey(key, api);
    checkValue(key, value, api, false);
    checked[key] = value as string;
  }
  const count = Object.keys(checked).length;
  if (count > MAX_TAGS) {
    throw new InvalidArgumentError(`${api} { tags } holds at most ${MAX_TAGS} tags per run (got ${count}).`);
  }
  return count === 0 ? undefined : Object.freeze(checked);
}

/**
 * Checks a `setTags()` argument; returns the changes without `undefined` values.
 *
 * @example
 * checkTagChanges({ stage: "done", old: null, skip: undefined }, "setTags()"); // { stage: "done", old: null }
 */
export function checkTagChanges(changes: unknown, api: string): Readonly<Record<string, string | null>> {
  const checked: Record<string, string | null> = {};
  for (const [key, value] of tagEntries(changes, api)) {
    if (value === undefined) continue;
    checkKey(key, api);
    checkValue(key, value, api, true);
    checked[key] = value as string | null;
  }
  if (Object.keys(checked).length > MAX_TAGS) {
    throw new InvalidArgumentError(`${api} changes at most ${MAX_TAGS} tags at once.`);
  }
  return Object.freeze(checked);
}

/**
 * Checks tag filters (`listRuns({ tags })`): every key and value as for tags, at most MAX_TAGS of them.
 *
 * @example
 * checkTagFilter({ customer: "42" }, "listRuns()"); // [["customer", "42"]]
 */
export function checkTagFilter(tags: unknown, api: string): RunTags | undefined {
  return checkTags(tags, `${api} filter`);
}

/**
 * The tags after applying `changes` to `current` (a string sets, `null` removes).
 *
 * @example
 * mergeTags({ a: "1", b: "2" }, { b: null, c: "3" }); // { a: "1", c: "3" }
 */
export function mergeTags(
  current: RunTags | undefined,
  changes: Readonly<Record<string, string | null>>,
): Record<string, string> {
  const merged: Record<string, string> = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}

function tagEntries(tags: unknown, api: string): [string, unknown][] {
  if (typeof tags !== "object" || tags === null || Array.isArray(tags)) {
    throw new InvalidArgumentError(
      `${api} takes tags as an object of string values, e.g. { customer: "42" } (got ${describe(tags)}).`,
    );
  }
  return Object.entries(tags);
}

function checkKey(key: string, api: string): void {
  const problem = textProblem(key, MAX_TAG_KEY_LENGTH);
  // "=" would make `--tag key=value` ambiguous in the CLI, and control characters make keys unreadable in tools.
  const bad = problem ?? (/[=\p{Cc}]/u.test(key) ? "must not contain '=' or control characters" : undefined);
  if (bad !== undefined) {
    throw new InvalidArgumentError(
      `${api}: the tag key ${JSON.stringify(key)} ${bad}; a key is 1 to ${MAX_TAG_KEY_LENGTH} characters without '='.`,
    );
  }
}

function checkValue(key: string, value: unknown, api: string, allowNull: boolean): void {
  if (value === null && allowNull) return;
  const problem = textProblem(value, MAX_TAG_VALUE_LENGTH, { allowEmpty: true });
  if (problem !== undefined) {
    const hint = allowNull ? " (or null to remove the tag)" : "";
    throw new InvalidArgumentError(
      `${api}: the value of tag '${key}' ${problem}; a value is a string of at most ${MAX_TAG_VALUE_LENGTH} ` +
        `characters${hint}. Convert numbers with String(value).`,
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}
