// `reprise rerun <runId> [--id <newId>]`: starts a new run with the same workflow, version and input as an existing
// one. The old run is left as it is; the new one gets `--id`, or `<runId>-rerun-<n>` with the first free n.
// `reprise rerun --status failed --tag k=v`: the same for every matching finished run (engine.rerunMany), confirmed.
import type { Engine, RunStatus } from "@reprise/core";
import { Option, type Command } from "commander";
import {
  dbOption,
  schemaOption,
  InvalidOptionValue,
  jsonOption,
  printJson,
  workflowsOption,
  type CommandContext,
} from "../command-context.js";
import { openClient, type Client } from "../database.js";
import { CliError, UsageError } from "../errors.js";
import {
  addTagFilterOptions,
  confirmBulk,
  describeTagFilter,
  tagFilter,
  type TagFilterOptions,
} from "../run-filters.js";
import { loadWorkflows, pickWorkflow } from "../load-workflows.js";
import { reportStart, startRun } from "../start-outcome.js";

interface RerunOptions extends TagFilterOptions {
  readonly status?: RunStatus[];
  readonly workflow?: string;
  readonly yes?: boolean;
  readonly db: string;
  readonly schema?: string;
  readonly workflows?: string;
  readonly id?: string;
  readonly json?: boolean;
}

/** Derived ids tried before giving up; a run rerun this often wants an explicit --id. */
const MAX_DERIVED_IDS = 1000;

/**
 * Registers `reprise rerun`.
 *
 * @example
 * defineRerunCommand(program, context); // reprise rerun order-1001 → started order run order-1001-rerun-1
 */
export function defineRerunCommand(program: Command, context: CommandContext): void {
  const command = program
    .command("rerun")
    .summary("start a new run with the same workflow and input as a run")
    .description(
      "start a new run with the workflow, version and input of an existing run (any status; the old run is not changed)",
    )
    .argument("[runId]", "the id of the run to repeat (leave out to rerun by filters)")
    .option("--id <newRunId>", "the new run's id (default: <runId>-rerun-<n>, the first n not taken)")
    .addOption(
      new Option(
        "--status <status>",
        "with filters: only runs with this status (completed, failed, cancelled; default failed)",
      ).argParser(parseFinishedStatuses),
    )
    .option("--workflow <name>", "with filters: only runs of this workflow");
  addTagFilterOptions(command)
    .option("--yes", "with filters: rerun without asking (needed when standard input is not a terminal)")
    .addOption(workflowsOption())
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(jsonOption())
    .action(async (runId: string | undefined, options: RerunOptions) => {
      const { io } = context;
      const filtered =
        options.status !== undefined || options.workflow !== undefined || Object.keys(tagFilter(options)).length > 0;
      if (runId !== undefined && filtered) throw new UsageError("give either a run id or filters, not both");
      if (runId === undefined && !filtered) {
        throw new UsageError(
          "name the run to repeat (reprise rerun <runId>), or filters (e.g. --status failed --tag k=v)",
        );
      }
      if (runId === undefined) {
        if (options.id !== undefined) throw new UsageError("--id names one rerun; reruns by filters get <id>-rerun-1");
        const client = await openClient(options.db, io.cwd, options.schema);
        try {
          return await rerunMatching(context, client, options);
        } finally {
          await client.close();
        }
      }
      const loaded = options.workflows === undefined ? undefined : await loadWorkflows(options.workflows, io.cwd);
      const client = await openClient(options.db, io.cwd, options.schema);
      try {
        const original = await client.engine.getRun(runId);
        if (original === undefined) {
          throw new CliError(`no run with id '${runId}' in ${options.db}; list runs with: reprise runs`);
        }
        // The same version as the original: its input is one that version's code was written for.
        const { version } = original;
        const workflow = loaded === undefined ? original.workflow : pickWorkflow(loaded, original.workflow, version);
        const newId = options.id ?? (await freeDerivedId(client.engine, runId));
        const outcome = await startRun(client.engine, workflow, original.input, newId, version);
        reportStart(io, outcome, { json: options.json === true, rerunOf: runId });
      } finally {
        await client.close();
      }
    });
}

/** `<runId>-rerun-1`, `-rerun-2`, ...: the first that no run has. */
async function freeDerivedId(engine: Engine, runId: string): Promise<string> {
  for (let n = 1; n <= MAX_DERIVED_IDS; n++) {
    const candidate = `${runId}-rerun-${n}`;
    if ((await engine.getRun(candidate)) === undefined) return candidate;
  }
  throw new CliError(`${runId} has been rerun ${MAX_DERIVED_IDS} times; give the new run an id with --id <newRunId>`);
}

/** Counts the finished runs the filters match, confirms, and reruns them (engine.rerunMany: idempotent ids). */
async function rerunMatching(context: CommandContext, client: Client, options: RerunOptions): Promise<void> {
  const { io } = context;
  const filter = {
    status: options.status ?? (["failed"] as RunStatus[]),
    workflow: options.workflow,
    ...tagFilter(options),
  };
  const total = await client.engine.countRuns(filter);
  const described = [
    `status ${filter.status.join("/")}`,
    ...(options.workflow === undefined ? [] : [`workflow '${options.workflow}'`]),
    ...describeTagFilter(options),
  ].join(", ");
  if (total === 0) {
    if (options.json === true) return printJson(io, { matching: 0, runIds: [], skipped: [] });
    return void io.stdout.write(`no runs match (${described})\n`);
  }
  if (options.json !== true) io.stdout.write(`${total} runs match (${described})\n`);
  if (!(await confirmBulk(io, options.yes, `Start a rerun of each of ${total} runs?`, `rerun ${total} runs`))) {
    return void io.stdout.write("nothing started\n");
  }
  const { runIds, skipped } = await client.engine.rerunMany(filter);
  if (options.json === true) return printJson(io, { matching: total, runIds, skipped });
  io.stdout.write(`${runIds.length} reruns (ids <runId>-rerun-1; one rerun before is kept, not started again)\n`);
  for (const { runId, reason } of skipped) io.stdout.write(`skipped ${runId}: ${reason}\n`);
}

function parseFinishedStatuses(value: string, previous: RunStatus[] | undefined): RunStatus[] {
  const statuses = value.split(",").map((s) => s.trim());
  for (const status of statuses) {
    if (status !== "completed" && status !== "failed" && status !== "cancelled") {
      throw new InvalidOptionValue(
        `only finished runs are rerun by filters: completed, failed, cancelled (got '${status}')`,
      );
    }
  }
  return [...(previous ?? []), ...(statuses as RunStatus[])];
}
