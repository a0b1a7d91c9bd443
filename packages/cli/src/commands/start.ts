// `reprise start <workflow> [input]`: creates a run, from a definition in --workflows or by a served workflow's name,
// on the workflow's highest version unless --workflow-version names another. Only records the run; a worker
// serving the workflow at that version executes it. An id that is taken starts nothing.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import {
  dbOption,
  schemaOption,
  jsonOption,
  workflowsOption,
  workflowVersionOption,
  type CommandContext,
} from "../command-context.js";
import { openClient } from "../database.js";
import { CliError, UsageError } from "../errors.js";
import { parseJson } from "../json-input.js";
import { loadWorkflows, pickWorkflow } from "../load-workflows.js";
import { reportStart, startRun } from "../start-outcome.js";

interface StartOptions {
  readonly db: string;
  readonly schema?: string;
  readonly workflows?: string;
  readonly id?: string;
  readonly file?: string;
  readonly workflowVersion?: number;
  readonly json?: boolean;
}

/**
 * Registers `reprise start`.
 *
 * @example
 * defineStartCommand(program, context); // reprise start order '{"orderId":"1001"}' --workflows dist/workflows.js
 */
export function defineStartCommand(program: Command, context: CommandContext): void {
  program
    .command("start")
    .summary("start a run of a workflow")
    .description("start a run of a workflow (a worker serving the workflow executes it)")
    .argument("<workflow>", "the workflow's name")
    .argument("[input]", "the run's input as JSON (default: no input)")
    .addOption(workflowsOption())
    .option("--id <runId>", "the run's id; if a run has it, nothing new starts (exit 1 when that run has finished)")
    .option("--file <path>", "read the JSON input from a file")
    .addOption(
      workflowVersionOption(
        "start on this version of the workflow (default: the highest in --workflows, else the highest a worker has served on the database)",
      ),
    )
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(jsonOption())
    .action(async (workflowName: string, inputText: string | undefined, options: StartOptions) => {
      const { io } = context;
      if (inputText !== undefined && options.file !== undefined) {
        throw new UsageError("give the input either as an argument or with --file, not both");
      }
      const input = options.file === undefined ? parseOptional(inputText) : await readInput(options.file, io.cwd);
      const definition =
        options.workflows === undefined
          ? undefined
          : pickWorkflow(await loadWorkflows(options.workflows, io.cwd), workflowName, options.workflowVersion);
      const client = await openClient(options.db, io.cwd, options.schema);
      try {
        // Started by name, a run gets the highest version a worker has served on this store (undefined: none has,
        // and the engine starts it on version 1), so that it does not wait for code nobody runs any more.
        const version =
          definition?.version ?? options.workflowVersion ?? (await client.store.highestServedVersion(workflowName));
        const outcome = await startRun(client.engine, definition ?? workflowName, input, options.id, version);
        reportStart(io, outcome, { json: options.json === true });
      } finally {
        await client.close();
      }
    });
}

function parseOptional(text: string | undefined): unknown {
  return text === undefined ? undefined : parseJson(text, "the input");
}

async function readInput(file: string, cwd: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), "utf8");
  } catch (error) {
    throw new CliError(`cannot read the input from ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseJson(text, `the input in ${file}`);
}
