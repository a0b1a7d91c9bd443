// Turns anything a command throws into one line on stderr and an exit code; the stack only with --verbose.
// Knows the core's error codes so that messages name CLI commands rather than engine methods.
import { RepriseError, RunNotFoundError, UnknownWorkflowError } from "@reprise/core";
import { paint, type CliIo } from "./cli-io.js";
import { CliError, EXIT_CODES, type ExitCode } from "./errors.js";
import { JsonInputError } from "./json-input.js";

/** Core error codes that mean "the command line asked for something impossible". */
const USAGE_CODES = new Set(["INVALID_ARGUMENT", "PAYLOAD_TOO_LARGE", "UNENCODABLE_VALUE", "INVALID_DURATION"]);

/**
 * The one-line message and exit code for an error thrown by a command.
 *
 * @example
 * describeFailure(new RunNotFoundError("x")); // { message: "no run with id 'x'; ...", exitCode: 1 }
 */
export function describeFailure(error: unknown): { message: string; exitCode: ExitCode } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof JsonInputError) return { message: error.message, exitCode: EXIT_CODES.usage };
  if (error instanceof RunNotFoundError) {
    return { message: `no run with id '${error.runId}'; list runs with: reprise runs`, exitCode: EXIT_CODES.failure };
  }
  if (error instanceof UnknownWorkflowError) {
    return {
      message:
        `unknown workflow '${error.workflow}': no worker on this database serves it; pass --workflows <module> ` +
        `to start it from its definition`,
      exitCode: EXIT_CODES.usage,
    };
  }
  if (error instanceof RepriseError) {
    return { message: error.message, exitCode: USAGE_CODES.has(error.code) ? EXIT_CODES.usage : EXIT_CODES.failure };
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { message: `unexpected error: ${text} (run again with --verbose for details)`, exitCode: EXIT_CODES.failure };
}

/**
 * Prints `error: <message>` (and, with `verbose`, the stack and causes) and returns the exit code.
 *
 * @example
 * return reportFailure(error, io, argv.includes("--verbose"));
 */
export function reportFailure(error: unknown, io: CliIo, verbose: boolean): ExitCode {
  const { message, exitCode } = describeFailure(error);
  io.stderr.write(`${paint(io, io.stderr, "red", "error:")} ${message}\n`);
  if (verbose) {
    // The error, then each `cause` in turn: store errors wrap the driver's error, which says what SQLite saw.
    for (let current: unknown = error; current instanceof Error; current = current.cause) {
      io.stderr.write(`${current.stack ?? `${current.name}: ${current.message}`}\n`);
    }
  }
  return exitCode;
}
