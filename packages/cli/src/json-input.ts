// Parses JSON typed on a command line, read from a file or sent from the inspector's signal form.
// A syntax error names its line and column (Node 20's JSON.parse often names neither), never a stack.

/**
 * JSON text was malformed. `line` and `column` are 1-based; `offset` is 0-based in UTF-16 units.
 *
 * @example
 * try { parseJson('{"a": }', "the payload"); }
 * catch (e) { if (e instanceof JsonInputError) console.log(e.line, e.column); } // 1 7
 */
export class JsonInputError extends Error {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
  constructor(what: string, problem: string, text: string, offset: number) {
    const { line, column } = lineAndColumn(text, offset);
    super(
      `${what} is not valid JSON: ${problem} at line ${line}, column ${column}. ` +
        `Quote strings with double quotes, e.g. '{"approved": true}' or '"text"'.`,
    );
    this.name = "JsonInputError";
    this.offset = offset;
    this.line = line;
    this.column = column;
  }
}

/**
 * `JSON.parse` with an error that says where the text goes wrong.
 *
 * @example
 * const payload = parseJson(argument, "the signal payload");
 */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const { offset, problem } = findSyntaxError(text);
    throw new JsonInputError(what, problem, text, offset);
  }
}

/** Walks the text with a tiny JSON grammar to find the first offending character. Runs only after JSON.parse failed. */
function findSyntaxError(text: string): { offset: number; problem: string } {
  let i = 0;
  const fail = (problem: string): never => {
    throw new SyntaxAt(i, problem);
  };
  const unexpected = (): never =>
    i >= text.length ? fail("unexpected end of input") : fail(`unexpected ${JSON.stringify(text[i])}`);
  const skipSpace = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const literal = (word: string): void => {
    for (const char of word) {
      if (text[i] !== char) unexpected();
      i++;
    }
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const char = text[i] as string;
      if (char === '"') return void i++;
      if (char < " ") fail("control character in string (escape it, e.g. \\n)");
      if (char === "\\") {
        i++;
        const escape = text[i];
        if (escape === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail("bad \\u escape (it needs 4 hex digits)");
          i += 5;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) fail("bad escape in string");
      }
      i++;
    }
  };
  const number = (): void => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (match === null || match[0] === "-") unexpected();
    i += (match as RegExpExecArray)[0].length;
  };
  const sequence = (close: string, item: () => void): void => {
    i++;
    skipSpace();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      skipSpace();
      if (text[i] === ",") {
        i++;
        skipSpace();
        continue;
      }
      if (text[i] === close) return void i++;
      fail(
        i >= text.length
          ? "unexpected end of input"
          : `expected ',' or '${close}' but found ${JSON.stringify(text[i])}`,
      );
    }
  };
  const value = (): void => {
    skipSpace();
    const char = text[i];
    if (char === "{") {
      return sequence("}", () => {
        if (text[i] !== '"')
          fail(i >= text.length ? "unexpected end of input" : "expected a double-quoted property name");
        string();
        skipSpace();
        if (text[i] !== ":") fail("expected ':' after a property name");
        i++;
        value();
      });
    }
    if (char === "[") return sequence("]", value);
    if (char === '"') return string();
    if (char === "t") return literal("true");
    if (char === "f") return literal("false");
    if (char === "n") return literal("null");
    if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) return number();
    unexpected();
  };
  try {
    value();
    skipSpace();
    if (i < text.length) fail(`unexpected ${JSON.stringify(text[i])} after the end of the value`);
  } catch (error) {
    if (error instanceof SyntaxAt) return { offset: error.offset, problem: error.problem };
    throw error;
  }
  // JSON.parse refused something this grammar accepts (should not happen); point at the start.
  return { offset: 0, problem: "invalid JSON" };
}

/** Where the scanner stopped and why; internal to findSyntaxError. */
class SyntaxAt extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}
