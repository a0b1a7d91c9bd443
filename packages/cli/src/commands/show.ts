// `reprise show <runId>`: status, version, input, outcome, current wait, unconsumed signals, parent and children,
// timeline; `--events` adds the log, `--generation <n>` shows an earlier generation instead. Reads through the
// public engine API on a client engine, and earlier generations through the store's RunReader; changes nothing.
import type { HistoryEvent, RunInfo, WorkflowDefinition } from "@reprise/core";
import { Option, type Command } from "commander";
import { paint } from "../cli-io.js";
import { lanesFromLog, lanesFromReplay, type BranchLanes, type EventPlace } from "../branch-lanes.js";
import {
  dbOption,
  schemaOption,
  integerOption,
  jsonOption,
  printJson,
  type CommandContext,
} from "../command-context.js";
import { openClient } from "../database.js";
import { CliError } from "../errors.js";
import { formatTime, formatValue } from "../format.js";
import { formatEarlierGenerationHeader } from "../generation-text.js";
import { loadWorkflows } from "../load-workflows.js";
import { toJsonSafe } from "../json-safe.js";
import { formatPendingSignals } from "../pending-signals-text.js";
import { generationVersion, readEarlierGeneration, runGenerations, type RunGenerations } from "../run-generations.js";
import { eventToJson, runToJson } from "../run-json.js";
import { buildTimeline } from "../timeline.js";
import { formatRunHeader, formatTimeline } from "../timeline-text.js";

interface ShowOptions {
  readonly db: string;
  readonly schema?: string;
  readonly json?: boolean;
  readonly events?: boolean;
  readonly workflows?: string;
  readonly generation?: number;
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
    .addOption(schemaOption())
    .option("--events", "also print every event of the run's log")
    .addOption(
      integerOption(
        "--generation <n>",
        "show this earlier generation of a run that continued as new (its timeline and log, kept in the database)",
        1,
        2_147_483_647,
      ),
    )
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
      const client = await openClient(options.db, io.cwd, options.schema);
      try {
        const run = await client.engine.getRun(runId);
        if (run === undefined)
          throw new CliError(`no run with id '${runId}' in ${options.db}; list runs with: reprise runs`);
        const reader = client.store;
        const generations = await runGenerations(reader, run);
        const shown = options.generation ?? run.generation;
        const earlier =
          shown === run.generation ? undefined : await readEarlierGeneration(reader, runId, generations, shown);
        const history = earlier ?? (await client.engine.history(runId));
        const nowMs = Date.now();
        // A generation replays with the code of the version its run_started names (the run's, for the current one).
        const version = earlier === undefined ? run.version : generationVersion(history, run.version);
        const definition = loaded?.catalog.get(run.workflow, version) as WorkflowDefinition<never, unknown> | undefined;
        const lanes = definition === undefined ? lanesFromLog(history) : lanesFromReplay(runId, history, definition);
        // An earlier generation ended with run_continued; the row (status, blocked episodes) is the current one's.
        const timeline = buildTimeline(history, nowMs, earlier === undefined ? run : undefined, lanes);
        if (options.json === true) {
          return printJson(io, {
            run: runToJson(run),
            generation: { shown, ...generations },
            timeline: toJsonSafe(timeline),
            events: history.map(eventToJson),
            places: placesToJson(history, lanes),
          });
        }
        const painter = (style: Parameters<typeof paint>[2], text: string) => paint(io, io.stdout, style, text);
        io.stdout.write(header(run, shown, history, generations, timeline, nowMs, painter));
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

/** The current generation's header with the run's inbox, or the header of the earlier generation shown. */
function header(
  run: RunInfo,
  shown: number,
  history: readonly HistoryEvent[],
  generations: RunGenerations,
  timeline: ReturnType<typeof buildTimeline>,
  nowMs: number,
  painter: Parameters<typeof formatRunHeader>[2],
): string {
  if (shown !== run.generation) return formatEarlierGenerationHeader(run, shown, history, generations, painter);
  return formatRunHeader(run, nowMs, painter, timeline, generations) + formatPendingSignals(run, nowMs, painter);
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
