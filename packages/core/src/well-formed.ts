// Well-formed Unicode checks for text the store keeps as UTF-8: a lone UTF-16 surrogate cannot round-trip.
// Pure string helpers; they never change a string the caller keeps, only report on it or return a repaired copy.

declare global {
  // ES2024 (Node.js 20+); the project's `lib` is ES2023, so the two methods are declared here.
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/**
 * The index of the first lone surrogate in `text`, or -1 if it is well-formed Unicode.
 *
 * @example
 * loneSurrogateIndex("ok"); // -1
 * loneSurrogateIndex("a\ud800b"); // 1
 */
export function loneSurrogateIndex(text: string): number {
  if (text.isWellFormed()) return -1;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
      else return index;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return index;
    }
  }
  return -1;
}
