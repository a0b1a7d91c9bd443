// `reprise show <runId>`: status, input, outcome, current wait, unconsumed signals, timeline; `--events` adds the log.
// Reads through the public engine API on a client engine; changes nothing.
import type { HistoryEvent } from "@reprise/core";
import type { Command } from "commander";
import { paint } from "../cli-io.js";
import { dbOption, jsonOption, printJson, type CommandContext } from "../command-context.js";
import { openClient, requireDatabase } from "../database.js";
import { CliError } from "../errors.js";
import { formatTime, formatValue } from "../format.js";
import { toJsonSafe } from "../json-safe.js";
import { formatPendingSignals } from "../pending-signals-text.js";
import { eventToJson, runToJson } from "../run-json.js";
import { buildTimeline } from "../timeline.js";
import { formatRunHeader, formatTimeline } from "../timeline-text.js";

interface ShowOptions {
  readonly db: string;
  readonly json?: boolean;
  readonly events?: boolean;
}

/**
 * Registers `reprise show`.
 *
 * @example
 * defineShowCommand(program, context); // reprise show order-1001 --events
 */
export function defineShowCommand(program: Command, context: CommandContext): void {
  program
    .command("show")
    .summary("a run's status, outcome, current wait and timeline")
    .description("show a run: status, input, result or error, what it waits for, and its timeline")
    .argument("<runId>", "the run's id")
    .addOption(dbOption())
    .option("--events", "also print every event of the run's log")
    .addOption(jsonOption())
    .action(async (runId: string, options: ShowOptions) => {
      const { io } = context;
      const filename = requireDatabase(options.db, io.cwd);
      const client = await openClient(filename, options.db);
      try {
        const run = await client.engine.getRun(runId);
        if (run === undefined)
          throw new CliError(`no run with id '${runId}' in ${options.db}; list runs with: reprise runs`);
        const history = await client.engine.history(runId);
        const nowMs = Date.now();
        const timeline = buildTimeline(history, nowMs, run);
        if (options.json === true) {
          return printJson(io, {
            run: runToJson(run),
            timeline: toJsonSafe(timeline),
            events: history.map(eventToJson),
          });
        }
        const painter = (style: Parameters<typeof paint>[2], text: string) => paint(io, io.stdout, style, text);
        io.stdout.write(formatRunHeader(run, nowMs, painter));
        io.stdout.write(formatPendingSignals(run, nowMs, painter));
        io.stdout.write("\n");
        io.stdout.write(formatTimeline(timeline, nowMs, painter));
        if (options.events === true) {
          io.stdout.write(`\n${painter("bold", "events")}\n`);
          for (const event of history) io.stdout.write(`  ${formatEvent(event)}\n`);
        }
      } finally {
        await client.close();
      }
    });
}

function formatEvent(event: HistoryEvent): string {
  const { seq, type, atMs, ...fields } = event;
  // Stacks make a line unreadable; `--json` keeps them.
  if ("error" in fields) fields.error = { name: fields.error.name, message: fields.error.message };
  return `${String(seq).padStart(4)}  ${formatTime(atMs)}  ${type.padEnd(22)} ${formatValue(fields, 160)}`;
}
