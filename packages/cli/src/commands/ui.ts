// `reprise ui`: serves the web inspector for a database until SIGINT/SIGTERM.
// Binds 127.0.0.1 by default; any other host needs --token, which every request must then carry.
import { Option, type Command } from "commander";
import { dbOption, schemaOption, integerOption, type CommandContext } from "../command-context.js";
import { loadWorkflows } from "../load-workflows.js";
import { openClient } from "../database.js";
import { startInspectorServer } from "../inspector/inspector-server.js";
import { untilShutdownSignal } from "../shutdown-signals.js";

interface UiOptions {
  readonly db: string;
  readonly schema?: string;
  readonly port: number;
  readonly host: string;
  readonly token?: string;
  readonly workflows?: string;
}

/**
 * Registers `reprise ui`.
 *
 * @example
 * defineUiCommand(program, context); // reprise ui --db reprise.db --port 4318
 */
export function defineUiCommand(program: Command, context: CommandContext): void {
  program
    .command("ui")
    .summary("serve the web inspector")
    .description("serve the web inspector (run list, timelines, signal and cancel) until Ctrl-C")
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(integerOption("--port <port>", "port to listen on (0 picks a free one)", 0, 65_535).default(4318))
    .option("--host <host>", "address to listen on; anything but loopback requires --token", "127.0.0.1")
    .addOption(
      new Option(
        "--token <secret>",
        "access token every request must carry (16+ printable ASCII characters, no spaces, 8+ different ones)",
      ).env("REPRISE_UI_TOKEN"),
    )
    .addOption(
      new Option(
        "--workflows <module>",
        "module exporting your workflows: their code places parallel branches exactly (replayed, never executed)",
      ).env("REPRISE_WORKFLOWS"),
    )
    .action(async (options: UiOptions) => {
      const { io } = context;
      const loaded = options.workflows === undefined ? undefined : await loadWorkflows(options.workflows, io.cwd);
      const client = await openClient(options.db, io.cwd, options.schema);
      try {
        const server = await startInspectorServer({
          store: client.store,
          host: options.host,
          port: options.port,
          token: options.token,
          workflows: loaded === undefined ? undefined : loaded.catalog.definitions(),
        });
        io.stdout.write(`reprise inspector for ${options.db} at ${server.url}\n`);
        await untilShutdownSignal(() => undefined);
        await server.close();
      } finally {
        await client.close();
      }
      io.stdout.write("inspector stopped\n");
    });
}
