// Recognises fast-check arbitraries from any copy or version of fast-check (ESM, CommonJS, v3, v4).
// Must never rely on `instanceof`: the user's arbitraries may come from another module instance than ours.
import type fc from "fast-check";

/**
 * Whether `value` is a fast-check arbitrary, from whichever copy of fast-check made it. Checks the methods
 * every `Arbitrary` has (the same structural test fast-check itself applies to arbitraries it is given,
 * which it does not export), so arbitraries from fast-check's CommonJS build, or from another major
 * version, are recognised too. fast-check's runner accepts such arbitraries (checked with v3.23 and v4.11).
 *
 * @example
 * isArbitrary(require("fast-check").nat()); // true, even where `instanceof fc.Arbitrary` is false
 * isArbitrary({ sku: "mug" }); // false
 */
export function isArbitrary(value: unknown): value is fc.Arbitrary<unknown> {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.generate === "function" &&
    typeof candidate.shrink === "function" &&
    typeof candidate.canShrinkWithoutContext === "function"
  );
}
