// `reprise queues`: each queue's running, queued and delayed runs, its busiest keys and its starts in the last
// minute, read through RunReader.queueStats. Read-only: it never claims, starts or changes a run.
import type { QueueStats } from "@reprise/core";
import type { Command } from "commander";
import { paint } from "../cli-io.js";
import {
  dbOption,
  integerOption,
  jsonOption,
  printJson,
  schemaOption,
  type CommandContext,
} from "../command-context.js";
import { openReader } from "../database.js";
import { formatTable } from "../format.js";

/** The window of starts the command counts: the last minute, whatever the queues' rate-limit periods are. */
const STARTS_WINDOW_MS = 60_000;

interface QueuesOptions {
  readonly db: string;
  readonly schema?: string;
  readonly json?: boolean;
  readonly keys: number;
  readonly limit: number;
}

/**
 * Registers `reprise queues`.
 *
 * @example
 * defineQueuesCommand(program, context); // reprise queues --db reprise.db --keys 5
 */
export function defineQueuesCommand(program: Command, context: CommandContext): void {
  program
    .command("queues")
    .description(
      "show each queue's running, queued (due, waiting for a slot) and delayed runs, its starts in the last minute " +
        "and its busiest keys",
    )
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(jsonOption())
    .addOption(
      integerOption("--keys <n>", "at most this many keys per queue, busiest first (0-100)", 0, 100).default(3),
    )
    .addOption(
      integerOption("--limit <n>", "at most this many queues, in order of name (1-10000)", 1, 10_000).default(100),
    )
    .action(async (options: QueuesOptions) => {
      const { io } = context;
      const opened = await openReader(options.db, io.cwd, options.schema);
      try {
        const nowMs = Date.now();
        const report = await opened.reader.queueStats({
          nowMs,
          sinceMs: nowMs - STARTS_WINDOW_MS,
          keysPerQueue: options.keys,
          limit: options.limit,
        });
        if (options.json === true) return printJson(io, report);
        if (report.queues.length === 0) {
          return void io.stdout.write(`no queues in ${opened.target.shownAs}: no run was ever started in a queue\n`);
        }
        const headers = ["QUEUE", "RUNNING", "QUEUED", "DELAYED", "STARTS/MIN"];
        if (options.keys > 0) headers.push("TOP KEYS (RUNNING/QUEUED)");
        const rows = report.queues.map((queue) => {
          const row = [queue.name, ...[queue.running, queue.queued, queue.delayed, queue.startsSince].map(String)];
          if (options.keys > 0) row.push(keysText(queue));
          return row;
        });
        io.stdout.write(formatTable(headers, rows));
        if (report.more) {
          io.stdout.write(paint(io, io.stdout, "gray", `(first ${options.limit} queues; pass --limit for more)\n`));
        }
      } finally {
        await opened.close();
      }
    });
}

/** `acme 2/1, beta 0/1`: each listed key with its running and queued runs; `-` when no key has either. */
function keysText(queue: QueueStats): string {
  if (queue.keys.length === 0) return "-";
  return queue.keys.map((key) => `${key.key} ${key.running}/${key.queued}`).join(", ");
}
