// Starting a run for `reprise start` and `reprise rerun`, and saying truthfully what happened: a new run, or an
// existing one with that id (idempotent start). Never starts a second run under an id that is taken.
import { FINISHED_STATUSES, type Engine, type RunInfo } from "@reprise/core";
import type { CliIo } from "./cli-io.js";
import { printJson } from "./command-context.js";
import { CliError } from "./errors.js";
import type { AnyWorkflow } from "./load-workflows.js";

/** What a start did: the run as it is now, and whether it existed before this start. */
export interface StartOutcome {
  readonly runId: string;
  readonly workflow: string;
  readonly run: RunInfo | undefined;
  /** The run that already had this id, as read just before the start; undefined when the start created it. */
  readonly existing: RunInfo | undefined;
}

/**
 * Starts `workflow` with `input` under `id` (or a generated id) through the engine's idempotent start(),
 * noting whether a run with that id existed before. `version` is the version of the workflow's definition the
 * run starts on; the CLI's client engine serves no workflow, so without it the engine would pick the
 * definition's own version (by name: version 1).
 *
 * @example
 * const outcome = await startRun(client.engine, "order", { orderId: "1001" }, "order-1001", 2);
 * if (outcome.existing !== undefined) console.log(`already there: ${outcome.existing.status}`);
 */
export async function startRun(
  engine: Engine,
  workflow: AnyWorkflow | string,
  input: unknown,
  id: string | undefined,
  version?: number,
): Promise<StartOutcome> {
  const existing = id === undefined ? undefined : await engine.getRun(id);
  // Called for an existing run too: start() is idempotent, refuses another workflow under the same id
  // (RunIdConflictError), and gets a resent run going again.
  const handle =
    typeof workflow === "string"
      ? await engine.start(workflow, input, { id, version })
      : await engine.start(workflow, input, { id, version });
  return { runId: handle.id, workflow: handle.workflow, run: await engine.getRun(handle.id), existing };
}

/**
 * Prints what a start did. A run that already existed is reported as such: unfinished, it is an idempotent
 * resend (exit 0); finished, nothing was started, which is a failure (CliError, exit 1) pointing to `reprise rerun`.
 *
 * @example
 * reportStart(io, await startRun(client.engine, "order", input, "order-1"), { json: false });
 */
export function reportStart(io: CliIo, outcome: StartOutcome, options: { json: boolean; rerunOf?: string }): void {
  const { runId, workflow, run, existing } = outcome;
  if (existing !== undefined && FINISHED_STATUSES.has(existing.status)) {
    throw new CliError(
      `run ${runId} already exists (status ${existing.status}); nothing started. ` +
        `Use \`reprise rerun ${runId}\` to start it again under a new id`,
    );
  }
  const status = run?.status ?? "unknown";
  if (options.json) {
    const version = run?.version;
    printJson(io, { runId, workflow, version, status, created: existing === undefined, rerunOf: options.rerunOf });
    return;
  }
  if (existing !== undefined) {
    io.stdout.write(`run ${runId} already exists (status ${status}); nothing new started\n`);
    return;
  }
  const of = options.rerunOf === undefined ? "" : ` as a rerun of ${options.rerunOf}`;
  // Unversioned workflows (version 1) read as before; a versioned one says which code the run is on.
  const version = run === undefined || run.version === 1 ? "" : `version ${run.version}, `;
  io.stdout.write(`started ${workflow} run ${runId}${of} (${version}status ${status})\n`);
  if (run?.reason !== undefined) io.stdout.write(`note: ${run.reason}\n`);
}
