// The `reprise` command tree on commander: global options, output routing, and every subcommand.
// Commander errors are thrown (exitOverride), never exit the process, so main.ts decides the exit code.
import { Command } from "commander";
import { paint } from "./cli-io.js";
import type { CommandContext } from "./command-context.js";
import { defineCancelCommand } from "./commands/cancel.js";
import { defineCopyCommand } from "./commands/copy.js";
import { definePurgeCommand } from "./commands/purge.js";
import { defineQueuesCommand } from "./commands/queues.js";
import { defineRerunCommand } from "./commands/rerun.js";
import { defineRunsCommand } from "./commands/runs.js";
import { defineSchedulesCommand } from "./commands/schedules.js";
import { defineShowCommand } from "./commands/show.js";
import { defineSignalCommand } from "./commands/signal.js";
import { defineStartCommand } from "./commands/start.js";
import { defineUiCommand } from "./commands/ui.js";
import { defineVerifyCommand } from "./commands/verify.js";
import { defineWorkerCommand } from "./commands/worker.js";
import { EXIT_CODES } from "./errors.js";
import { CLI_VERSION } from "./version.js";

/**
 * Builds the `reprise` program for one invocation.
 *
 * @example
 * await buildProgram({ io: processIo(), exitCode: 0 }).parseAsync(["runs", "--json"], { from: "user" });
 */
export function buildProgram(context: CommandContext): Command {
  const { io } = context;
  const program = new Command("reprise");
  program
    .description(
      "Operate Reprise durable workflows: inspect, signal, cancel, verify new code, run workers, serve the inspector.",
    )
    .version(CLI_VERSION, "-V, --version", "print the version")
    .option("--verbose", "print stack traces with errors")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error:/, paint(io, io.stderr, "red", "error:"))),
    })
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      `\nExit codes: ${EXIT_CODES.ok} ok, ${EXIT_CODES.failure} failure, ${EXIT_CODES.usage} bad command line, ` +
        `${EXIT_CODES.verifyFoundProblems} verify found runs that would block.\n` +
        "--db defaults to $REPRISE_DB or ./reprise.db. Docs: docs/operations.md",
    );
  defineRunsCommand(program, context);
  defineShowCommand(program, context);
  defineSignalCommand(program, context);
  defineCancelCommand(program, context);
  defineStartCommand(program, context);
  defineRerunCommand(program, context);
  definePurgeCommand(program, context);
  defineVerifyCommand(program, context);
  defineWorkerCommand(program, context);
  defineUiCommand(program, context);
  defineCopyCommand(program, context);
  defineSchedulesCommand(program, context);
  defineQueuesCommand(program, context);
  return program;
}
