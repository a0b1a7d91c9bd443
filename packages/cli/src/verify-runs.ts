// The pre-deploy gate: replays every unfinished run of a database against new workflow code, in memory, each with
// the definition of the version it started on. Executes no step, starts no timer and writes nothing: the Replayer
// only feeds recorded results to the generators.
import { performance } from "node:perf_hooks";
import {
  CorruptEventError,
  NonDeterminismError,
  type EventRecord,
  type HistoryEvent,
  type RunReader,
  type RunStatus,
  type UnfinishedRunRecord,
  type WorkflowDefinition,
} from "@reprise/core";
import { decodeEvent, Replayer } from "@reprise/core/internal";

/** Unfinished runs read per page: enough to keep the reads' cost small next to the replays. */
const VERIFY_PAGE_SIZE = 500;
import { WorkflowCatalog, type AnyWorkflow } from "./workflow-catalog.js";

/** Why a run would not continue with the new code. */
export type VerifyProblem =
  | {
      readonly kind: "diverged";
      readonly runId: string;
      readonly workflow: string;
      readonly status: RunStatus;
      /** First sequence number where the code and the history disagree. */
      readonly seq: number;
      /** What history holds at `seq`, e.g. "step_completed 'charge-card'". */
      readonly history: string;
      /** What the new code yields there, with its branch path inside parallel branches, e.g. "all[2] > step 'save-7'". */
      readonly code: string;
      /** The branch path where they disagree (e.g. "all[2]"); absent for the workflow's own commands. */
      readonly branch?: string | undefined;
      /** The error the new code threw, when it ended the workflow early by throwing. */
      readonly thrown?: string | undefined;
    }
  | {
      /** The module lacks the run's workflow, or (`version`) the version of it the run started on. */
      readonly kind: "missing-workflow";
      readonly runId: string;
      readonly workflow: string;
      readonly status: RunStatus;
      /** The run's version: the module exports the workflow, but not this version of it. */
      readonly version?: number | undefined;
    }
  | {
      readonly kind: "corrupt";
      readonly runId: string;
      readonly workflow: string;
      readonly status: RunStatus;
      readonly seq: number;
      readonly message: string;
    };

/** A run that replays cleanly but will fail as soon as it continues: the new code throws after its history. */
export interface VerifyWarning {
  readonly runId: string;
  readonly workflow: string;
  readonly status: RunStatus;
  readonly thrown: string;
}

/**
 * Which runs a `patched(id)` of the new code sends where: `oldPath` replays a history recorded before the patch
 * (the call answers false), `newPath` a history that already took it. Runs that have not reached the call yet
 * are in neither: they take the new path when they get there.
 */
export interface VerifyPatch {
  readonly patchId: string;
  readonly oldPath: readonly string[];
  readonly newPath: readonly string[];
}

/**
 * How many unfinished runs are on one version of a workflow, and whether the module exports that version.
 * A version the module exports with no unfinished run on it is listed too (`runs` 0): no run needs it any more.
 *
 * @example
 * const idle = report.versions.filter((v) => v.exported && v.runs === 0); // versions no run in flight needs
 */
export interface VerifyVersionCount {
  readonly workflow: string;
  readonly version: number;
  readonly runs: number;
  readonly exported: boolean;
}

/** What `verifyRuns` found. `problems` is empty when the new code can take over every unfinished run. */
export interface VerifyReport {
  /** Unfinished runs replayed (or found without a workflow). */
  readonly checked: number;
  /** Runs that replay cleanly. */
  readonly ok: number;
  /** `blocked` runs that the new code would let continue. */
  readonly unblocked: readonly string[];
  readonly problems: readonly VerifyProblem[];
  readonly warnings: readonly VerifyWarning[];
  /** The patches the replays reached, and which runs take which path (see VerifyPatch). */
  readonly patches: readonly VerifyPatch[];
  /** Unfinished runs per workflow and version, by name then version (see VerifyVersionCount). */
  readonly versions: readonly VerifyVersionCount[];
  readonly durationMs: number;
  readonly runsPerSecond: number;
}

/**
 * Replays every unfinished run (pending, running, sleeping, waiting, blocked) against `workflows`, walking
 * them page by page through the store's RunReader (each run's log is read in one read, so it replays a state the
 * run was really in), and reports where the code and each history disagree. Each run replays with the
 * definition of its own workflow and version: a new version next to the old one leaves the old runs' code as it
 * was, and a run whose version the module lacks is a `missing-workflow` problem naming that version.
 *
 * @example
 * const reader = await SqliteRunReader.open({ filename: "snapshot.db" });
 * const report = await verifyRuns(reader, (await loadWorkflows("./dist/workflows.js", cwd)).catalog);
 * if (report.problems.length > 0) process.exitCode = 3;
 * await verifyRuns(postgresStore, [orderV1, orderV2, nap]); // any store; definitions work too
 */
export async function verifyRuns(
  reader: RunReader,
  workflows: WorkflowCatalog | readonly AnyWorkflow[],
): Promise<VerifyReport> {
  const catalog = workflows instanceof WorkflowCatalog ? workflows : new WorkflowCatalog(workflows);
  const startedAt = performance.now();
  const problems: VerifyProblem[] = [];
  const warnings: VerifyWarning[] = [];
  const unblocked: string[] = [];
  const patches = new Map<string, { oldPath: string[]; newPath: string[] }>();
  const versions = new VersionCounter(catalog);
  let checked = 0;
  for (let page = await reader.unfinishedRuns(undefined, VERIFY_PAGE_SIZE); ;) {
    for (const run of page.runs) {
      checked++;
      versions.count(run);
      const definition = catalog.get(run.workflow, run.version);
      if (definition === undefined) {
        // Another version of the workflow would not do: runs only ever continue on the code they started on.
        const version = catalog.versionsOf(run.workflow).length > 0 ? run.version : undefined;
        problems.push({ kind: "missing-workflow", runId: run.id, workflow: run.workflow, status: run.status, version });
        continue;
      }
      const outcome = replayRun(run, definition, await reader.readEvents(run.id));
      if (outcome.problem !== undefined) problems.push(outcome.problem);
      else if (run.status === "blocked") unblocked.push(run.id);
      if (outcome.warning !== undefined) warnings.push(outcome.warning);
      for (const [patchId, applies] of outcome.patches ?? []) {
        let paths = patches.get(patchId);
        if (paths === undefined) patches.set(patchId, (paths = { oldPath: [], newPath: [] }));
        (applies ? paths.newPath : paths.oldPath).push(run.id);
      }
    }
    if (page.next === undefined) break;
    page = await reader.unfinishedRuns(page.next, VERIFY_PAGE_SIZE);
  }
  const durationMs = performance.now() - startedAt;
  return {
    checked,
    ok: checked - problems.length,
    unblocked,
    problems,
    warnings,
    patches: [...patches].map(([patchId, paths]) => ({ patchId, ...paths })),
    versions: versions.counts(),
    durationMs,
    runsPerSecond: durationMs > 0 ? Math.round((checked / durationMs) * 1000) : checked,
  };
}

/** Counts unfinished runs per (workflow, version), starting from the versions the module exports at 0. */
class VersionCounter {
  readonly #counts = new Map<string, { workflow: string; version: number; runs: number; exported: boolean }>();

  constructor(catalog: WorkflowCatalog) {
    for (const workflow of catalog.names()) {
      for (const version of catalog.versionsOf(workflow)) this.#entry(workflow, version, true);
    }
  }

  count(run: UnfinishedRunRecord): void {
    this.#entry(run.workflow, run.version, false).runs++;
  }

  counts(): VerifyVersionCount[] {
    return [...this.#counts.values()].sort((a, b) =>
      a.workflow === b.workflow ? a.version - b.version : a.workflow < b.workflow ? -1 : 1,
    );
  }

  #entry(workflow: string, version: number, exported: boolean) {
    const key = `${version}:${workflow}`;
    let entry = this.#counts.get(key);
    if (entry === undefined) this.#counts.set(key, (entry = { workflow, version, runs: 0, exported }));
    return entry;
  }
}

function replayRun(
  run: UnfinishedRunRecord,
  definition: AnyWorkflow,
  records: readonly EventRecord[],
): { problem?: VerifyProblem; warning?: VerifyWarning; patches?: ReadonlyMap<string, boolean> } {
  const replayer = new Replayer(run.id, definition as WorkflowDefinition<never, unknown>);
  let branch: string | undefined;
  try {
    for (const record of records) {
      const event = decodeEvent(run.id, record);
      branch = branchOf(replayer, event);
      replayer.apply(event);
    }
  } catch (error) {
    if (error instanceof NonDeterminismError) {
      return {
        problem: {
          kind: "diverged",
          runId: run.id,
          workflow: run.workflow,
          status: run.status,
          seq: error.seq,
          history: error.expected,
          code: error.actual,
          branch: branch === "" ? undefined : branch,
          thrown: thrownBy(replayer),
        },
      };
    }
    if (error instanceof CorruptEventError) {
      return {
        problem: {
          kind: "corrupt",
          runId: run.id,
          workflow: run.workflow,
          status: run.status,
          seq: error.seq,
          message: error.message,
        },
      };
    }
    throw error;
  }
  const thrown = thrownBy(replayer);
  const patches = replayer.patches;
  if (thrown === undefined) return { patches };
  return { warning: { runId: run.id, workflow: run.workflow, status: run.status, thrown }, patches };
}

/**
 * The branch path of the command `event` would belong to: the next command's (a first event) or that of the open
 * command it answers. Asked before `apply`, so that a divergence can say in which branch it happened.
 */
function branchOf(replayer: Replayer, event: HistoryEvent): string | undefined {
  const next = replayer.next;
  if (next !== undefined) return next.path;
  const seq = "commandSeq" in event ? event.commandSeq : undefined;
  return seq === undefined ? undefined : replayer.open.get(seq)?.path;
}

/** The error with which the workflow's generator ended during replay, if it did. */
function thrownBy(replayer: Replayer): string | undefined {
  const state = replayer.state;
  if (state.type !== "finished" || state.outcome.status !== "failed") return undefined;
  const error = state.outcome.error;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
