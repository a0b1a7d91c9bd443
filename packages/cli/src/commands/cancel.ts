// `reprise cancel <runId>` asks a run to stop; `reprise cancel --tag k=v --status s` asks every matching run, after
// showing how many match and confirming (`--yes` in scripts). Marks runs only: workers deliver the cancellations.
import { RUN_STATUSES, UNFINISHED_STATUSES, type RunStatus } from "@reprise/core";
import { Option, type Command } from "commander";
import {
  dbOption,
  schemaOption,
  InvalidOptionValue,
  jsonOption,
  printJson,
  type CommandContext,
} from "../command-context.js";
import { openClient, type Client } from "../database.js";
import { UsageError } from "../errors.js";
import {
  addTagFilterOptions,
  confirmBulk,
  describeTagFilter,
  tagFilter,
  type TagFilterOptions,
} from "../run-filters.js";

interface CancelOptions extends TagFilterOptions {
  readonly db: string;
  readonly schema?: string;
  readonly reason?: string;
  readonly force?: boolean;
  readonly json?: boolean;
  readonly status?: RunStatus[];
  readonly workflow?: string;
  readonly yes?: boolean;
}

/**
 * Registers `reprise cancel`.
 *
 * @example
 * defineCancelCommand(program, context); // reprise cancel order-1001 --reason "customer request"
 * // reprise cancel --tag customer=7 --status waiting --yes
 */
export function defineCancelCommand(program: Command, context: CommandContext): void {
  const command = program
    .command("cancel")
    .summary("request cancellation of a run, or of every run matching filters")
    .description(
      "request cancellation of a run (a worker delivers it at the run's current step or wait); with --tag, " +
        "--status, --workflow or --created-* instead of a run id, of every unfinished run matching them",
    )
    .argument("[runId]", "the run's id (leave out to cancel by filters)")
    .option("--reason <text>", "why; stored with the run and shown by reprise show")
    .option("--force", "end a blocked run as cancelled now, without running its code (no compensation runs)")
    .addOption(
      new Option(
        "--status <status>",
        `with filters: only runs with this status (${UNFINISHED_STATUSES.join(", ")})`,
      ).argParser(parseStatuses),
    )
    .option("--workflow <name>", "with filters: only runs of this workflow");
  addTagFilterOptions(command)
    .option("--yes", "with filters: cancel without asking (needed when standard input is not a terminal)")
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(jsonOption())
    .action(async (runId: string | undefined, options: CancelOptions) => {
      const { io } = context;
      const filtered =
        options.status !== undefined || options.workflow !== undefined || Object.keys(tagFilter(options)).length > 0;
      if (runId !== undefined && filtered) {
        throw new UsageError("give either a run id or filters (--tag, --status, --workflow, --created-*), not both");
      }
      if (runId === undefined && !filtered) {
        throw new UsageError(
          "name the run to cancel (reprise cancel <runId>), or filters for many (e.g. --tag customer=7 --status waiting)",
        );
      }
      if (runId === undefined && options.force === true) {
        throw new UsageError("--force ends one blocked run; pass its id (reprise cancel <runId> --force)");
      }
      const client = await openClient(options.db, io.cwd, options.schema);
      try {
        if (runId === undefined) return await cancelMatching(context, client, options);
        const result = await client.engine.cancel(runId, { reason: options.reason, force: options.force === true });
        const run = await client.engine.getRun(runId);
        if (options.json === true) {
          return printJson(io, { runId, cancelRequested: true, forced: result.forced, status: run?.status });
        }
        if (result.forced) return void io.stdout.write(`${result.message}\n`);
        if (result.blocked) return void io.stdout.write(`cancellation requested for ${runId}\n${result.message}\n`);
        io.stdout.write(
          `cancellation requested for ${runId}; a worker delivers it at the run's current step or wait\n`,
        );
      } finally {
        await client.close();
      }
    });
}

/** Counts the unfinished runs the filters match, confirms, and requests their cancellation in bounded batches. */
async function cancelMatching(context: CommandContext, client: Client, options: CancelOptions): Promise<void> {
  const { io } = context;
  const filter = {
    status: options.status ?? UNFINISHED_STATUSES,
    workflow: options.workflow,
    ...tagFilter(options),
  };
  const counts = await client.engine.countRunsByStatus(filter);
  const total = UNFINISHED_STATUSES.reduce((sum, status) => sum + counts[status], 0);
  const described = [
    ...(options.status === undefined ? ["unfinished"] : [`status ${options.status.join("/")}`]),
    ...(options.workflow === undefined ? [] : [`workflow '${options.workflow}'`]),
    ...describeTagFilter(options),
  ].join(", ");
  if (total === 0) {
    if (options.json === true) return printJson(io, { matching: 0, cancelRequested: 0 });
    return void io.stdout.write(`no unfinished runs match (${described})\n`);
  }
  const byStatus = UNFINISHED_STATUSES.filter((status) => counts[status] > 0)
    .map((status) => `${counts[status]} ${status}`)
    .join(", ");
  if (options.json !== true) io.stdout.write(`${total} runs match (${described}): ${byStatus}\n`);
  const go = await confirmBulk(io, options.yes, `Request cancellation of ${total} runs?`, `cancel ${total} runs`);
  if (!go) return void io.stdout.write("nothing cancelled\n");
  // Runs whose cancellation was requested before are not marked (or counted) again.
  const cancelled = await client.engine.cancelMany(filter, { reason: options.reason });
  if (options.json === true) return printJson(io, { matching: total, cancelRequested: cancelled });
  io.stdout.write(
    `cancellation requested for ${cancelled} runs; workers deliver it at each run's current step or wait\n`,
  );
}

function parseStatuses(value: string, previous: RunStatus[] | undefined): RunStatus[] {
  const statuses = value.split(",").map((s) => s.trim());
  for (const status of statuses) {
    if (!UNFINISHED_STATUSES.includes(status as RunStatus)) {
      const hint = RUN_STATUSES.includes(status as RunStatus) ? " (finished runs cannot be cancelled)" : "";
      throw new InvalidOptionValue(
        `status '${status}' cannot be cancelled${hint}; use ${UNFINISHED_STATUSES.join(", ")}`,
      );
    }
  }
  return [...(previous ?? []), ...(statuses as RunStatus[])];
}
