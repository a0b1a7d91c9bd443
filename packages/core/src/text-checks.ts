// The one rule for names, ids and reasons callers supply: non-empty where required, bounded, well-formed Unicode.
// Pure and message-free about the caller: each caller words its own InvalidArgumentError around the problem.
import { loneSurrogateIndex } from "./well-formed.js";

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
  // SQLite stores text as UTF-8, where a lone surrogate cannot be written faithfully and no longer matches.
  const lone = loneSurrogateIndex(value);
  if (lone !== -1) {
    return (
      `is not well-formed Unicode: a lone UTF-16 surrogate at index ${lone} ` +
      `(\\u${value.charCodeAt(lone).toString(16)}), which cannot be stored as UTF-8; use String.prototype.toWellFormed() ` +
      `or fix how the string was cut`
    );
  }
  return undefined;
}
