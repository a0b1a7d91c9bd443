// Where the CLI writes and what it knows about its terminal: stdout/stderr, TTY-ness, colours, env and cwd.
// Commands never touch `process.stdout` directly, so tests can run them in-process with captured output.
/** A stream the CLI writes to; `isTTY` decides colours and live status lines. */
export interface CliStream {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/**
 * The CLI's view of its process. `processIo()` gives the real one; tests pass their own.
 *
 * @example
 * const out: string[] = [];
 * const io: CliIo = { ...processIo(), stdout: { write: (t: string) => out.push(t) } };
 * await main(["runs", "--db", "reprise.db"], io);
 */
export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Reads standard input to the end (for `--file -`). */
  readStdin(): Promise<string>;
  /**
   * Asks a yes/no question on the terminal and resolves with the answer; undefined when standard input is not a
   * terminal (a script or a pipe), so commands that must confirm refuse without `--yes` instead of hanging.
   */
  readonly confirm?: ((question: string) => Promise<boolean>) | undefined;
}

/**
 * The real process: its streams, environment and working directory.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), processIo());
 */
export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    confirm: process.stdin.isTTY === true ? askOnTerminal : undefined,
  };
}

/** Asks on the terminal; only "y" or "yes" (any case) is a yes. */
async function askOnTerminal(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await terminal.question(`${question} [y/N] `);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    terminal.close();
  }
}

/** Text styles the CLI uses. */
export type Style = "red" | "green" | "yellow" | "cyan" | "gray" | "bold" | "dim";

/**
 * ANSI open/close codes per style. (node:util styleText decides by itself whether process.stdout takes colour,
 * which is the wrong stream for stderr output and for tests; the decision here is `useColour`'s.)
 */
const ANSI_CODES: Readonly<Record<Style, readonly [number, number]>> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
  gray: [90, 39],
  bold: [1, 22],
  dim: [2, 22],
};

/**
 * Colours `text` when `stream` is a terminal and neither NO_COLOR nor a dumb terminal says otherwise;
 * FORCE_COLOR=1 colours even when piped.
 *
 * @example
 * io.stdout.write(`${paint(io, io.stdout, "green", "completed")}\n`);
 */
export function paint(io: CliIo, stream: CliStream, style: Style, text: string): string {
  if (!useColour(io, stream)) return text;
  const [open, close] = ANSI_CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/**
 * Whether output to `stream` may contain ANSI escapes.
 *
 * @example
 * if (useColour(io, io.stderr)) io.stderr.write("\u001b[2K\r"); // clear the status line
 */
export function useColour(io: CliIo, stream: CliStream): boolean {
  const force = io.env.FORCE_COLOR;
  if (force !== undefined && force !== "" && force !== "0") return true;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "") return false;
  if (io.env.TERM === "dumb") return false;
  return stream.isTTY === true;
}
