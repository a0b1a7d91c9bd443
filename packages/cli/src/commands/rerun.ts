// `reprise rerun <runId> [--id <newId>]`: starts a new run with the same workflow, version and input as an existing
// one. The old run is left as it is; the new one gets `--id`, or `<runId>-rerun-<n>` with the first free n.
import type { Engine } from "@reprise/core";
import type { Command } from "commander";
import { dbOption, schemaOption, jsonOption, workflowsOption, type CommandContext } from "../command-context.js";
import { openClient } from "../database.js";
import { CliError } from "../errors.js";
import { loadWorkflows, pickWorkflow } from "../load-workflows.js";
import { reportStart, startRun } from "../start-outcome.js";

interface RerunOptions {
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
  program
    .command("rerun")
    .summary("start a new run with the same workflow and input as a run")
    .description(
      "start a new run with the workflow, version and input of an existing run (any status; the old run is not changed)",
    )
    .argument("<runId>", "the id of the run to repeat")
    .option("--id <newRunId>", "the new run's id (default: <runId>-rerun-<n>, the first n not taken)")
    .addOption(workflowsOption())
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(jsonOption())
    .action(async (runId: string, options: RerunOptions) => {
      const { io } = context;
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
