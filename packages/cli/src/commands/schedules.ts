// `reprise schedules`: the store's schedules with their next fire times (read through RunReader), and
// `reprise schedules pause|resume|trigger|delete <id>`, which act through a client engine that fires nothing.
import type { ScheduleRecord } from "@reprise/core";
import type { Command } from "commander";
import { paint } from "../cli-io.js";
import {
  dbOption,
  integerOption,
  jsonOption,
  printJson,
  schemaOption,
  type CommandContext,
} from "../command-context.js";
import { openClient, openReader } from "../database.js";
import { formatFromNow, formatTable, formatTime } from "../format.js";

interface StoreOptions {
  readonly db: string;
  readonly schema?: string;
  readonly json?: boolean;
}

interface ListOptions extends StoreOptions {
  readonly limit: number;
}

/**
 * Registers `reprise schedules` and its subcommands.
 *
 * @example
 * defineSchedulesCommand(program, context); // reprise schedules; reprise schedules pause nightly-report
 */
export function defineSchedulesCommand(program: Command, context: CommandContext): void {
  const schedules = program
    .command("schedules")
    .summary("list schedules with their next fire times; pause, resume, trigger or delete one")
    .description(
      "list schedules with their next fire times (default), or pause, resume, trigger (run now) or delete one",
    );
  const withStore = (command: Command) =>
    command.addOption(dbOption()).addOption(schemaOption()).addOption(jsonOption());

  withStore(
    schedules
      .command("list", { isDefault: true })
      .description("list schedules in order of id, each with its next fire time")
      .addOption(integerOption("--limit <n>", "at most this many schedules (1-10000)", 1, 10_000).default(100)),
  ).action(async (options: ListOptions) => {
    const { io } = context;
    const opened = await openReader(options.db, io.cwd, options.schema);
    const { reader } = opened;
    try {
      const listed = await reader.listSchedules(undefined, options.limit);
      if (options.json === true) return printJson(io, { schedules: listed.map(scheduleToJson) });
      if (listed.length === 0) return void io.stdout.write(`no schedules in ${options.db}\n`);
      const nowMs = Date.now();
      const rows = listed.map((s) => [
        s.id,
        s.workflow,
        s.cron,
        s.timezone,
        s.paused
          ? paint(io, io.stdout, "yellow", "paused")
          : s.nextFireAtMs === undefined
            ? "never"
            : `${formatTime(s.nextFireAtMs)} (${formatFromNow(s.nextFireAtMs, nowMs)})`,
        `${s.overlap}/${s.catchUp}`,
        s.lastRunId ?? "-",
      ]);
      io.stdout.write(
        formatTable(["ID", "WORKFLOW", "CRON", "TIME ZONE", "NEXT FIRE", "OVERLAP/CATCH-UP", "LAST RUN"], rows),
      );
      if (listed.length === options.limit) {
        io.stdout.write(paint(io, io.stdout, "gray", `(first ${options.limit} schedules; pass --limit for more)\n`));
      }
    } finally {
      await opened.close();
    }
  });

  const act = (name: string, description: string, run: (id: string, options: StoreOptions) => Promise<void>) =>
    withStore(schedules.command(name).description(description).argument("<id>", "the schedule's id")).action(run);

  for (const [name, description, done] of [
    ["pause", "stop a schedule firing until it is resumed (runs already started go on)", "paused"],
    ["resume", "fire a paused schedule again, from its next fire time after now", "resumed"],
  ] as const) {
    act(name, description, async (id, options) => {
      const client = await openClient(options.db, context.io.cwd, options.schema);
      try {
        const schedule = await client.engine.schedules[name](id);
        if (options.json === true) return printJson(context.io, { schedule: { ...schedule, input: undefined } });
        const next = schedule.nextFireAtMs === undefined ? "" : `; next fire ${formatTime(schedule.nextFireAtMs)}`;
        context.io.stdout.write(`schedule ${id} ${done}${next}\n`);
      } finally {
        await client.close();
      }
    });
  }

  act("trigger", "start a run of the schedule now (a worker serving its workflow executes it)", async (id, options) => {
    const client = await openClient(options.db, context.io.cwd, options.schema);
    try {
      const schedule = await client.engine.schedules.get(id);
      // As `reprise start` by name: the highest version a worker has served, so the run does not wait for old code.
      const version = schedule === undefined ? undefined : await client.store.highestServedVersion(schedule.workflow);
      const run = await client.engine.schedules.trigger(id, { version });
      if (options.json === true) return printJson(context.io, { scheduleId: id, runId: run.id });
      context.io.stdout.write(
        `started run ${run.id} of schedule ${id}; a worker serving ${run.workflow} executes it\n`,
      );
    } finally {
      await client.close();
    }
  });

  act("delete", "delete a schedule (runs it started are kept)", async (id, options) => {
    const client = await openClient(options.db, context.io.cwd, options.schema);
    try {
      await client.engine.schedules.delete(id);
      if (options.json === true) return printJson(context.io, { scheduleId: id, deleted: true });
      context.io.stdout.write(`schedule ${id} deleted; runs it started are kept\n`);
    } finally {
      await client.close();
    }
  });
}

/** A schedule as plain JSON (its input stays encoded: the CLI shows it, never decodes it into values). */
function scheduleToJson(schedule: ScheduleRecord): Record<string, unknown> {
  const { input: _input, revision: _revision, ...fields } = schedule;
  return fields;
}
