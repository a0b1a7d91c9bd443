// `reprise copy --from <db> --to <db>`: moves every run with its history, signals and timers into another store
// (SQLite to PostgreSQL, or any pair). Checks the whole source first; writes nothing if any run would clash.
import { existsSync, realpathSync } from "node:fs";
import type { Command } from "commander";
import { integerOption, jsonOption, printJson, type CommandContext } from "../command-context.js";
import {
  DEFAULT_COPY_BATCH,
  checkSource,
  copyRuns,
  copySchedules,
  sourceSchedules,
  takenRunIds,
  takenScheduleIds,
} from "../copy-runs.js";
import { openReader, openWorkerStore, parseDbOption, type StoreTarget } from "../database.js";
import { CliError } from "../errors.js";

interface CopyOptions {
  readonly from: string;
  readonly to: string;
  readonly fromSchema?: string;
  readonly toSchema?: string;
  readonly batch: number;
  readonly json?: boolean;
}

/**
 * Registers `reprise copy`.
 *
 * @example
 * defineCopyCommand(program, context); // reprise copy --from reprise.db --to postgres://app@db/app
 */
export function defineCopyCommand(program: Command, context: CommandContext): void {
  program
    .command("copy")
    .summary("copy every run, with its history, signals and timers, and every schedule into another store")
    .description(
      "copy every run of one store, with its full history (every generation), signals, timers and blocked " +
        "episodes, and every schedule, into another store: e.g. from a SQLite file to PostgreSQL. Stop the workers " +
        "on the source " +
        "first; runs in flight continue on the target once its workers start. Refuses a target that already " +
        "holds any of the runs, and a source run an engine still holds.",
    )
    .requiredOption("--from <file|url>", "the store to copy from: a SQLite file, or a postgres:// URL")
    .requiredOption(
      "--to <file|url>",
      "the store to copy into (created if missing): a SQLite file, or a postgres:// URL",
    )
    .option("--from-schema <name>", "PostgreSQL schema of a postgres:// --from (default: ?schema=, else reprise)")
    .option("--to-schema <name>", "PostgreSQL schema of a postgres:// --to (default: ?schema=, else reprise)")
    .addOption(
      integerOption("--batch <runs>", "runs per transaction on the target", 1, 10_000).default(DEFAULT_COPY_BATCH),
    )
    .addOption(jsonOption())
    .action(async (options: CopyOptions) => {
      const { io } = context;
      const from = parseDbOption(options.from, io.cwd, options.fromSchema);
      const to = parseDbOption(options.to, io.cwd, options.toSchema);
      if (sameStore(from, to)) {
        throw new CliError(`--from and --to both name ${from.shownAs}; copy into another file or schema`);
      }
      const source = await openReader(options.from, io.cwd, options.fromSchema);
      try {
        // The source first, so that a refused copy has not created the target file or schema.
        const check = await checkSource(source.reader, options.batch);
        const schedules = await sourceSchedules(source.reader);
        if (check.leased.length > 0) {
          const first = check.leased[0] as (typeof check.leased)[number];
          throw new CliError(
            `${check.leased.length} run(s) of ${from.shownAs} are held by a running engine (e.g. '${first.id}' by ` +
              `${first.owner} until ${new Date(first.expiresAtMs).toISOString()}); nothing was copied. Stop the ` +
              `workers on the source, wait until their leases end, and copy again.`,
          );
        }
        const { store: target } = await openWorkerStore(options.to, io.cwd, options.toSchema);
        try {
          const taken = await takenRunIds(target, check.idPages);
          if (taken.length > 0) {
            const shown = taken
              .slice(0, 5)
              .map((id) => `'${id}'`)
              .join(", ");
            throw new CliError(
              `${to.shownAs} already holds ${taken.length} of the ${check.runs} runs (e.g. ${shown}); ` +
                `nothing was copied. Copy into an empty store: a new SQLite file or PostgreSQL schema.`,
            );
          }
          const takenSchedules = await takenScheduleIds(target, schedules);
          if (takenSchedules.length > 0) {
            throw new CliError(
              `${to.shownAs} already has ${takenSchedules.length} of the ${schedules.length} schedules (e.g. ` +
                `'${takenSchedules[0] as string}'); nothing was copied. Copy into an empty store.`,
            );
          }
          const copied = await copyRuns(source.reader, target, {
            batch: options.batch,
            onPage: (count) => {
              if (options.json !== true && io.stderr.isTTY === true) io.stderr.write(`\rcopied ${count} runs`);
            },
          });
          if (options.json !== true && io.stderr.isTTY === true) io.stderr.write("\n");
          // After the runs: a schedule's last run is then in the target when the schedule arrives.
          const summary = { ...copied, schedules: await copySchedules(schedules, target) };
          if (options.json === true) return printJson(io, { from: from.shownAs, to: to.shownAs, ...summary });
          io.stdout.write(
            `copied ${summary.runs} runs (${summary.events} events, ${summary.signals} signals) and ` +
              `${summary.schedules} schedules from ${from.shownAs} to ${to.shownAs}\n`,
          );
          if (summary.unfinished > 0) {
            io.stdout.write(
              `${summary.unfinished} of them are not finished: start workers on the target ` +
                `(reprise worker --db ${options.to}) and they continue; do not start workers on the source again.\n`,
            );
          }
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    });
}

/** Whether two targets are one store: the same file (after links), or the same database URL and schema. */
function sameStore(a: StoreTarget, b: StoreTarget): boolean {
  if (a.kind === "sqlite" && b.kind === "sqlite") {
    const real = (filename: string) => (existsSync(filename) ? realpathSync(filename) : filename);
    return real(a.filename) === real(b.filename);
  }
  if (a.kind === "postgres" && b.kind === "postgres") {
    return a.connectionString === b.connectionString && a.schema === b.schema;
  }
  return false;
}
