// `reprise verify --workflows <module>`: the pre-deploy gate. Replays every unfinished run against the new code
// through the store's read-only RunReader; exits 3 when a run would become blocked or wait unserved (workflow not in the module).
import type { Command } from "commander";
import { paint, type CliIo } from "../cli-io.js";
import {
  dbOption,
  schemaOption,
  jsonOption,
  printJson,
  workflowsOption,
  type CommandContext,
} from "../command-context.js";
import { openReader } from "../database.js";
import { EXIT_CODES } from "../errors.js";
import { loadWorkflows } from "../load-workflows.js";
import { verifyRuns, type VerifyProblem, type VerifyReport } from "../verify-runs.js";
import { formatVersionCounts } from "../verify-versions-text.js";
import { describeVersion } from "../workflow-catalog.js";

interface VerifyOptions {
  readonly db: string;
  readonly schema?: string;
  readonly workflows: string;
  readonly json?: boolean;
}

/** Runs listed per group of identical problems in text output; `--json` lists every run. */
const EXAMPLES_PER_GROUP = 3;

/**
 * Registers `reprise verify`.
 *
 * @example
 * defineVerifyCommand(program, context); // reprise verify --workflows dist/workflows.js --db snapshot.db
 */
export function defineVerifyCommand(program: Command, context: CommandContext): void {
  program
    .command("verify")
    .summary("replay unfinished runs against new code (pre-deploy gate)")
    .description(
      "replay every unfinished run against new workflow code without executing or writing anything; " +
        `exit ${EXIT_CODES.verifyFoundProblems} if any run would become blocked or would wait unserved`,
    )
    .addOption(workflowsOption().makeOptionMandatory())
    .addOption(dbOption())
    .addOption(schemaOption())
    .addOption(jsonOption())
    .action(async (options: VerifyOptions) => {
      const { io } = context;
      const loaded = await loadWorkflows(options.workflows, io.cwd);
      const opened = await openReader(options.db, io.cwd, options.schema);
      let report: VerifyReport;
      try {
        report = await verifyRuns(opened.reader, loaded.catalog);
      } finally {
        await opened.close();
      }
      if (report.problems.length > 0) context.exitCode = EXIT_CODES.verifyFoundProblems;
      if (options.json === true) return printJson(io, { ...report, durationMs: Math.round(report.durationMs) });
      printReport(io, report, options);
    });
}

function printReport(io: CliIo, report: VerifyReport, options: VerifyOptions): void {
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const color = (style: Parameters<typeof paint>[2], text: string) => paint(io, io.stdout, style, text);
  // A rate over a handful of runs measures start-up, not replay; it is shown from a thousand runs on.
  const rate = report.checked >= 1000 ? ` (${report.runsPerSecond} runs/s)` : "";
  out(
    `checked ${report.checked} unfinished run${report.checked === 1 ? "" : "s"} in ${options.db} against ` +
      `${options.workflows} in ${Math.round(report.durationMs)} ms${rate}`,
  );
  for (const group of groupProblems(report.problems)) {
    const ids = group.runs.slice(0, EXAMPLES_PER_GROUP).join(", ");
    const more = group.runs.length > EXAMPLES_PER_GROUP ? `, and ${group.runs.length - EXAMPLES_PER_GROUP} more` : "";
    const count = `${group.runs.length} run${group.runs.length === 1 ? "" : "s"}`;
    out(`${color("red", "✗")} ${group.text} (${count}: ${ids}${more})`);
  }
  for (const warning of report.warnings) {
    out(
      `${color("yellow", "!")} ${warning.runId} (${warning.workflow}) replays, but the new code then throws ${warning.thrown}`,
    );
  }
  for (const patch of report.patches) {
    const runs = (ids: readonly string[]) =>
      `${ids.length} run${ids.length === 1 ? "" : "s"}${ids.length > 0 ? ` (${ids.slice(0, EXAMPLES_PER_GROUP).join(", ")}${ids.length > EXAMPLES_PER_GROUP ? ", …" : ""})` : ""}`;
    out(
      `${color("green", "✓")} patch '${patch.patchId}': ${runs(patch.oldPath)} take the old path, ${runs(patch.newPath)} ` +
        `the new one; runs that have not reached it take the new one`,
    );
  }
  for (const line of formatVersionCounts(report.versions, color)) out(line);
  if (report.unblocked.length > 0) {
    out(
      `${color("green", "✓")} ${report.unblocked.length} blocked run(s) would continue: ${report.unblocked.slice(0, 5).join(", ")}`,
    );
  }
  if (report.problems.length === 0) {
    out(color("green", `✓ every unfinished run replays with the new code (${report.ok} ok)`));
    return;
  }
  out(color("red", summarise(report)));
}

/**
 * The closing line when problems were found. Runs that diverge would become `blocked`; runs of a workflow the
 * module lacks would not block: no worker deployed with this module serves them, so they would wait unserved.
 */
function summarise(report: VerifyReport): string {
  const missing = report.problems.filter((problem) => problem.kind === "missing-workflow");
  const missingVersion = missing.filter((problem) => problem.version !== undefined).length;
  const missingWorkflow = missing.length - missingVersion;
  const blocking = report.problems.length - missing.length;
  const parts: string[] = [];
  const advice: string[] = [];
  if (blocking > 0) {
    parts.push(`${blocking} run(s) would become blocked`);
    advice.push("keep the old code path for runs in flight (see docs/operations.md), or cancel those runs");
  }
  if (missingWorkflow > 0) {
    parts.push(`${missingWorkflow} run(s) would wait unserved (their workflow is not in the module)`);
    advice.push("keep exporting those workflows, serve them from another worker, or cancel those runs");
  }
  if (missingVersion > 0) {
    parts.push(`${missingVersion} run(s) would wait unserved (the version they started on is not in the module)`);
    advice.push("keep exporting the definitions of those versions next to the new one until their runs finish");
  }
  const todo = advice.join("; ");
  return `${parts.join(", ")}; ${report.ok} replay cleanly. Before deploying, ${todo}.`;
}

interface ProblemGroup {
  readonly text: string;
  readonly runs: string[];
}

/** Runs that fail the same way are listed together: one deploy mistake usually hits many runs identically. */
function groupProblems(problems: readonly VerifyProblem[]): ProblemGroup[] {
  const groups = new Map<string, ProblemGroup>();
  for (const problem of problems) {
    const text = describeProblem(problem);
    const group = groups.get(text) ?? { text, runs: [] };
    group.runs.push(problem.runId);
    groups.set(text, group);
  }
  return [...groups.values()];
}

function describeProblem(problem: VerifyProblem): string {
  switch (problem.kind) {
    case "diverged":
      return (
        `'${problem.workflow}' diverges at seq ${problem.seq}: history has ${problem.history}, ` +
        `the new code yields ${problem.code}${problem.thrown === undefined ? "" : ` (it threw ${problem.thrown})`}`
      );
    case "missing-workflow":
      if (problem.version !== undefined) {
        // Runs never move to another version's code: the definition they started on must stay registered.
        return (
          `${describeVersion(problem.workflow, problem.version)} is not exported by the module, so no worker ` +
          `running it would serve these runs; keep that definition registered ` +
          `(workflow('${problem.workflow}', fn, { version: ${problem.version} })) next to the new one`
        );
      }
      return `'${problem.workflow}' is not exported by the module, so no worker running it would serve these runs`;
    case "corrupt":
      return `'${problem.workflow}' has an unreadable event at seq ${problem.seq}`;
  }
}
