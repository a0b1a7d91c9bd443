// The run filter options commands share (`--tag key=value`, `--queue`, `--created-after`, `--created-before`) and how a
// command confirms a bulk action (`--yes`, or a question on the terminal). Parses and asks; changes nothing.
import type { RunTags } from "@reprise/core";
import { Option, type Command } from "commander";
import type { CliIo } from "./cli-io.js";
import { InvalidOptionValue } from "./command-context.js";
import { CliError } from "./errors.js";

/** What the shared filter options parse into. */
export interface TagFilterOptions {
  readonly tag?: Record<string, string>;
  readonly queue?: string;
  readonly createdAfter?: number;
  readonly createdBefore?: number;
}

/**
 * Adds `--tag <key=value>` (repeatable), `--created-after <time>` and `--created-before <time>` to a command.
 *
 * @example
 * addTagFilterOptions(program.command("runs")); // reprise runs --tag customer=42 --created-after 2026-12-01
 */
export function addTagFilterOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--tag <key=value>", "only runs with this tag (repeat for several; all must match)").argParser(
        parseTag,
      ),
    )
    .addOption(new Option("--queue <name>", "only runs started in this queue"))
    .addOption(
      new Option("--created-after <time>", "only runs created at or after this ISO time (e.g. 2026-12-01)").argParser(
        (value: string) => parseTime(value, "--created-after"),
      ),
    )
    .addOption(
      new Option("--created-before <time>", "only runs created before this ISO time").argParser((value: string) =>
        parseTime(value, "--created-before"),
      ),
    );
}

/**
 * The engine filter fields of the shared options.
 *
 * @example
 * await engine.countRuns({ status: options.status, ...tagFilter(options) });
 */
export function tagFilter(options: TagFilterOptions): {
  tags?: RunTags;
  queue?: string;
  createdAfter?: number;
  createdBefore?: number;
} {
  return {
    ...(options.tag === undefined ? {} : { tags: options.tag }),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.createdAfter === undefined ? {} : { createdAfter: options.createdAfter }),
    ...(options.createdBefore === undefined ? {} : { createdBefore: options.createdBefore }),
  };
}

/**
 * The shared options in words, e.g. `tag customer=42 and created after 2026-12-01T00:00:00.000Z`.
 *
 * @example
 * describeTagFilter({ tag: { customer: "42" } }); // ["tag customer=42"]
 */
export function describeTagFilter(options: TagFilterOptions): string[] {
  const parts = Object.entries(options.tag ?? {}).map(([key, value]) => `tag ${key}=${value}`);
  if (options.queue !== undefined) parts.push(`queue ${options.queue}`);
  if (options.createdAfter !== undefined)
    parts.push(`created at or after ${new Date(options.createdAfter).toISOString()}`);
  if (options.createdBefore !== undefined)
    parts.push(`created before ${new Date(options.createdBefore).toISOString()}`);
  return parts;
}

/**
 * Goes ahead with a bulk action: at once with `--yes`; else asks on the terminal; without a terminal (a script, a
 * pipe) refuses with a CliError that says to pass `--yes`.
 *
 * @example
 * if (!(await confirmBulk(io, options.yes, "Cancel 12 runs?", "cancel"))) return;
 */
export async function confirmBulk(
  io: CliIo,
  yes: boolean | undefined,
  question: string,
  action: string,
): Promise<boolean> {
  if (yes === true) return true;
  if (io.confirm === undefined) {
    throw new CliError(
      `refusing to ${action} without confirmation: standard input is not a terminal. Check the count above, then ` +
        `run the same command with --yes.`,
    );
  }
  return io.confirm(question);
}

function parseTag(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = value.indexOf("=");
  if (at < 1) throw new InvalidOptionValue(`--tag takes key=value, e.g. --tag customer=42 (got '${value}')`);
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}

function parseTime(value: string, option: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new InvalidOptionValue(`${option} takes an ISO time such as 2026-12-01 or 2026-12-01T09:30:00Z`);
  }
  return ms;
}
