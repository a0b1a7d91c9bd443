// `reprise runs`: a table of runs, newest first, filtered by status, workflow, version, tags and creation time,
// with the count of all runs the filters match; `--json` for scripts.
// Reads through the public engine API on a client engine; changes nothing.
import { RUN_STATUSES, type RunInfo, type RunStatus } from "@reprise/core";
import { Option, type Command } from "commander";
import { paint } from "../cli-io.js";
import {
  dbOption,
  schemaOption,
  integerOption,
  InvalidOptionValue,
  jsonOption,
  printJson,
  workflowVersionOption,
  type CommandContext,
} from "../command-context.js";
import { openClient } from "../database.js";
import { formatFromNow, formatTable, formatTime } from "../format.js";
import { runToJson } from "../run-json.js";
import { describeWait, STATUS_STYLE } from "../timeline-text.js";
import { addTagFilterOptions, describeTagFilter, tagFilter, type TagFilterOptions } from "../run-filters.js";

interface RunsOptions extends TagFilterOptions {
  readonly db: string;
  readonly schema?: string;
  readonly status?: RunStatus[];
  readonly workflow?: string;
  readonly parent?: string;
  readonly workflowVersion?: number;
  readonly limit: number;
  readonly json?: boolean;
}

/**
 * Registers `reprise runs`.
 *
 * @example
 * defineRunsCommand(program, context); // reprise runs --status waiting --workflow order --limit 20
 */
export function defineRunsCommand(program: Command, context: CommandContext): void {
  const command = program
    .command("runs")
    .summary("list runs, newest first")
    .description("list runs, newest first")
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(
      new Option(
        "--status <status>",
        `only runs with this status (repeat or comma-separate; ${RUN_STATUSES.join(", ")})`,
      ).argParser(parseStatuses),
    )
    .option("--workflow <name>", "only runs of this workflow")
    .addOption(workflowVersionOption("only runs that started on this version of their workflow"))
    .option("--parent <runId>", "only the child runs this run started");
  addTagFilterOptions(command)
    .addOption(integerOption("--limit <n>", "at most this many runs (1-10000)", 1, 10_000).default(50))
    .addOption(jsonOption())
    .action(async (options: RunsOptions) => {
      const { io } = context;
      const client = await openClient(options.db, io.cwd, options.schema);
      try {
        const filter = {
          status: options.status,
          workflow: options.workflow,
          parent: options.parent,
          version: options.workflowVersion,
          ...tagFilter(options),
        };
        const [runs, matching] = await Promise.all([
          client.engine.listRuns({ ...filter, limit: options.limit }),
          client.engine.countRuns(filter),
        ]);
        if (options.json === true) return printJson(io, { runs: runs.map(runToJson), matching });
        if (runs.length === 0) return void io.stdout.write(`no runs${describeFilters(options)} in ${options.db}\n`);
        const nowMs = Date.now();
        const columns = versionColumns(runs);
        // A TAGS column only when a listed run has tags: lists of untagged runs look as they always did.
        const tagged = runs.some((run) => Object.keys(run.tags).length > 0);
        // Likewise a QUEUE column (queue, and key when there is one) only when a listed run is in a queue.
        const queued = runs.some((run) => run.queue !== undefined);
        const rows = runs.map((run) => [
          run.id,
          columns.workflow(run),
          ...columns.generation(run),
          run.corrupt === undefined
            ? paint(io, io.stdout, STATUS_STYLE[run.status] ?? "bold", run.status)
            : paint(io, io.stdout, "red", `${run.status} (corrupt ${run.corrupt.map((d) => d.column).join(", ")})`),
          describeWait(run, nowMs) ?? (run.status === "blocked" ? "fixed code (see reprise show)" : "-"),
          `${formatTime(run.updatedAtMs)} (${formatFromNow(run.updatedAtMs, nowMs)})`,
          ...(queued
            ? [run.queue === undefined ? "-" : `${run.queue}${run.key === undefined ? "" : ` (${run.key})`}`]
            : []),
          ...(tagged ? [tagsText(run)] : []),
        ]);
        const header = [
          "ID",
          "WORKFLOW",
          ...columns.header,
          "STATUS",
          "WAITING FOR",
          "UPDATED",
          ...(queued ? ["QUEUE"] : []),
          ...(tagged ? ["TAGS"] : []),
        ];
        io.stdout.write(formatTable(header, rows));
        // The count follows the same filters as the list, so it says how many the list leaves out.
        const shown = runs.length < matching ? `the newest ${runs.length} of ` : "";
        const more = runs.length < matching ? "; pass --limit for more" : "";
        io.stdout.write(
          paint(io, io.stdout, "gray", `(${shown}${matching} matching run${matching === 1 ? "" : "s"}${more})\n`),
        );
        // A damaged row is listed like the others; say what cannot be read, once per damaged value.
        for (const run of runs) {
          for (const { column, problem } of run.corrupt ?? []) {
            const line = `run ${run.id}: its stored ${column} (runs.${column}) cannot be decoded: ${problem}`;
            io.stdout.write(`${paint(io, io.stdout, "red", line)}\n`);
          }
        }
      } finally {
        await client.close();
      }
    });
}

/**
 * How the table shows versions and generations. Only when a listed run has a version other than 1 does every
 * workflow cell carry its run's version (`order@2`); a GEN column appears only when a run has continued as new.
 * Unversioned workflows thus list as they always did, and a mixed list never leaves a version implied.
 */
function versionColumns(runs: readonly RunInfo[]): {
  header: string[];
  workflow: (run: RunInfo) => string;
  generation: (run: RunInfo) => string[];
} {
  const versioned = runs.some((run) => run.version !== 1);
  const continued = runs.some((run) => run.generation > 1);
  return {
    header: continued ? ["GEN"] : [],
    workflow: (run) => (versioned ? `${run.workflow}@${run.version}` : run.workflow),
    generation: (run) => (continued ? [String(run.generation)] : []),
  };
}

/** `customer=42 plan=pro`, cut to stay readable in a table. */
function tagsText(run: RunInfo): string {
  const text = Object.entries(run.tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  return text.length > 60 ? `${text.slice(0, 59)}…` : text || "-";
}

function parseStatuses(value: string, previous: RunStatus[] | undefined): RunStatus[] {
  const statuses = value.split(",").map((s) => s.trim());
  for (const status of statuses) {
    if (!RUN_STATUSES.includes(status as RunStatus)) {
      throw new InvalidOptionValue(`unknown status '${status}'; use one of ${RUN_STATUSES.join(", ")}`);
    }
  }
  return [...(previous ?? []), ...(statuses as RunStatus[])];
}

function describeFilters(options: RunsOptions): string {
  const parts = [];
  if (options.status !== undefined) parts.push(`status ${options.status.join("/")}`);
  if (options.workflow !== undefined) parts.push(`workflow '${options.workflow}'`);
  if (options.workflowVersion !== undefined) parts.push(`version ${options.workflowVersion}`);
  if (options.parent !== undefined) parts.push(`parent ${options.parent}`);
  parts.push(...describeTagFilter(options));
  return parts.length === 0 ? "" : ` with ${parts.join(" and ")}`;
}
