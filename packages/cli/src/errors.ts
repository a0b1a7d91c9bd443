// Errors of the reprise CLI and the exit codes scripts can rely on. Every error says how to fix the problem.
// Nothing here prints or exits: main.ts turns these into one line on stderr and a process exit code.

/**
 * Exit codes of the `reprise` command. Scripts may match on them; they never change meaning.
 *
 * @example
 * // sh: reprise verify --workflows dist/workflows.js --db snapshot.db; [ $? -eq 3 ] && echo "would block runs"
 * if (code === EXIT_CODES.verifyFoundProblems) console.log("some runs would become blocked");
 */
export const EXIT_CODES = Object.freeze({
  /** The command did what it was asked. */
  ok: 0,
  /** The command was well formed but failed: no database, not a Reprise store, unknown run, finished run. */
  failure: 1,
  /** The command line is wrong: unknown command or option, a missing argument, malformed JSON, an unknown workflow. */
  usage: 2,
  /** `reprise verify` found runs the new code would block (or runs whose workflow it lacks). */
  verifyFoundProblems: 3,
  /** Stopped by a second Ctrl-C before a graceful shutdown finished. */
  interrupted: 130,
});

/** One of the values of EXIT_CODES. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/**
 * A failure the CLI reports as one line (no stack unless `--verbose`) with a stable exit code.
 *
 * @example
 * throw new CliError("no database at ./reprise.db; pass --db <file>");
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, options: { exitCode?: ExitCode; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? EXIT_CODES.failure;
  }
}

/**
 * The command line itself is wrong (exit code 2): a bad option value, malformed JSON, an unknown workflow name.
 *
 * @example
 * throw new UsageError("--limit must be an integer from 1 to 10000 (got 0)");
 */
export class UsageError extends CliError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { exitCode: EXIT_CODES.usage, cause: options.cause });
  }
}

/**
 * A copy that failed part-way: `copied` runs (the pages before the failure) are in the target, the rest are not.
 *
 * @example
 * if (error instanceof CopyInterruptedError) console.error(`${error.copied} runs were copied before: ${error.message}`);
 */
export class CopyInterruptedError extends CliError {
  readonly copied: number;
  constructor(copied: number, cause: unknown) {
    super(
      `the copy stopped after ${copied} runs: ${(cause as Error).message ?? String(cause)}. The target holds those ` +
        `${copied} runs; remove the target (the new file, or DROP SCHEMA ... CASCADE) and copy again.`,
      { cause },
    );
    this.copied = copied;
  }
}
