// `reprise show <runId>`: status, input, outcome, current wait, unconsumed signals, parent and children, timeline;
// `--events` adds the log. Reads through the public engine API on a client engine; changes nothing.
import type { HistoryEvent, WorkflowDefinition } from "@reprise/core";
import { Option, type Command } from "commander";
import { paint } from "../cli-io.js";
import { lanesFromLog, lanesFromReplay, type BranchLanes, type EventPlace } from "../branch-lanes.js";
import { dbOption, jsonOption, printJson, type CommandContext } from "../command-context.js";
import { openClient, requireDatabase } from "../database.js";
import { CliError } from "../errors.js";
import { formatTime, formatValue } from "../format.js";
import { loadWorkflows } from "../load-workflows.js";
import { toJsonSafe } from "../json-safe.js";
import { formatPendingSignals } from "../pending-signals-text.js";
import { eventToJson, runToJson } from "../run-json.js";
import { buildTimeline } from "../timeline.js";
import { formatRunHeader, formatTimeline } from "../timeline-text.js";

interface ShowOptions {
  readonly db: string;
  readonly json?: boolean;
  readonly events?: boolean;
  readonly workflows?: string;
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
    .addOption(
      new Option(
        "--workflows <module>",
        "module exporting the run's workflow: its code places parallel branches exactly (replayed, never executed)",
      ).env("REPRISE_WORKFLOWS"),
    )
    .addOption(jsonOption())
    .action(async (runId: string, options: ShowOptions) => {
      const { io } = context;
      // With the code, parallel branches are placed by replay; without it, from the log alone (branch-lanes.ts).
      const loaded = options.workflows === undefined ? undefined : await loadWorkflows(options.workflows, io.cwd);
      const filename = requireDatabase(options.db, io.cwd);
      const client = await openClient(filename, options.db);
      try {
        const run = await client.engine.getRun(runId);
        if (run === undefined)
          throw new CliError(`no run with id '${runId}' in ${options.db}; list runs with: reprise runs`);
        const history = await client.engine.history(runId);
        const nowMs = Date.now();
        const definition = loaded?.byName.get(run.workflow) as WorkflowDefinition<never, unknown> | undefined;
        const lanes = definition === undefined ? lanesFromLog(history) : lanesFromReplay(runId, history, definition);
        const timeline = buildTimeline(history, nowMs, run, lanes);
        if (options.json === true) {
          return printJson(io, {
            run: runToJson(run),
            timeline: toJsonSafe(timeline),
            events: history.map(eventToJson),
            places: placesToJson(history, lanes),
          });
        }
        const painter = (style: Parameters<typeof paint>[2], text: string) => paint(io, io.stdout, style, text);
        io.stdout.write(formatRunHeader(run, nowMs, painter, timeline));
        io.stdout.write(formatPendingSignals(run, nowMs, painter));
        io.stdout.write("\n");
        io.stdout.write(formatTimeline(timeline, nowMs, painter));
        if (options.events === true) {
          io.stdout.write(`\n${painter("bold", "events")}\n`);
          for (const event of history) io.stdout.write(`  ${formatEvent(event, lanes.places[event.seq])}\n`);
        }
      } finally {
        await client.close();
      }
    });
}

/** One line per event; an answer names its command (`→ #3`), an event of a branch its lane (`[all[1]]`). */
function formatEvent(event: HistoryEvent, place: EventPlace | undefined): string {
  const { seq, type, atMs, ...fields } = event;
  // Stacks make a line unreadable; `--json` keeps them.
  if ("error" in fields) fields.error = { name: fields.error.name, message: fields.error.message };
  // The link is printed in front; the field itself would only repeat it.
  if ("commandSeq" in fields) delete fields.commandSeq;
  const command = place?.commandSeq === undefined || place.commandSeq === seq ? "" : `→ #${place.commandSeq} `;
  const lane = place?.commandSeq === undefined || place.path === "" ? "" : `[${place.path ?? "?"}] `;
  return `${String(seq).padStart(4)}  ${formatTime(atMs)}  ${type.padEnd(22)} ${command}${lane}${formatValue(fields, 160)}`;
}

/** Each event's command and lane for `--json`: `{ seq, commandSeq, path }`, path null when unknown. */
function placesToJson(history: readonly HistoryEvent[], lanes: BranchLanes): Record<string, unknown>[] {
  return history.map((event) => {
    const place = lanes.places[event.seq];
    return { seq: event.seq, commandSeq: place?.commandSeq ?? null, path: place?.path ?? null };
  });
}
