// What one run's execution needs from its engine (store, clock, limits, callbacks), and the counters it keeps.
// Only types: the engine builds the context once and hands it to every RunExecution.
import type { Clock } from "./clock.js";
import type { EngineHooks } from "./engine-hooks.js";
import type { ReplayerCache } from "./replayer-cache.js";
import type { RetryPolicy } from "./retry.js";
import type { RunOutcomeRecord, RunRecord, Store } from "./store.js";

/** Counters an engine exposes through `engine.stats()`; tests use them to guard cost. */
export interface EngineStats {
  /** Times a run's history was loaded and replayed from the store (cache misses). */
  replays: number;
  /** Events applied during those replays. */
  eventsReplayed: number;
  /** Step attempts started (each call of a step function). */
  stepAttempts: number;
  /** Store commits made by run executions. */
  commits: number;
}

/** What an execution needs from its engine. */
export interface ExecutionContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly owner: string;
  readonly retryDefaults: RetryPolicy;
  /** Seeded randomness for random()/uuid(), or undefined for crypto randomness. */
  readonly random: ((key: string) => number) | undefined;
  readonly maxPayloadBytes: number;
  /** How often a run whose steps are running looks for signals and children's ends sent from elsewhere. */
  readonly pollIntervalMs: number;
  readonly cache: ReplayerCache;
  readonly stats: EngineStats;
  /** The highest version of a workflow this engine serves (the one new child runs start on), if any. */
  latestVersion(workflow: string): number | undefined;
  isClosing(): boolean;
  /** The run parked until `dueAtMs` (if set): the engine arranges a wake-up. */
  onParked(dueAtMs: number | undefined): void;
  /** The run reached a final status, durably; `finished` is what the store now holds about its end. */
  onFinished(run: RunRecord, finished: RunOutcomeRecord): void;
  /** Runs were created or cancelled by this run's last commit (children): they may be due now. */
  onRunsChanged(): void;
  /** Calls a lifecycle hook, containing whatever it throws (engine-hooks.ts). */
  emit<K extends keyof EngineHooks>(name: K, event: Parameters<NonNullable<EngineHooks[K]>>[0]): void;
}
