// `reprise purge --completed-days 7 --failed-days 30`: deletes finished runs older than that, with their events and
// signals, in bounded batches, after showing how many and confirming (`--yes` in scripts). Unfinished runs stay.
import type { RetentionPolicy } from "@reprise/core";
import { Option, type Command } from "commander";
import {
  dbOption,
  schemaOption,
  InvalidOptionValue,
  jsonOption,
  printJson,
  type CommandContext,
} from "../command-context.js";
import { openClient } from "../database.js";
import { UsageError } from "../errors.js";
import { confirmBulk } from "../run-filters.js";

interface PurgeOptions {
  readonly db: string;
  readonly schema?: string;
  readonly completedDays?: number;
  readonly failedDays?: number;
  readonly cancelledDays?: number;
  readonly yes?: boolean;
  readonly json?: boolean;
}

const DAY_MS = 86_400_000;
const STATUSES = ["completed", "failed", "cancelled"] as const;

/**
 * Registers `reprise purge`.
 *
 * @example
 * definePurgeCommand(program, context); // reprise purge --completed-days 7 --failed-days 30 --yes
 */
export function definePurgeCommand(program: Command, context: CommandContext): void {
  program
    .command("purge")
    .summary("delete finished runs older than a number of days")
    .description(
      "delete finished runs (with their events, signals, blocked episodes and tags) that finished more than the " +
        "given days ago; statuses without a --*-days option are kept. Unfinished runs, and finished runs whose " +
        "parent or child is unfinished, are never deleted.",
    )
    .addOption(daysOption("--completed-days <n>", "delete completed runs that finished more than n days ago"))
    .addOption(daysOption("--failed-days <n>", "delete failed runs that finished more than n days ago"))
    .addOption(daysOption("--cancelled-days <n>", "delete cancelled runs that finished more than n days ago"))
    .option("--yes", "delete without asking (needed when standard input is not a terminal)")
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(jsonOption())
    .action(async (options: PurgeOptions) => {
      const { io } = context;
      const days = { completed: options.completedDays, failed: options.failedDays, cancelled: options.cancelledDays };
      const asked = STATUSES.filter((status) => days[status] !== undefined);
      if (asked.length === 0) {
        throw new UsageError("say what to delete, e.g. --completed-days 7 --failed-days 30 --cancelled-days 7");
      }
      const client = await openClient(options.db, io.cwd, options.schema);
      try {
        const nowMs = Date.now();
        const found: Record<string, number> = {};
        for (const status of asked) {
          const finishedBefore = nowMs - (days[status] as number) * DAY_MS;
          found[status] = await client.engine.countRuns({ status, finishedBefore });
        }
        const total = Object.values(found).reduce((sum, n) => sum + n, 0);
        const described = asked
          .map((status) => `${found[status]} ${status} (older than ${days[status]} days)`)
          .join(", ");
        if (total === 0) {
          if (options.json === true) return printJson(io, { matching: found, deleted: 0 });
          return void io.stdout.write(`nothing to delete: no ${asked.join("/")} runs that old\n`);
        }
        if (options.json !== true) io.stdout.write(`${total} finished runs to delete: ${described}\n`);
        if (!(await confirmBulk(io, options.yes, `Delete ${total} runs and their events?`, `delete ${total} runs`))) {
          return void io.stdout.write("nothing deleted\n");
        }
        const policy: RetentionPolicy = Object.fromEntries(
          asked.map((status) => [status, { days: days[status] as number }]),
        );
        const deleted = await client.engine.purge(policy);
        if (options.json === true) return printJson(io, { matching: found, deleted });
        const kept = total - deleted;
        io.stdout.write(
          `deleted ${deleted} runs` +
            (kept > 0
              ? `; ${kept} kept because a parent or child of theirs is unfinished (or they changed meanwhile)`
              : "") +
            "\n",
        );
      } finally {
        await client.close();
      }
    });
}

function daysOption(flags: string, description: string): Option {
  return new Option(flags, description).argParser((value: string) => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n)) {
      throw new InvalidOptionValue(`${flags.split(" ")[0]} takes a number of days, e.g. 7 (got '${value}')`);
    }
    return n;
  });
}
