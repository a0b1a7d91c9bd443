// What every command receives: the process view (streams, env, cwd), shared option builders, and its exit code.
// Commands register themselves on a commander program through this; none of them calls process.exit.
import { InvalidArgumentError as InvalidOptionValue, Option } from "commander";
import type { CliIo } from "./cli-io.js";
import { DEFAULT_DB } from "./database.js";
import type { ExitCode } from "./errors.js";

/**
 * Shared state of one CLI invocation.
 *
 * @example
 * const context: CommandContext = { io: processIo(), exitCode: 0 };
 */
export interface CommandContext {
  readonly io: CliIo;
  /** Set by a command that succeeded with a non-zero code (e.g. verify found problems). */
  exitCode: ExitCode;
}

/**
 * `--db <file|url>`: a SQLite file or a `postgres://` URL, defaulting to REPRISE_DB or ./reprise.db.
 *
 * @example
 * command.addOption(dbOption()).addOption(schemaOption());
 */
export function dbOption(): Option {
  return new Option("--db <file|url>", "the Reprise store: a SQLite file, or a postgres:// URL")
    .env("REPRISE_DB")
    .default(DEFAULT_DB);
}

/**
 * `--schema <name>`: the PostgreSQL schema of a `postgres://` --db (default: its `?schema=` parameter, else "reprise").
 *
 * @example
 * command.addOption(dbOption()).addOption(schemaOption());
 */
export function schemaOption(): Option {
  return new Option(
    "--schema <name>",
    "PostgreSQL schema of a postgres:// --db (default: ?schema= in the URL, else reprise)",
  ).env("REPRISE_SCHEMA");
}

/**
 * `--json`: print machine-readable JSON on stdout instead of text.
 *
 * @example
 * command.addOption(jsonOption());
 */
export function jsonOption(): Option {
  return new Option("--json", "print JSON instead of text (for scripts)");
}

/**
 * `--workflows <module>`: a JavaScript (or TypeScript, with tsx installed) module exporting workflow definitions.
 *
 * @example
 * command.addOption(workflowsOption().makeOptionMandatory());
 */
export function workflowsOption(): Option {
  return new Option("--workflows <module>", "module whose exports include your workflow() definitions").env(
    "REPRISE_WORKFLOWS",
  );
}

/**
 * An option taking a whole number from `min` to `max`; anything else is refused naming the option and the range.
 *
 * @example
 * command.addOption(integerOption("--limit <n>", "at most this many runs", 1, 10_000).default(50));
 */
export function integerOption(flags: string, description: string, min: number, max: number): Option {
  const option = new Option(flags, description);
  return option.argParser((value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidOptionValue(
        `${option.long ?? flags} must be a whole number from ${min} to ${max} (got '${value}')`,
      );
    }
    return n;
  });
}

/** Largest `--workflow-version` accepted: versions are small integers (1, 2, 3, or a date like 20260101). */
const MAX_WORKFLOW_VERSION = 2_147_483_647;

/**
 * `--workflow-version <n>`: a version of a workflow's definition (`workflow(name, fn, { version })`). Named so
 * that it cannot be taken for the CLI's own `--version`.
 *
 * @example
 * command.addOption(workflowVersionOption("only runs that started on this version of their workflow"));
 */
export function workflowVersionOption(description: string): Option {
  return integerOption("--workflow-version <n>", description, 1, MAX_WORKFLOW_VERSION);
}

/**
 * Writes `value` as indented JSON and a newline on stdout.
 *
 * @example
 * printJson(io, { runs });
 */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Thrown from an option parser; commander reports it as "error: option '--x <v>' argument 'y' is invalid. <message>"
 * and the CLI exits with the usage code.
 *
 * @example
 * throw new InvalidOptionValue("unknown status 'done'");
 */
export { InvalidOptionValue };
