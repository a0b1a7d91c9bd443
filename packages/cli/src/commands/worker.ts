// `reprise worker --workflows <module>`: runs an engine for the module's workflows until SIGINT/SIGTERM, then
// closes it gracefully (running steps finish or are released). Creates the database when it does not exist.
import { createEngine } from "@reprise/core";
import type { Command } from "commander";
import { paint } from "../cli-io.js";
import { dbOption, schemaOption, integerOption, workflowsOption, type CommandContext } from "../command-context.js";
import { openWorkerStore } from "../database.js";
import { loadWorkflows } from "../load-workflows.js";
import { describeFailure } from "../report-error.js";
import { untilShutdownSignal } from "../shutdown-signals.js";
import type { WorkflowCatalog } from "../workflow-catalog.js";
import { describeRunProblem, reportRunProblems } from "../worker-run-report.js";
import { startWorkerStatus } from "../worker-status.js";

interface WorkerOptions {
  readonly db: string;
  readonly schema?: string;
  readonly workflows: string;
  readonly concurrency?: number;
  readonly pollInterval?: number;
  readonly shutdownGrace?: number;
  readonly lease?: number;
}

/**
 * Registers `reprise worker`.
 *
 * @example
 * defineWorkerCommand(program, context); // reprise worker --workflows dist/workflows.js --db /var/lib/app/reprise.db
 */
export function defineWorkerCommand(program: Command, context: CommandContext): void {
  program
    .command("worker")
    .summary("execute runs until SIGINT/SIGTERM")
    .description("execute runs of the module's workflows until SIGINT/SIGTERM, then shut down gracefully")
    .addOption(workflowsOption().makeOptionMandatory())
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(integerOption("--concurrency <n>", "most runs executing at once (default 100)", 1, 100_000))
    .addOption(
      integerOption(
        "--poll-interval <ms>",
        "how often to look for work from other processes (default 500)",
        1,
        3_600_000,
      ),
    )
    .addOption(
      integerOption(
        "--shutdown-grace <ms>",
        "how long running steps may finish on shutdown (default 10000)",
        0,
        3_600_000,
      ),
    )
    .addOption(
      integerOption(
        "--lease <ms>",
        "how long a claimed run stays reserved without renewal (default 5000)",
        100,
        3_600_000,
      ),
    )
    .action(async (options: WorkerOptions) => {
      const { io } = context;
      const loaded = await loadWorkflows(options.workflows, io.cwd);
      const { store } = await openWorkerStore(options.db, io.cwd, options.schema);
      const names = loaded.catalog.names();
      // One line per run this worker fails or blocks, so that problems do not go unnoticed in its output.
      const reportingStore = reportRunProblems(store, (problem) =>
        io.stderr.write(`${io.stderr.isTTY === true ? "\r\u001b[2K" : ""}${describeRunProblem(problem)}\n`),
      );
      const engine = createEngine({
        store: reportingStore,
        // Every version the module exports: runs stay on the version they started on, new runs get the highest.
        workflows: loaded.catalog.definitions(),
        concurrency: options.concurrency,
        pollIntervalMs: options.pollInterval,
        shutdownGraceMs: options.shutdownGrace,
        leaseMs: options.lease,
        onError: (error) =>
          io.stderr.write(`\r\u001b[2K${paint(io, io.stderr, "red", "error:")} ${describeFailure(error).message}\n`),
      });
      io.stdout.write(
        `reprise worker (pid ${process.pid}) serving ${describeServed(loaded.catalog)} on ${options.db}; Ctrl-C stops it\n`,
      );
      const status = startWorkerStatus(io, engine, store, names);
      const signal = await untilShutdownSignal(() =>
        io.stderr.write("\nforced exit: in-flight steps are left to lease expiry\n"),
      );
      status.stop();
      io.stdout.write(
        `${signal}: stopping; running steps may finish (up to the shutdown grace), then leases are released\n`,
      );
      try {
        await engine.close();
      } finally {
        await store.close();
      }
      io.stdout.write(`stopped (${engine.stats().stepAttempts} step attempts in this worker)\n`);
    });
}

/** "order (versions 1, 2), nap": a name alone when the module has only its version 1. */
function describeServed(catalog: WorkflowCatalog): string {
  return catalog
    .names()
    .map((name) => {
      const versions = catalog.versionsOf(name);
      if (versions.length === 1 && versions[0] === 1) return name;
      return `${name} (version${versions.length === 1 ? "" : "s"} ${versions.join(", ")})`;
    })
    .join(", ");
}
