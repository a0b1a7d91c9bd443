// `reprise cancel <runId>`: asks a run to stop; the engine that runs it throws CancelledError into the workflow.
// Marks the run only (`finally` blocks run in a worker, never in the CLI); `--force` ends a blocked run at once.
import type { Command } from "commander";
import { dbOption, schemaOption, jsonOption, printJson, type CommandContext } from "../command-context.js";
import { openClient } from "../database.js";

interface CancelOptions {
  readonly db: string;
  readonly schema?: string;
  readonly reason?: string;
  readonly force?: boolean;
  readonly json?: boolean;
}

/**
 * Registers `reprise cancel`.
 *
 * @example
 * defineCancelCommand(program, context); // reprise cancel order-1001 --reason "customer request"
 */
export function defineCancelCommand(program: Command, context: CommandContext): void {
  program
    .command("cancel")
    .summary("request cancellation of a run")
    .description("request cancellation of a run (a worker delivers it at the run's current step or wait)")
    .argument("<runId>", "the run's id")
    .option("--reason <text>", "why; stored with the run and shown by reprise show")
    .option("--force", "end a blocked run as cancelled now, without running its code (no compensation runs)")
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(jsonOption())
    .action(async (runId: string, options: CancelOptions) => {
      const { io } = context;
      const client = await openClient(options.db, io.cwd, options.schema);
      try {
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
