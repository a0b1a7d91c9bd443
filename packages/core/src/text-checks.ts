// The one rule for names, ids and reasons callers supply: non-empty where required, bounded, well-formed Unicode.
// Pure and message-free about the caller: each caller words its own InvalidArgumentError around the problem.

/** A lone UTF-16 surrogate: SQLite stores text as UTF-8, where it becomes U+FFFD and no longer matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * What is wrong with `value` as a caller-supplied name, or `undefined` if nothing is.
 *
 * @example
 * textProblem("order-7", 200);    // undefined
 * textProblem("a\ud800", 200);    // "is not well-formed Unicode: a lone UTF-16 surrogate at index 1 ..."
 */
export function textProblem(
  value: unknown,
  maxLength: number,
  options: { allowEmpty?: boolean } = {},
): string | undefined {
  if (typeof value !== "string") return `must be a string (got ${typeof value})`;
  if (value.length === 0 && options.allowEmpty !== true) return "must not be empty";
  if (value.length > maxLength) return `must be at most ${maxLength} characters (got ${value.length})`;
  const lone = LONE_SURROGATE.exec(value);
  if (lone !== null) {
    return (
      `is not well-formed Unicode: a lone UTF-16 surrogate at index ${lone.index} (\\u${lone[0].charCodeAt(0).toString(16)}), ` +
      `which cannot be stored as UTF-8; use String.prototype.toWellFormed() or fix how the string was cut`
    );
  }
  return undefined;
}
