// `reprise signal <runId> <name> [payload]`: stores a signal for a run (JSON payload inline, from a file or stdin).
// The payload is parsed and checked before the database is touched; resends with the same --id are ignored.
// A signal the run is not waiting for is still stored, with a warning on stderr (exit code 0).
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { paint } from "../cli-io.js";
import { dbOption, schemaOption, jsonOption, printJson, type CommandContext } from "../command-context.js";
import { openClient } from "../database.js";
import { CliError, UsageError } from "../errors.js";
import { parseJson } from "../json-input.js";
import { signalMismatch } from "../pending-signals-text.js";

interface SignalOptions {
  readonly db: string;
  readonly schema?: string;
  readonly file?: string;
  readonly id?: string;
  readonly json?: boolean;
}

/**
 * Registers `reprise signal`.
 *
 * @example
 * defineSignalCommand(program, context); // reprise signal order-1001 shipped '{"carrier":"DHL"}' --id webhook-42
 */
export function defineSignalCommand(program: Command, context: CommandContext): void {
  program
    .command("signal")
    .summary("send a signal to a run")
    .description("send a signal to a run; it waits in the run's inbox until awaitSignal(name) takes it")
    .argument("<runId>", "the run's id")
    .argument("<name>", "the signal's name, as in awaitSignal(name)")
    .argument("[payload]", "the payload as JSON, e.g. '{\"approved\": true}' (default: no payload)")
    .option("--file <path>", "read the JSON payload from a file ('-' for stdin)")
    .option("--id <signalId>", "a de-duplication id: a second signal with the same id is ignored")
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(jsonOption())
    .action(async (runId: string, name: string, payloadText: string | undefined, options: SignalOptions) => {
      const { io } = context;
      const payload = await readPayload(payloadText, options.file, context);
      const client = await openClient(options.db, io.cwd, options.schema);
      try {
        // Read before sending: afterwards the run may already have taken the signal and moved on to another wait.
        const before = await client.engine.getRun(runId);
        const sent = await client.engine.signal(runId, name, payload, { id: options.id });
        const warning = sent.duplicate || before === undefined ? undefined : signalMismatch(before, name);
        if (warning !== undefined) io.stderr.write(`${paint(io, io.stderr, "yellow", "warning:")} ${warning}\n`);
        if (options.json === true) {
          return printJson(io, { runId, name, signalId: sent.id, duplicate: sent.duplicate, warning });
        }
        io.stdout.write(
          sent.duplicate
            ? `signal id '${sent.id}' was already sent to ${runId}; nothing new stored\n`
            : `sent signal '${name}' to ${runId} (signal id ${sent.id})\n`,
        );
      } finally {
        await client.close();
      }
    });
}

async function readPayload(
  inline: string | undefined,
  file: string | undefined,
  context: CommandContext,
): Promise<unknown> {
  if (inline !== undefined && file !== undefined) {
    throw new UsageError("give the payload either as an argument or with --file, not both");
  }
  if (file === undefined) return inline === undefined ? undefined : parseJson(inline, "the payload");
  let text: string;
  try {
    text = file === "-" ? await context.io.readStdin() : await readFile(resolve(context.io.cwd, file), "utf8");
  } catch (error) {
    throw new CliError(`cannot read the payload from ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseJson(text, file === "-" ? "the payload on stdin" : `the payload in ${file}`);
}
