// The pre-deploy gate: replays every unfinished run of a database against new workflow code, in memory.
// Executes no step, starts no timer and writes nothing: the Replayer only feeds recorded results to the generators.
import { performance } from "node:perf_hooks";
import {
  CorruptEventError,
  NonDeterminismError,
  type EventType,
  type HistoryEvent,
  type RunStatus,
  type WorkflowDefinition,
} from "@reprise/core";
import { decodeEvent, Replayer } from "@reprise/core/internal";
import type { AnyWorkflow } from "./load-workflows.js";
import type { RunQueries, UnfinishedRun } from "./run-queries.js";

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
  | { readonly kind: "missing-workflow"; readonly runId: string; readonly workflow: string; readonly status: RunStatus }
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
  readonly durationMs: number;
  readonly runsPerSecond: number;
}

/**
 * Replays every unfinished run (pending, running, sleeping, waiting, blocked) against `workflows`, inside
 * one read transaction, and reports where the code and each history disagree.
 *
 * @example
 * const db = openReadonly(filename, "snapshot.db");
 * const report = verifyRuns(new RunQueries(db), (await loadWorkflows("./dist/workflows.js", cwd)).byName);
 * if (report.problems.length > 0) process.exitCode = 3;
 */
export function verifyRuns(queries: RunQueries, workflows: ReadonlyMap<string, AnyWorkflow>): VerifyReport {
  const startedAt = performance.now();
  const problems: VerifyProblem[] = [];
  const warnings: VerifyWarning[] = [];
  const unblocked: string[] = [];
  const patches = new Map<string, { oldPath: string[]; newPath: string[] }>();
  let checked = 0;
  queries.snapshot(() => {
    for (const run of queries.unfinishedRuns()) {
      checked++;
      const definition = workflows.get(run.workflow);
      if (definition === undefined) {
        problems.push({ kind: "missing-workflow", runId: run.id, workflow: run.workflow, status: run.status });
        continue;
      }
      const outcome = replayRun(run, definition, queries);
      if (outcome.problem !== undefined) problems.push(outcome.problem);
      else if (run.status === "blocked") unblocked.push(run.id);
      if (outcome.warning !== undefined) warnings.push(outcome.warning);
      for (const [patchId, applies] of outcome.patches ?? []) {
        let paths = patches.get(patchId);
        if (paths === undefined) patches.set(patchId, (paths = { oldPath: [], newPath: [] }));
        (applies ? paths.newPath : paths.oldPath).push(run.id);
      }
    }
  });
  const durationMs = performance.now() - startedAt;
  return {
    checked,
    ok: checked - problems.length,
    unblocked,
    problems,
    warnings,
    patches: [...patches].map(([patchId, paths]) => ({ patchId, ...paths })),
    durationMs,
    runsPerSecond: durationMs > 0 ? Math.round((checked / durationMs) * 1000) : checked,
  };
}

function replayRun(
  run: UnfinishedRun,
  definition: AnyWorkflow,
  queries: RunQueries,
): { problem?: VerifyProblem; warning?: VerifyWarning; patches?: ReadonlyMap<string, boolean> } {
  const replayer = new Replayer(run.id, definition as WorkflowDefinition<never, unknown>);
  let branch: string | undefined;
  try {
    for (const record of queries.events(run.id)) {
      const event = decodeEvent(run.id, { ...record, type: record.type as EventType });
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
