// Engine configuration: the options users pass to createEngine, their documented defaults, and validation.
// Validation happens once, at construction, so a bad option fails loudly before any run is touched.
import { systemClock, type Clock } from "./clock.js";
import { DEFAULT_MAX_PAYLOAD_BYTES } from "./codec.js";
import type { EngineHooks } from "./engine-hooks.js";
import { resolveQueueOptions, type QueueOptions, type QueueStartOptions } from "./queue-options.js";
import { InvalidArgumentError } from "./errors.js";
import { DEFAULT_RETRY_POLICY, resolveRetryPolicy, type RetryPolicy } from "./retry.js";
import type { QueueLimits, RunStatus, Store } from "./store.js";
import { resolveRetention, type ResolvedRetention, type RetentionOptions } from "./retention.js";
import type { DeadlineInput } from "./duration.js";
import type { RunTags } from "./tags.js";
import type { RunPageCursor } from "./store-reader.js";
import { WorkflowRegistry } from "./workflow-registry.js";
import type { WorkflowDefinition } from "./workflow.js";

/**
 * Options of `createEngine`. Only `store` is required.
 *
 * @example
 * const engine = createEngine({ store, workflows: [greet], concurrency: 50, leaseMs: 10_000 });
 */
export interface EngineOptions {
  /** Where runs, events and signals live. */
  readonly store: Store;
  /** Workflows this engine executes. Empty (the default) makes a client that only starts, signals and reads runs. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly workflows?: readonly WorkflowDefinition<any, any>[];
  /** Time source and wake-ups; `systemClock` by default. @reprise/testing has a virtual one. */
  readonly clock?: Clock;
  /** Most runs executing at once in this engine. Default 100. */
  readonly concurrency?: number;
  /** How long a claimed run stays reserved for this engine without renewal. Default 5,000 ms. */
  readonly leaseMs?: number;
  /**
   * How often the store is checked for work and changes made by other processes. Default 500 ms.
   * `Infinity` turns polling off: the engine then wakes only for its own starts, signals and
   * deadlines (a single-process setup, or a virtual clock in tests).
   */
  readonly pollIntervalMs?: number;
  /** How long `close()` lets running steps finish before abandoning them to another engine. Default 10,000 ms. */
  readonly shutdownGraceMs?: number;
  /** Engine-wide step retry defaults; each step may override fields. */
  readonly retry?: Partial<RetryPolicy>;
  /** Largest encoded input, step result, signal payload or error. Default 1 MiB. */
  readonly maxPayloadBytes?: number;
  /** Parked runs whose generators stay in memory so they resume without replay. Default 1,000. */
  readonly cacheSize?: number;
  /**
   * At start-up, replay every sleeping and waiting run of the served workflows in the background and block the
   * ones this code no longer replays, at once instead of when their timer or signal comes (default true).
   */
  readonly checkParkedRuns?: boolean;
  /** Called with errors from background work (store failures); defaults to console.error. */
  readonly onError?: (error: unknown) => void;
  /** Lifecycle hooks: runCompleted, runFailed, runCancelled, runBlocked, runContinued, historyLarge (EngineHooks). */
  readonly on?: EngineHooks;
  /**
   * Where `random()` and `uuid()` get their randomness: a number in [0, 1) for a key unique to the
   * command (`"runId:seq"`, plus a suffix for each uuid byte). Default: `Math.random()` for random() and
   * `crypto.randomUUID()` for uuid(). Tests pass a seeded function so that runs are reproducible.
   */
  readonly random?: (key: string) => number;
  /**
   * Flow control by queue name: concurrency, per-key concurrency and rate limits that hold across every engine
   * on the store (docs/queues.md). Runs go into a queue with `start(wf, input, { queue })`.
   */
  readonly queues?: Readonly<Record<string, QueueOptions>>;
  /**
   * How long finished runs are kept, per status, e.g. `{ completed: { days: 7 }, failed: { days: 30 } }`; a status
   * left out is kept for ever (the default for all). The engine deletes older runs in the background, in small
   * batches (see RetentionOptions and docs/finding-runs.md).
   */
  readonly retention?: RetentionOptions;
}

/**
 * Options of `engine.start()`.
 *
 * @example
 * await engine.start(greet, "Ada", { id: "greet-ada" });
 */
export interface StartOptions extends QueueStartOptions {
  /** The run's id; starting again with the same id returns the existing run. Default: a random UUID. */
  readonly id?: string;
  /**
   * The version of the workflow's definition to start on. Default: the highest version this engine serves for
   * the workflow's name, or the definition's own version when this engine does not serve that name.
   */
  readonly version?: number;
  /**
   * Tags to find the run by (`listRuns({ tags })`, `reprise runs --tag key=value`): string keys and values, at
   * most MAX_TAGS. A start that returns an existing run leaves that run's tags as they are.
   */
  readonly tags?: RunTags;
}

/**
 * Options of `engine.signal()`.
 *
 * @example
 * await engine.signal(runId, "shipped", { carrier: "DHL" }, { id: "webhook-42" });
 */
export interface SignalOptions {
  /** De-duplicates resends: a second signal with the same id to the same run is ignored. */
  readonly id?: string;
}

/**
 * Options of `engine.history()`.
 *
 * @example
 * const earlier = await engine.history("agent-7", { generation: 2 });
 */
export interface HistoryOptions {
  /** Which generation of a run that continued as new: 1 is the first; default the current one. */
  readonly generation?: number;
}

/** Options of `engine.cancel()`. */
export interface CancelOptions {
  readonly reason?: string;
  /** End a `blocked` run as `cancelled` at once, without running its code (no compensation runs). */
  readonly force?: boolean;
}

/**
 * What `engine.cancel()` did: `blocked` says the run cannot act on the cancellation until code matching its history
 * is deployed (unless `forced`, which ended it); `message` says so in words.
 *
 * @example
 * const { blocked, message } = await engine.cancel("order-1");
 * if (blocked) console.warn(message);
 */
export interface CancelResult {
  readonly forced: boolean;
  readonly blocked: boolean;
  readonly message: string;
}

/**
 * What a plain cancellation of a blocked run means, and what `force` would do instead.
 *
 * @example
 * console.warn(blockedCancelMessage("order-1"));
 */
export function blockedCancelMessage(runId: string): string {
  return (
    `Run '${runId}' is blocked: its code no longer matches its history, so the cancellation is recorded but takes ` +
    `effect only once matching code is deployed (its finally blocks then run). To end it now without running any ` +
    `of its code (no compensation runs), cancel it with { force: true } (reprise cancel --force).`
  );
}

/**
 * Filters of `engine.listRuns()`.
 *
 * @example
 * await engine.listRuns({ status: ["waiting", "sleeping"], workflow: "order", version: 1, limit: 50 });
 */
export interface ListRunsOptions {
  readonly status?: RunStatus | readonly RunStatus[];
  readonly workflow?: string;
  /** Only the children of this run (started by its `child()` / `startChild()`). */
  readonly parent?: string;
  /** Only runs that started on this version of their workflow (`workflow(name, fn, { version })`). */
  readonly version?: number;
  /** Only runs started in this queue. */
  readonly queue?: string;
  /** Only runs that have every one of these tags with exactly this value, e.g. `{ customer: "42" }`. */
  readonly tags?: RunTags;
  /** Only runs created at or after this time (a Date, a luxon DateTime, an ISO string, or epoch ms). */
  readonly createdAfter?: DeadlineInput | number;
  /** Only runs created before this time: with `createdAfter`, a half-open window that tiles without overlaps. */
  readonly createdBefore?: DeadlineInput | number;
  /** Only runs that finished before this time (what retention would delete, e.g. `reprise purge` counts). */
  readonly finishedBefore?: DeadlineInput | number;
  /** At most this many runs, newest first. Default 100, at most 10,000. */
  readonly limit?: number;
  /** Continue after this run: the `next` of the page before (`listRunsPage`). */
  readonly after?: RunPageCursor;
}

/**
 * Filters of `engine.countRuns()` and `engine.cancelMany()`: those of `listRuns` without `limit` and `after`.
 *
 * @example
 * await engine.countRuns({ status: "failed", tags: { customer: "42" }, createdAfter: "2026-12-01T00:00:00Z" });
 */
export type CountRunsOptions = Omit<ListRunsOptions, "limit" | "after">;

/** Options with every default filled in and checked. */
export interface ResolvedEngineOptions {
  readonly store: Store;
  readonly workflows: WorkflowRegistry;
  readonly clock: Clock;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly shutdownGraceMs: number;
  readonly retry: RetryPolicy;
  readonly maxPayloadBytes: number;
  readonly cacheSize: number;
  readonly checkParkedRuns: boolean;
  readonly onError: (error: unknown) => void;
  readonly on: EngineHooks | undefined;
  readonly random: ((key: string) => number) | undefined;
  /** Queue limits by name, periods in milliseconds: what this engine's claims pass to the store. */
  readonly queues: Readonly<Record<string, QueueLimits>>;
  readonly retention: ResolvedRetention | undefined;
}

/** Validates options and fills in defaults; throws InvalidArgumentError naming the bad option. */
export function resolveEngineOptions(options: EngineOptions): ResolvedEngineOptions {
  if (typeof options !== "object" || options === null || typeof options.store !== "object" || options.store === null) {
    throw new InvalidArgumentError(
      "createEngine() needs { store }, e.g. createEngine({ store: await SqliteStore.open(...) }).",
    );
  }
  for (const definition of options.workflows ?? []) {
    if (typeof definition?.name !== "string" || typeof definition.fn !== "function") {
      throw new InvalidArgumentError(
        "createEngine({ workflows }) takes definitions made by workflow(name, function* ...).",
      );
    }
  }
  const workflows = new WorkflowRegistry((options.workflows ?? []) as readonly WorkflowDefinition<never, unknown>[]);
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  resolveRetryPolicy(retry);
  return Object.freeze({
    store: options.store,
    workflows,
    clock: options.clock ?? systemClock,
    concurrency: positiveInteger("concurrency", options.concurrency, 100),
    leaseMs: positiveInteger("leaseMs", options.leaseMs, 5_000),
    pollIntervalMs:
      options.pollIntervalMs === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : positiveInteger("pollIntervalMs", options.pollIntervalMs, 500),
    shutdownGraceMs: nonNegativeInteger("shutdownGraceMs", options.shutdownGraceMs, 10_000),
    retry,
    maxPayloadBytes: positiveInteger("maxPayloadBytes", options.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES),
    cacheSize: nonNegativeInteger("cacheSize", options.cacheSize, 1_000),
    checkParkedRuns: options.checkParkedRuns ?? true,
    onError: options.onError ?? ((error: unknown) => console.error("[reprise]", error)),
    on: checkedHooks(options.on),
    random: options.random,
    queues: resolveQueueOptions(options.queues),
    retention: resolveRetention(options.retention),
  });
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1) {
    throw new InvalidArgumentError(`createEngine({ ${name} }) must be a positive integer (got ${String(value)}).`);
  }
  return resolved;
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 0) {
    throw new InvalidArgumentError(`createEngine({ ${name} }) must be an integer ≥ 0 (got ${String(value)}).`);
  }
  return resolved;
}

const HOOK_NAMES: ReadonlySet<string> = new Set([
  "runCompleted",
  "runFailed",
  "runCancelled",
  "runBlocked",
  "runContinued",
  "historyLarge",
]);

/** `on` as given, once every entry is a known hook name with a function. */
function checkedHooks(on: EngineHooks | undefined): EngineHooks | undefined {
  if (on === undefined) return undefined;
  if (typeof on !== "object" || on === null) {
    throw new InvalidArgumentError(`createEngine({ on }) takes an object of hooks, e.g. { runBlocked: (run) => ... }.`);
  }
  for (const [name, hook] of Object.entries(on)) {
    if (!HOOK_NAMES.has(name)) {
      throw new InvalidArgumentError(
        `createEngine({ on }) has no hook '${name}'; the hooks are ${[...HOOK_NAMES].join(", ")}.`,
      );
    }
    if (hook !== undefined && typeof hook !== "function") {
      throw new InvalidArgumentError(`createEngine({ on: { ${name} } }) must be a function (got ${typeof hook}).`);
    }
  }
  return on;
}
