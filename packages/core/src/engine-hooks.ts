// Lifecycle hooks (`createEngine({ on })`): what an operator watches, called once per transition this engine made.
// A hook never breaks the engine: a throw or a rejected promise is reported through onError and forgotten.
import { isThenable } from "./step-attempt.js";

/** What every hook receives about the run. */
export interface RunHookBase {
  readonly runId: string;
  readonly workflow: string;
}

/**
 * Hooks called after a run's transition is durable, by the engine that made it. Each is called once per
 * transition; runs that other engines execute call theirs there. A hook may be async; it is not awaited.
 *
 * @example
 * createEngine({ store, workflows, on: {
 *   runBlocked: ({ runId, reason }) => pager.alert(`${runId} blocked: ${reason}`),
 *   historyLarge: ({ runId, events }) => log.warn(`${runId} has ${events} events; consider continueAsNew`),
 * } });
 */
export interface EngineHooks {
  readonly runCompleted?: (event: RunHookBase & { readonly result: unknown }) => unknown;
  readonly runFailed?: (event: RunHookBase & { readonly error: unknown }) => unknown;
  readonly runCancelled?: (event: RunHookBase & { readonly reason: string | undefined }) => unknown;
  /** The run's code no longer matches its history (or the history is damaged): nothing runs until it does. */
  readonly runBlocked?: (event: RunHookBase & { readonly reason: string; readonly error: Error }) => unknown;
  /**
   * The run continued as new (`continueAsNew`): its generation `generation - 1` ended and `generation` starts.
   * The run stays unfinished.
   */
  readonly runContinued?: (event: RunHookBase & { readonly generation: number }) => unknown;
  /**
   * The log of the run's current generation passed another LARGE_HISTORY_EVENTS events (at 10,000, 20,000, ...):
   * replay and memory grow with it, so a run that loops for ever should `continueAsNew` now and then.
   */
  readonly historyLarge?: (event: RunHookBase & { readonly events: number }) => unknown;
}

/** Every LARGE_HISTORY_EVENTS events of one run's log, `historyLarge` is called once. */
export const LARGE_HISTORY_EVENTS = 10_000;

/**
 * Calls hook `name` with `event`, containing whatever it throws or rejects with (reported through `onError`).
 *
 * @example
 * callHook(hooks, "runCompleted", { runId, workflow, result }, onError);
 */
export function callHook<K extends keyof EngineHooks>(
  hooks: EngineHooks | undefined,
  name: K,
  event: Parameters<NonNullable<EngineHooks[K]>>[0],
  onError: (error: unknown) => void,
): void {
  const hook = hooks?.[name] as ((event: unknown) => unknown) | undefined;
  if (hook === undefined) return;
  const report = (error: unknown) =>
    onError(new Error(`The ${name} hook threw for run '${event.runId}': ${String(error)}`, { cause: error }));
  try {
    const returned = hook(event);
    if (isThenable(returned)) returned.then(undefined, report);
  } catch (error) {
    report(error);
  }
}
