// `reprise start <workflow> [input]`: creates a run, from a definition in --workflows or by a served workflow's name.
// Only records the run; a worker serving the workflow executes it.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { dbOption, jsonOption, printJson, workflowsOption, type CommandContext } from "../command-context.js";
import { openClient, requireDatabase } from "../database.js";
import { CliError, UsageError } from "../errors.js";
import { parseJson } from "../json-input.js";
import { loadWorkflows, pickWorkflow } from "../load-workflows.js";

interface StartOptions {
  readonly db: string;
  readonly workflows?: string;
  readonly id?: string;
  readonly file?: string;
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
    .option("--id <runId>", "the run's id; starting again with the same id returns the existing run")
    .option("--file <path>", "read the JSON input from a file")
    .addOption(dbOption())
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
          : pickWorkflow(await loadWorkflows(options.workflows, io.cwd), workflowName);
      const filename = requireDatabase(options.db, io.cwd);
      const client = await openClient(filename, options.db);
      try {
        const handle =
          definition === undefined
            ? await client.engine.start(workflowName, input, { id: options.id })
            : await client.engine.start(definition, input, { id: options.id });
        const run = await client.engine.getRun(handle.id);
        if (options.json === true)
          return printJson(io, { runId: handle.id, workflow: handle.workflow, status: run?.status });
        io.stdout.write(`started ${handle.workflow} run ${handle.id} (status ${run?.status ?? "unknown"})\n`);
        if (run?.reason !== undefined) io.stdout.write(`note: ${run.reason}\n`);
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
