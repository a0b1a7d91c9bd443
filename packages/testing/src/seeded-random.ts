// Reproducible randomness for random()/uuid(): a value depends only on the seed and the command's key.
// A crashed and restarted run therefore draws exactly what an uninterrupted run would have drawn.
import { createHash } from "node:crypto";

/**
 * A `(key) => number in [0, 1)` function for `createEngine({ random })`, derived from `seed`.
 *
 * @example
 * createEngine({ store, workflows, random: seededRandom(42) });
 */
export function seededRandom(seed: number | string): (key: string) => number {
  return (key) => createHash("sha256").update(`${seed}\u0000${key}`).digest().readUIntBE(0, 6) / 2 ** 48;
}
