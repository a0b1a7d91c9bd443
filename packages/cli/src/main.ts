// The CLI's entry point as a function: parses argv, runs one command, and returns the exit code.
// Never calls process.exit, so tests can run it in-process; bin.ts sets process.exitCode from it.
import { CommanderError } from "commander";
import { processIo, type CliIo } from "./cli-io.js";
import type { CommandContext } from "./command-context.js";
import { EXIT_CODES, type ExitCode } from "./errors.js";
import { buildProgram } from "./program.js";
import { reportFailure } from "./report-error.js";

/**
 * Runs `reprise` with the given arguments (without "node" and the script) and returns the exit code.
 *
 * @example
 * process.exitCode = await main(["show", "order-1001", "--db", "reprise.db"]);
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  const context: CommandContext = { io, exitCode: EXIT_CODES.ok };
  const program = buildProgram(context);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return context.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help / version text that was asked for).
      return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    return reportFailure(error, io, argv.includes("--verbose"));
  }
}
