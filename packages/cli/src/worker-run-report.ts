// The worker's lines about runs that failed or became blocked in it: learnt from the commits its engine makes
// (a Store wrapper, no polling), one line per run, with the command that helps. It never changes a store call.
import { decodeValue, type ErrorInfo, type ParkedRunBlock, type RunCommit, type Store } from "@reprise/core";

/** A run that this worker's engine just recorded as failed or blocked. */
export interface RunProblem {
  readonly runId: string;
  readonly workflow: string;
  readonly status: "failed" | "blocked";
  /** `Name: message` of the error that ended or blocked the run. */
  readonly reason: string;
}

/**
 * Wraps `store` so that `onProblem` hears of every run whose commit (through this store) made it `failed` or
 * `blocked`, once the commit is durable. A run is reported once while it stays blocked (a restart of the
 * worker may report it again). Every call still goes to `store` unchanged; the only extra read is one `getRun`
 * per reported run, for its workflow name.
 *
 * @example
 * const store = reportRunProblems(await SqliteStore.open({ filename }), (p) => console.error(describeRunProblem(p)));
 * const engine = createEngine({ store, workflows });
 */
export function reportRunProblems(store: Store, onProblem: (problem: RunProblem) => void): Store {
  const blocked = new Set<string>();
  const commit = async (runCommit: RunCommit): Promise<void> => {
    await store.commit(runCommit);
    const { runId, update } = runCommit;
    if (update.status !== "blocked") blocked.delete(runId);
    if (update.status !== "failed" && update.status !== "blocked") return;
    if (update.status === "blocked") {
      if (blocked.has(runId)) return;
      blocked.add(runId);
    }
    void announce(store, runCommit, onProblem);
  };
  // A run the engine's start-up check blocked (parked-run-check.ts in core) is a blocked run too.
  const blockParkedRun = async (block: ParkedRunBlock): Promise<boolean> => {
    const done = await store.blockParkedRun(block);
    if (done && !blocked.has(block.runId)) {
      blocked.add(block.runId);
      const update = { status: "blocked", reason: block.reason, error: block.error, release: true } as const;
      void announce(store, { runId: block.runId, update }, onProblem);
    }
    return done;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === "commit") return commit;
      if (property === "blockParkedRun") return blockParkedRun;
      const value: unknown = Reflect.get(target, property, target);
      // Methods run on the real store: implementations keep state in #private fields, which a proxy lacks.
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The line the worker prints for a failed or blocked run: what happened and what to do about it.
 *
 * @example
 * describeRunProblem({ runId: "order-7", workflow: "order", status: "failed", reason: "StepFailedError: ..." });
 * // "run order-7 (order) failed: StepFailedError: ...; see `reprise show order-7`"
 */
export function describeRunProblem(problem: RunProblem): string {
  const head = `run ${problem.runId} (${problem.workflow}) ${problem.status}: ${firstLine(problem.reason)}`;
  return problem.status === "failed"
    ? `${head}; see \`reprise show ${problem.runId}\``
    : `${head}; deploy code matching its history, or end it without running its code: \`reprise cancel ${problem.runId} --force\``;
}

async function announce(
  store: Store,
  runCommit: Pick<RunCommit, "runId" | "update">,
  onProblem: (problem: RunProblem) => void,
): Promise<void> {
  const { runId, update } = runCommit;
  let reason = update.reason;
  let workflow = "unknown workflow";
  try {
    if (update.error !== undefined) {
      const error = decodeValue(update.error) as ErrorInfo;
      reason = `${error.name}: ${error.message}`;
    }
    workflow = (await store.getRun(runId))?.workflow ?? workflow;
  } catch {
    // The line is still worth printing without the workflow's name (a store closing, an unreadable error).
  }
  const status = update.status === "failed" ? "failed" : "blocked";
  onProblem({ runId, workflow, status, reason: reason ?? "no reason recorded" });
}

function firstLine(text: string): string {
  const end = text.indexOf("\n");
  return end === -1 ? text : `${text.slice(0, end)} …`;
}
