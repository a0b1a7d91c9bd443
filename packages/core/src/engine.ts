// The engine: public API (start, signal, getRun, history, listRuns, cancel, close) and the work loop that
// claims due runs, hands them to RunExecution, renews their leases and lets go of them on close.
import { randomUUID } from "node:crypto";
import type { TimerHandle } from "./clock.js";
import { encodeValue } from "./codec.js";
import {
  EngineClosedError,
  InvalidArgumentError,
  RunFinishedError,
  RunIdConflictError,
  RunNotBlockedError,
  RunNotFoundError,
  UnknownWorkflowError,
} from "./errors.js";
import { decodeEvent, encodeEvent, type EventRecord, type HistoryEvent } from "./events.js";
import {
  blockedCancelMessage,
  resolveEngineOptions,
  type EngineOptions,
  type CancelOptions,
  type HistoryOptions,
  type CancelResult,
  type ListRunsOptions,
  type CountRunsOptions,
  type ResolvedEngineOptions,
  type SignalOptions,
  type StartOptions,
} from "./engine-options.js";
import { assertId, assertReason, isPossibleId, runFilter, runSelection } from "./argument-checks.js";
import { callHook } from "./engine-hooks.js";
import { checkParkedRuns } from "./parked-run-check.js";
import { LeaseHeartbeat } from "./lease-heartbeat.js";
import { isHolderGone, thisProcessAsHolder } from "./lease-holders.js";
import { unservedReasons } from "./unserved-runs.js";
import { ReplayerCache } from "./replayer-cache.js";
import { StartedEvents } from "./started-events.js";
import type { EngineStats, ExecutionContext } from "./execution-context.js";
import { RunExecution, runStartedEvent } from "./run-execution.js";
import { RunHandle } from "./run-handle.js";
import { MAX_CHILDREN_SHOWN, MAX_PENDING_SIGNALS_SHOWN, toListedRunInfo, toRunInfo, type RunInfo } from "./run-info.js";
import { textProblem } from "./text-checks.js";
import { RunWatchers, waitForResult } from "./run-watchers.js";
import { ScheduleFiring } from "./schedule-firing.js";
import { Schedules } from "./schedules.js";
import {
  assertStartManyItems,
  forStartManyItem,
  type CheckedStartManyItems,
  type StartManyHandles,
  type StartManyItem,
} from "./start-many.js";
import { FINISHED_STATUSES, type LeaseHolder, type NewRun, type RunRecord, type ServedWorkflow } from "./store.js";
import { StoreChangeWatch } from "./store-changes.js";
import { assertPriority, runPlacement, type QueueStartOptions } from "./queue-options.js";
import { Scheduler, storeClaimSource } from "./scheduler.js";
import { WorkLoop } from "./work-loop.js";
import {
  cancelMatching,
  PRIORITY_BATCH_SIZE,
  RERUN_BATCH_SIZE,
  reprioritise,
  rerunItem,
  type RerunManyResult,
} from "./bulk-actions.js";
import { purgeExpired, retentionPeriods, RetentionSweeper, type RetentionPolicy } from "./retention.js";
import { checkTags } from "./tags.js";
import { UNFINISHED_STATUSES, type RunPage, type RunPageCursor, type RunStatusCounts } from "./store-reader.js";
import { MAX_WORKFLOW_NAME_LENGTH, type WorkflowDefinition } from "./workflow.js";

/** Longest wait before a pass that failed (e.g. the store was busy or full) is tried again. */
const ERROR_RETRY_DELAY_MS = 1_000;
/** How often an engine reports the workflows it serves, and looks for dead lease holders on its machine. */
const REGISTRY_HEARTBEAT_MS = 10_000;

/**
 * A running Reprise engine. Create it with `createEngine`.
 *
 * @example
 * const engine = createEngine({ store, workflows: [greet] });
 * const run = await engine.start(greet, "Ada");
 * console.log(await run.result());
 * await engine.close();
 */
export class Engine {
  readonly #options: ResolvedEngineOptions;
  readonly #owner = `engine-${randomUUID()}`;
  /** Runs this engine is executing now, with the promise that settles when each stops. */
  readonly #executions = new Map<string, { execution: RunExecution; done: Promise<void> }>();
  readonly #watchers: RunWatchers;
  /** This process as the holder of this engine's leases (host, boot, pid), recorded in the store at start-up. */
  #holder: LeaseHolder | undefined;
  readonly #stats: EngineStats = { replays: 0, eventsReplayed: 0, stepAttempts: 0, commits: 0 };
  readonly #loop: WorkLoop;
  readonly #context: ExecutionContext;
  /** Every (name, version) this engine serves: the store's claims and due times are filtered by them. */
  readonly #served: readonly ServedWorkflow[];
  /** Start-up (announcing workflows, retrying blocked runs) ran; a failed start-up is retried by the next pass. */
  #startedUp = false;
  readonly #heartbeat: LeaseHeartbeat;
  #lastRegistryBeatMs = 0;
  #closing: Promise<void> | undefined;
  /** The last pass filled every free slot: more runs may be due, so a slot that frees up asks for a pass. */
  #backlog = false;
  /** Slots held by start() calls that are creating a run claimed by this engine. */
  #reservedSlots = 0;
  /** First events of runs created here while every slot was busy: claiming one later skips reading its log. */
  readonly #startedEvents = new StartedEvents();
  #lastWatcherPollMs = Number.NEGATIVE_INFINITY;
  /** When this engine was created: the start-up check looks at runs parked until then. */
  readonly #createdAtMs: number;
  /** The start-up check of parked runs while it runs (see #checkParked). */
  #parkedCheck: Promise<void> | undefined;
  /** The store's change notifications, if it has them: other processes' writes wake this engine at once. */
  readonly #changes: StoreChangeWatch;
  /** Where claims come from (scheduler.ts): due runs and queues, with this engine's queue limits. */
  readonly #scheduler: Scheduler;
  /** Deletes finished runs past `retention` in the background; undefined without a retention option. */
  readonly #retention: RetentionSweeper | undefined;
  /** Fires the due schedules of the served workflows in each pass of the work loop (schedule-firing.ts). */
  readonly #firing: ScheduleFiring;
  /**
   * The store's schedules: create, list, pause, resume, trigger, update, delete (docs/schedules.md).
   *
   * @example
   * await engine.schedules.create({ id: "nightly-report", workflow: report, cron: "0 3 * * *", timezone: "Europe/Berlin" });
   */
  readonly schedules: Schedules;

  constructor(options: EngineOptions) {
    this.#options = resolveEngineOptions(options);
    this.#served = this.#options.workflows.served;
    this.#createdAtMs = this.#options.clock.nowMs();
    const { store, clock } = this.#options;
    this.#scheduler = new Scheduler([
      storeClaimSource({
        store,
        owner: this.#owner,
        leaseMs: this.#options.leaseMs,
        served: this.#served,
        queues: this.#options.queues,
      }),
    ]);
    // With change notifications, waiters learn of other engines' endings even when the engine never polls.
    const polling = this.#options.pollIntervalMs !== Number.POSITIVE_INFINITY || StoreChangeWatch.available(store);
    this.#watchers = new RunWatchers(store, { polling });
    this.#context = {
      store,
      clock,
      owner: this.#owner,
      retryDefaults: this.#options.retry,
      random: this.#options.random,
      maxPayloadBytes: this.#options.maxPayloadBytes,
      pollIntervalMs: this.#options.pollIntervalMs,
      cache: new ReplayerCache(this.#options.cacheSize),
      stats: this.#stats,
      latestVersion: (workflow) => this.#options.workflows.latest(workflow),
      isClosing: () => this.#closing !== undefined,
      onParked: (dueAtMs) => {
        if (dueAtMs !== undefined) this.#loop.wakeAt(dueAtMs);
      },
      onFinished: (run, finished) => {
        this.#watchers.notify(run.id, finished);
        // The store made a parent waiting for this child due: wake it here at once if it runs here, else claim it.
        if (run.parentId !== undefined) {
          this.#executions.get(run.parentId)?.execution.notify();
          this.#loop.poke();
        }
        if (this.#firing.runFinished(run.id)) this.#loop.poke();
      },
      onRunsChanged: () => this.#loop.poke(),
      emit: (name, event) => callHook(this.#options.on, name, event, this.#options.onError),
    };
    this.#heartbeat = new LeaseHeartbeat({
      clock,
      store,
      owner: this.#owner,
      leaseMs: this.#options.leaseMs,
      held: () => new Map([...this.#executions].map(([runId, entry]) => [runId, entry.execution])),
      onError: this.#options.onError,
    });
    this.#loop = new WorkLoop({
      clock,
      // One microtask first: group commit (SqliteStore) ends many runs in the same turn, and the pass poked by the
      // first of them then sees every slot they free, instead of claiming for one and idling until the next poll.
      // Schedules fire first, so that the runs they start are claimed by the same pass.
      pass: async () => {
        await Promise.resolve();
        const fireDelayMs = await this.#firing.pass();
        return Math.min(fireDelayMs, await this.#pass());
      },
      onError: this.#options.onError,
      // A failed pass is retried even when polling is off: a store error must not stop the engine for good.
      retryDelayMs: Math.min(this.#options.pollIntervalMs, ERROR_RETRY_DELAY_MS),
    });
    this.#firing = new ScheduleFiring(this.#options);
    this.schedules = new Schedules({
      store,
      clock,
      maxPayloadBytes: this.#options.maxPayloadBytes,
      assertOpen: (action) => this.#assertOpen(action),
      resolveWorkflow: (workflow, api) => this.#resolveWorkflowName(workflow, api),
      versionFor: (workflow) => this.#versionToStart(workflow, workflow, undefined, "schedules.trigger()"),
      handle: (runId, workflow) => new RunHandle(this.#handleHost, runId, workflow),
      changed: () => {
        this.#firing.invalidate();
        this.#loop.poke();
      },
    });
    this.#changes = new StoreChangeWatch(
      store,
      {
        runsDue: (atMs, workflows) => {
          if (this.#served.length === 0) return;
          if (workflows !== undefined && !workflows.some((name) => this.#options.workflows.hasName(name))) return;
          if (atMs === undefined) this.#loop.poke();
          else this.#loop.wakeAt(atMs);
        },
        // Only when someone waits: with nobody waiting the next interval poll moves the cursor anyway.
        runsEnded: () => {
          if (this.#watchers.watching > 0) this.#watchers.poll().catch(this.#options.onError);
        },
        runsWoken: (runIds) => {
          for (const runId of runIds) this.#executions.get(runId)?.execution.notify();
        },
        cancelRequested: (runIds) => {
          for (const runId of runIds) if (this.#executions.has(runId)) void this.#deliverCancellation(runId);
        },
      },
      this.#options.onError,
    );
    const retention = this.#options.retention;
    this.#retention =
      retention === undefined ? undefined : new RetentionSweeper(store, clock, retention, this.#options.onError);
    this.#retention?.start();
    this.#loop.poke();
  }

  /**
   * Another process requested the cancellation of a run executing here: read the request (and its reason) and
   * deliver it now rather than at the next lease renewal.
   */
  async #deliverCancellation(runId: string): Promise<void> {
    try {
      const run = await this.#options.store.getRun(runId);
      if (run?.cancelRequested === true) this.#executions.get(runId)?.execution.requestCancel(run.cancelReason);
    } catch (error) {
      this.#options.onError(error);
    }
  }

  /**
   * Workflows are announced, this process is recorded as the holder of this engine's leases, the leases of dead
   * processes on this machine are taken over, and blocked runs get another chance with this (possibly fixed) code.
   */
  async #startUp(): Promise<void> {
    if (this.#served.length === 0) return;
    const { store, clock } = this.#options;
    const nowMs = clock.nowMs();
    this.#holder ??= thisProcessAsHolder(this.#owner);
    await store.registerWorkflows(this.#served, nowMs);
    await store.registerLeaseHolder(this.#holder, nowMs);
    this.#lastRegistryBeatMs = nowMs;
    await this.#takeOverDeadHolders();
    await store.retryBlockedRuns(this.#served, nowMs);
    if (this.#options.checkParkedRuns) this.#parkedCheck = this.#checkParked();
  }

  /** The start-up check of parked runs (parked-run-check.ts), in the background; close() and whenIdle() wait for it. */
  async #checkParked(): Promise<void> {
    const { store, clock, workflows, on, onError } = this.#options;
    try {
      await checkParkedRuns({
        store,
        workflows,
        stats: this.#stats,
        maxPayloadBytes: this.#options.maxPayloadBytes,
        nowMs: () => clock.nowMs(),
        parkedBeforeMs: this.#createdAtMs,
        isClosing: () => this.#closing !== undefined,
        isExecuting: (runId) => this.#executions.has(runId),
        onBlocked: (run, reason, error) =>
          callHook(on, "runBlocked", { runId: run.id, workflow: run.workflow, reason, error }, onError),
        onReplayed: (replayer) => this.#context.cache.put(replayer),
      });
    } catch (error) {
      onError(error);
    }
  }

  /**
   * Expires at once the leases of engines on this machine whose process is provably gone (killed in this boot):
   * their runs are claimable in this very pass instead of after their leases run out. Holders on
   * other hosts, or that may be alive, are left alone (lease-holders.ts has the rule).
   */
  async #takeOverDeadHolders(): Promise<void> {
    const self = this.#holder;
    if (self === undefined) return;
    const { store, clock } = this.#options;
    const holders = await store.leaseHoldersOn(self.host);
    const dead = holders.filter((holder) => isHolderGone(holder, self)).map((holder) => holder.owner);
    if (dead.length > 0) await store.expireLeasesOf(dead, clock.nowMs());
  }

  /**
   * Starts a run, or returns the existing run when `options.id` is already taken by the same workflow.
   * Pass a definition (works on every engine) or the name of a workflow some engine on the store serves.
   *
   * @example
   * const run = await engine.start(greet, "Ada", { id: "greet-ada" });
   * const same = await engine.start(greet, "Ada", { id: "greet-ada" }); // same run, nothing new starts
   * await engine.start(importJob, input, { queue: "imports", key: customerId, priority: 10, delay: { hours: 1 } });
   */
  async start<I, O>(workflow: WorkflowDefinition<I, O>, input: I, options?: StartOptions): Promise<RunHandle<O>>;
  async start(workflow: string, input: unknown, options?: StartOptions): Promise<RunHandle>;
  async start(
    workflow: WorkflowDefinition<unknown, unknown> | string,
    input: unknown,
    options: StartOptions = {},
  ): Promise<RunHandle> {
    this.#assertOpen("start a run");
    const run = await this.#newRun(workflow, input, options, this.#options.clock.nowMs());
    const [answer] = await this.#create([run]);
    const existing = (answer as { created: boolean; run: RunRecord }).run;
    return new RunHandle(this.#handleHost, existing.id, existing.workflow);
  }

  /**
   * Starts many runs in one store transaction and resolves with their handles, in the same order. Each item is
   * `{ workflow, input, id? }`, with the meaning and idempotency of `start(workflow, input, { id })`: an id already
   * taken by the same workflow (or earlier in the same call) gives back that run. Every item is checked and
   * encoded before anything is written, and the write is all or nothing: a bad item (bad id, unknown workflow
   * name, unstorable input, an id another workflow has, here or in the store) rejects the call with the error
   * `start()` would throw, naming the item (`itemIndex`), and no run is created. At most 10,000 items per call.
   *
   * @example
   * const runs = await engine.startMany(orders.map((o) => ({ workflow: order, input: o, id: `order-${o.id}` })));
   * const receipts = await Promise.all(runs.map((run) => run.result()));
   */
  async startMany<T extends readonly StartManyItem[]>(
    items: T & CheckedStartManyItems<T>,
  ): Promise<StartManyHandles<T>> {
    this.#assertOpen("start runs");
    assertStartManyItems(items);
    const nowMs = this.#options.clock.nowMs();
    const registered = new Set<string>();
    const workflowOfId = new Map<string, string>();
    const runs: NewRun[] = [];
    // Every item is checked and encoded before anything is written; an error names its item.
    for (const [index, item] of items.entries()) {
      try {
        const run = await this.#newRun(item.workflow, item.input, item, nowMs, "startMany()", registered);
        const earlier = workflowOfId.get(run.id);
        if (earlier !== undefined && earlier !== run.workflow)
          throw new RunIdConflictError(run.id, earlier, run.workflow);
        workflowOfId.set(run.id, run.workflow);
        runs.push(run);
      } catch (error) {
        throw forStartManyItem(error, index);
      }
    }
    const answers = await this.#create(runs).catch((error: unknown) => {
      if (!(error instanceof RunIdConflictError)) throw error;
      const index = runs.findIndex((run) => run.id === error.runId && run.workflow === error.requestedWorkflow);
      throw forStartManyItem(error, Math.max(0, index));
    });
    const handles = answers.map(({ run }) => new RunHandle(this.#handleHost, run.id, run.workflow));
    return handles as unknown as StartManyHandles<T>;
  }

  /**
   * A run to create: the workflow's name and version resolved, the id checked, the input encoded with its
   * run_started event.
   */
  async #newRun(
    workflow: WorkflowDefinition<never, unknown> | string,
    input: unknown,
    options: {
      readonly id?: string | undefined;
      readonly version?: number | undefined;
      readonly tags?: Readonly<Record<string, string>> | undefined;
    } & QueueStartOptions,
    nowMs: number,
    api = "start()",
    registered?: Set<string>,
  ): Promise<NewRun> {
    const name = await this.#resolveWorkflowName(workflow, api, registered);
    const version = this.#versionToStart(name, workflow, options.version, api);
    const runId = options.id ?? randomUUID();
    assertId(runId, "run id");
    const limit = this.#options.maxPayloadBytes;
    const tags = checkTags(options.tags, api);
    const encodedInput = encodeValue(input, "The workflow input", limit);
    const started = runStartedEvent({ workflow: name, version, generation: 1, tags }, input, nowMs);
    const startedEvent = encodeEvent(started, "The workflow input", limit);
    const placement = runPlacement(options, nowMs, api);
    const run: NewRun = { id: runId, workflow: name, version, input: encodedInput, startedEvent, nowMs, ...placement };
    return tags === undefined ? run : { ...run, tags };
  }

  /**
   * The version a new run starts on: the one asked for, else the highest this engine serves for the name, else
   * the definition's own (1 when started by name from an engine that does not serve the workflow).
   */
  #versionToStart(
    name: string,
    workflow: WorkflowDefinition<never, unknown> | string,
    asked: number | undefined,
    api: string,
  ): number {
    if (asked !== undefined) {
      if (!Number.isSafeInteger(asked) || asked < 1) {
        throw new InvalidArgumentError(`${api} needs { version } to be a positive integer (got ${String(asked)}).`);
      }
      return asked;
    }
    return this.#options.workflows.latest(name) ?? (typeof workflow === "string" ? 1 : workflow.version);
  }

  /**
   * Creates runs in one store write and sets each going. While this engine has free slots and nothing queued,
   * a run it serves is created already claimed by it and starts at once: one commit instead of two (create, then
   * claim) before its first step. Runs in a queue, and delayed ones, never take that path: a queue's limits and
   * priority order are applied by the store's claim, across every engine, and a creation cannot apply them.
   * Throws RunIdConflictError for an id another workflow has.
   */
  async #create(runs: readonly NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    let free = this.#closing === undefined && !this.#backlog ? this.#freeSlots() : 0;
    const leased = new Set<string>();
    const lease = { owner: this.#owner, leaseMs: this.#options.leaseMs };
    const toCreate = runs.map((run) => {
      if (free <= 0 || leased.has(run.id) || !this.#serves(run.workflow, run.version ?? 1)) return run;
      if (run.queue !== undefined || run.dueAtMs !== undefined) return run;
      free -= 1;
      leased.add(run.id);
      return { ...run, lease };
    });
    this.#reservedSlots += leased.size;
    let answers: { created: boolean; run: RunRecord }[];
    try {
      const { store } = this.#options;
      answers =
        toCreate.length === 1 ? [await store.createRun(toCreate[0] as NewRun)] : await store.createRuns(toCreate);
    } catch (error) {
      // The runs may have been stored with our leases even though the call failed (a lost acknowledgement): hand
      // them back, or they would sit leased to an engine that is not executing them until the leases expire.
      const held = [...leased].filter((id) => !this.#executions.has(id));
      if (held.length > 0) {
        await this.#releaseQuietly(held);
        this.#loop.poke();
      }
      throw error;
    } finally {
      this.#reservedSlots -= leased.size;
    }
    const release: string[] = [];
    let poke = false;
    answers.forEach(({ created, run }, index) => {
      const started = toCreate[index] as NewRun;
      if (!created && run.workflow !== started.workflow) {
        throw new RunIdConflictError(run.id, run.workflow, started.workflow);
      }
      // Claimed here: run it with the event just written as its history, unless the engine began closing
      // meanwhile (then hand it back so that another engine takes it at once).
      if (created && started.lease !== undefined && this.#closing === undefined)
        this.#launch(run, [started.startedEvent]);
      else if (created && started.lease !== undefined) release.push(run.id);
      // An existing run too: a resend after a lost acknowledgement must still get the run going.
      else if (this.#serves(run.workflow, run.version)) {
        if (created) this.#startedEvents.remember(run.id, started.startedEvent);
        poke = true;
      }
    });
    if (release.length > 0) void this.#releaseQuietly(release);
    if (poke) this.#loop.poke();
    return answers;
  }

  /**
   * Sends a signal. It is stored durably before this resolves and waits in the run's inbox until an
   * `awaitSignal(name)` consumes it. Returns the signal's id and whether it was a duplicate.
   *
   * @example
   * await engine.signal("greet-ada", "reply", "hi!");
   * await engine.signal("order-7", "shipped", { carrier: "DHL" }, { id: "webhook-123" }); // resends are ignored
   */
  async signal(
    runId: string,
    name: string,
    payload?: unknown,
    options: SignalOptions = {},
  ): Promise<{ id: string; duplicate: boolean }> {
    this.#assertOpen("send a signal");
    assertId(runId, "run id");
    assertId(name, "signal name");
    const signalId = options.id ?? randomUUID();
    assertId(signalId, "signal id");
    const encoded = encodeValue(payload, `The payload of signal '${name}'`, this.#options.maxPayloadBytes);
    const { duplicate } = await this.#options.store.sendSignal({
      runId,
      signalId,
      name,
      payload: encoded,
      nowMs: this.#options.clock.nowMs(),
    });
    // Also for a duplicate: a resend after a lost acknowledgement must still wake the run.
    this.#executions.get(runId)?.execution.notify();
    this.#loop.poke();
    return { id: signalId, duplicate };
  }

  /**
   * Requests cancellation: a CancelledError is thrown into the workflow at its current `yield*` (a
   * running step's `ctx.signal` fires), `finally` blocks may run steps, and the run ends `cancelled`.
   *
   * A `blocked` run cannot run its code, so a plain cancellation waits until code matching its history is
   * deployed (the answer says so: `blocked: true` and a message). `{ force: true }` ends a blocked run as
   * `cancelled` at once without running its code, so none of its compensation runs; the log records a
   * `run_cancelled` with `forced: true`. Force on a run that is not blocked throws RunNotBlockedError.
   *
   * @example
   * await engine.cancel("order-7", { reason: "customer request" });
   * const { blocked } = await engine.cancel("order-8");
   * if (blocked) await engine.cancel("order-8", { force: true, reason: "code was rolled forward" });
   */
  async cancel(runId: string, options: CancelOptions = {}): Promise<CancelResult> {
    this.#assertOpen("cancel a run");
    assertId(runId, "run id");
    assertReason(options.reason);
    const { store, clock } = this.#options;
    if (options.force === true) return this.#forceCancel(runId, options.reason);
    await store.requestCancel(runId, options.reason, clock.nowMs());
    this.#executions.get(runId)?.execution.requestCancel(options.reason);
    this.#loop.poke();
    const blocked = (await store.getRunOutcome(runId))?.status === "blocked";
    return {
      forced: false,
      blocked,
      message: blocked ? blockedCancelMessage(runId) : `Cancellation of run '${runId}' requested.`,
    };
  }

  /**
   * Changes the priority of a run in a queue (lower runs first; docs/queues.md). A queued run is claimed by its
   * new priority from the next claim on; a run executing now keeps its slot, and the priority orders its next
   * claims (after a sleep or a wait). Throws RunNotFoundError, RunFinishedError for a finished run, and
   * InvalidArgumentError for a run started without a queue or a priority that is not an integer within ±1,000,000.
   *
   * @example
   * await engine.start(importJob, input, { id: "import-42", queue: "imports", priority: 10 });
   * await engine.setPriority("import-42", 1); // runs before the priority-10 imports that are still waiting
   */
  async setPriority(runId: string, priority: number): Promise<void> {
    this.#assertOpen("change a run's priority");
    assertId(runId, "run id");
    assertPriority(priority, `setPriority('${runId}', priority)`);
    const { store, clock } = this.#options;
    const record = await store.getRun(runId);
    if (record === undefined) throw new RunNotFoundError(runId);
    if (FINISHED_STATUSES.has(record.status))
      throw new RunFinishedError(runId, record.status, "change the priority of");
    if (record.queue === undefined) {
      throw new InvalidArgumentError(
        `Run '${runId}' was started without a queue, so it has no priority to change; priorities order the runs ` +
          `of a queue (start it with { queue, priority }).`,
      );
    }
    const changed = await store.setPriority([runId], priority, clock.nowMs());
    // It finished between the read and the write.
    if (changed.length === 0) {
      const status = (await store.getRunOutcome(runId))?.status ?? "completed";
      throw new RunFinishedError(runId, status, "change the priority of");
    }
    this.#loop.poke();
  }

  /**
   * Bulk re-prioritise: sets `priority` on every unfinished run in a queue that matches the filters, in pages of
   * 500 (one store write each), and returns how many runs it changed. Runs without a queue are passed over (they
   * have no priority to change); asking for finished statuses is an InvalidArgumentError.
   *
   * @example
   * await engine.setPriorityMany({ queue: "imports", tags: { customer: "7" } }, 1); // customer 7's imports first
   */
  async setPriorityMany(options: CountRunsOptions, priority: number): Promise<number> {
    this.#assertOpen("change runs' priority");
    assertPriority(priority, "setPriorityMany(filter, priority)");
    const asked = options.status === undefined ? UNFINISHED_STATUSES : [options.status].flat();
    const finished = asked.filter((status) => FINISHED_STATUSES.has(status));
    if (finished.length > 0) {
      throw new InvalidArgumentError(
        `setPriorityMany() changes runs that have not finished; '${finished.join("', '")}' runs have no priority ` +
          `left to change.`,
      );
    }
    const filter = { ...options, status: asked };
    runSelection(filter);
    const changed = await reprioritise(
      this.#options.store,
      (after) => this.listRunsPage({ ...filter, limit: PRIORITY_BATCH_SIZE, after }),
      priority,
      () => this.#options.clock.nowMs(),
    );
    if (changed > 0) this.#loop.poke();
    return changed;
  }

  /** Ends a blocked run as cancelled in one store write, without running its code (see cancel). */
  async #forceCancel(runId: string, reason: string | undefined): Promise<CancelResult> {
    const { store, clock, maxPayloadBytes } = this.#options;
    const record = await store.getRun(runId);
    if (record === undefined) throw new RunNotFoundError(runId);
    if (FINISHED_STATUSES.has(record.status)) throw new RunFinishedError(runId, record.status, "cancel");
    if (record.status !== "blocked") throw new RunNotBlockedError(runId, record.status);
    const nowMs = clock.nowMs();
    const event = encodeEvent(
      { type: "run_cancelled", seq: record.lastSeq + 1, atMs: nowMs, reason, forced: true },
      "The cancellation reason",
      maxPayloadBytes,
    );
    await store.forceCancelBlocked(runId, event, reason, nowMs);
    this.#watchers.notify(runId, { status: "cancelled", reason });
    callHook(this.#options.on, "runCancelled", { runId, workflow: record.workflow, reason }, this.#options.onError);
    if (record.parentId !== undefined) this.#executions.get(record.parentId)?.execution.notify();
    this.#loop.poke();
    return {
      forced: true,
      blocked: true,
      message: `Run '${runId}' was blocked and is now cancelled; none of its code ran.`,
    };
  }

  /**
   * A run's current state, or `undefined` if no run has this id. Unlike `listRuns`, it also lists the signals
   * waiting in the run's inbox (`pendingSignals`), so that a signal sent under the wrong name can be seen, and
   * the episodes during which the run was blocked (`blockedEpisodes`).
   *
   * @example
   * const info = await engine.getRun("greet-ada");
   * console.log(info?.status, info?.waitingFor, info?.wakeAtMs, info?.pendingSignals);
   */
  async getRun<O = unknown>(runId: string): Promise<RunInfo<O> | undefined> {
    // An id no run can have (e.g. a lone surrogate, which the store would turn into another string) is unknown.
    if (!isPossibleId(runId)) return undefined;
    const record = await this.#options.store.getRun(runId);
    if (record === undefined) return undefined;
    const [[reason], pending, episodes, children] = await Promise.all([
      this.#derivedReasons([record]),
      this.#options.store.pendingSignals(runId, MAX_PENDING_SIGNALS_SHOWN),
      this.#options.store.blockedEpisodes(runId),
      this.#options.store.childrenOf(runId, MAX_CHILDREN_SHOWN),
    ]);
    const pendingSignals = pending.map((signal) => ({
      id: signal.signalId,
      name: signal.name,
      sentAtMs: signal.sentAtMs,
    }));
    return { ...toRunInfo<O>(record, reason), pendingSignals, blockedEpisodes: episodes, children };
  }

  /**
   * The run's decoded event log, oldest first: its current generation, or with `{ generation }` an earlier one
   * (a run that used `continueAsNew`; see RunInfo.generation). Throws RunNotFoundError for an unknown id and
   * InvalidArgumentError for a generation the run does not have.
   *
   * @example
   * for (const e of await engine.history("greet-ada")) console.log(e.seq, e.type);
   * const first = await engine.history("agent-7", { generation: 1 });
   */
  async history(runId: string, options: HistoryOptions = {}): Promise<HistoryEvent[]> {
    if (!isPossibleId(runId)) throw new RunNotFoundError(String(runId));
    const { store } = this.#options;
    const generation = options.generation;
    if (generation === undefined) {
      const records = await store.readEvents(runId);
      if (records.length === 0 && (await store.getRun(runId)) === undefined) throw new RunNotFoundError(runId);
      return records.map((record) => decodeEvent(runId, record));
    }
    const run = await store.getRun(runId);
    if (run === undefined) throw new RunNotFoundError(runId);
    if (!Number.isSafeInteger(generation) || generation < 1 || generation > run.generation) {
      throw new InvalidArgumentError(
        `history('${runId}', { generation }) takes a generation from 1 to ${run.generation}, the run's current ` +
          `one (got ${String(generation)}).`,
      );
    }
    const records = await store.readEvents(runId, 0, generation);
    return records.map((record) => decodeEvent(runId, record));
  }

  /**
   * Runs matching the filters, newest first.
   *
   * @example
   * const waiting = await engine.listRuns({ status: "waiting", workflow: "order", limit: 20 });
   */
  async listRuns(options: ListRunsOptions = {}): Promise<RunInfo[]> {
    const records = await this.#options.store.listRuns(runFilter(options));
    const reasons = await this.#derivedReasons(records);
    return records.map((record, index) => toListedRunInfo(record, reasons[index]));
  }

  /**
   * One page of runs matching the filters, newest first, and the cursor of the next page (undefined on the last):
   * keyset paging, so a deep page costs what the first one does and runs started meanwhile never shift a page.
   *
   * @example
   * let page = await engine.listRunsPage({ tags: { customer: "42" }, limit: 100 });
   * while (page.next !== undefined) page = await engine.listRunsPage({ tags: { customer: "42" }, after: page.next });
   */
  async listRunsPage(options: ListRunsOptions = {}): Promise<RunPage<RunInfo>> {
    const filter = runFilter(options);
    // One more than asked for tells whether another page follows, without a second query.
    const records = await this.#options.store.listRuns({ ...filter, limit: filter.limit + 1 });
    const page = records.slice(0, filter.limit);
    const reasons = await this.#derivedReasons(page);
    const runs = page.map((record, index) => toListedRunInfo(record, reasons[index]));
    const last = page.at(-1);
    const next: RunPageCursor | undefined =
      records.length > filter.limit && last !== undefined ? { createdAtMs: last.createdAtMs, id: last.id } : undefined;
    return { runs, next };
  }

  /**
   * How many runs match the filters (the same filters as `listRuns`, without `limit` and `after`).
   *
   * @example
   * const waiting = await engine.countRuns({ status: "waiting", tags: { customer: "42" } });
   */
  async countRuns(options: CountRunsOptions = {}): Promise<number> {
    const counts = await this.countRunsByStatus(options);
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  /**
   * How many runs match the filters, per status (statuses without runs are 0).
   *
   * @example
   * const { waiting, failed } = await engine.countRunsByStatus({ tags: { plan: "pro" } });
   */
  async countRunsByStatus(options: CountRunsOptions = {}): Promise<RunStatusCounts> {
    return this.#options.store.countRuns(runSelection(options));
  }

  /**
   * Requests the cancellation of every unfinished run matching the filters (default: all unfinished statuses),
   * as `cancel()` does for one, in bounded store writes (500 runs each, never one round trip per run). Resolves
   * with how many runs it marked; runs already marked or finished are not counted. Blocked runs are marked and
   * act on it once code matching their history is deployed (see `cancel`).
   *
   * @example
   * const cancelled = await engine.cancelMany({ tags: { customer: "7" }, status: "waiting" }, { reason: "account closed" });
   */
  async cancelMany(options: CountRunsOptions, cancel: { readonly reason?: string } = {}): Promise<number> {
    this.#assertOpen("cancel runs");
    assertReason(cancel.reason);
    const selection = runSelection(options);
    const { store, clock } = this.#options;
    const marked = await cancelMatching(
      store,
      selection,
      cancel.reason,
      () => clock.nowMs(),
      (runIds) => {
        for (const runId of runIds) this.#executions.get(runId)?.execution.requestCancel(cancel.reason);
      },
    );
    if (marked > 0) this.#loop.poke();
    return marked;
  }

  /**
   * Starts a new run for every finished run matching the filters (default: status `failed`), with the same
   * workflow, version and input, the original's tags plus `rerunOf: <its id>`, and the id `<id>-rerun-1`. That id
   * makes it idempotent: a run rerun before (by this or by `reprise rerun`) gets back the rerun it has, so calling
   * it again after a crash starts nothing twice. Walks the matches in pages of 500, one store write each. Only
   * finished statuses may be asked for (InvalidArgumentError otherwise); a run whose stored input cannot be
   * decoded is skipped and named in `skipped`.
   *
   * @example
   * const { runIds } = await engine.rerunMany({ status: "failed", workflow: "import", tags: { customer: "7" } });
   */
  async rerunMany(options: CountRunsOptions = {}): Promise<RerunManyResult> {
    this.#assertOpen("rerun runs");
    const status = options.status === undefined ? (["failed"] as const) : [options.status].flat();
    const unfinished = status.filter((each) => !FINISHED_STATUSES.has(each));
    if (unfinished.length > 0) {
      throw new InvalidArgumentError(
        `rerunMany() reruns finished runs only (completed, failed, cancelled); '${unfinished.join("', '")}' ` +
          `runs are still in progress.`,
      );
    }
    const filter = { ...options, status };
    runSelection(filter);
    const runIds: string[] = [];
    const skipped: { runId: string; reason: string }[] = [];
    let after: RunPageCursor | undefined;
    do {
      // Reruns are new and not finished, so they never show up further down this walk.
      const page = await this.listRunsPage({ ...filter, limit: RERUN_BATCH_SIZE, after });
      const items: StartManyItem[] = [];
      for (const run of page.runs) {
        const item = rerunItem(run);
        if (typeof item === "string") skipped.push({ runId: run.id, reason: item });
        else items.push(item);
      }
      if (items.length > 0) runIds.push(...(await this.startMany(items)).map((handle) => handle.id));
      after = page.next;
    } while (after !== undefined);
    return { runIds, skipped };
  }

  /**
   * Deletes finished runs older than the policy's periods now, with their events, signals, blocked episodes and
   * tags, in bounded store writes; resolves with how many it deleted. Without a policy it uses the engine's
   * `retention` option (and deletes nothing without one). Unfinished runs, and runs a parent or child still
   * refers to, are never deleted (Store.purgeRuns has the rule).
   *
   * @example
   * const deleted = await engine.purge({ completed: { days: 7 }, failed: { days: 30 } });
   */
  async purge(policy?: RetentionPolicy): Promise<number> {
    this.#assertOpen("purge runs");
    const configured = this.#options.retention;
    const keepMs = policy === undefined ? configured?.keepMs : retentionPeriods(policy, "purge()");
    if (keepMs === undefined) return 0;
    const batchSize = configured?.batchSize ?? 500;
    return purgeExpired(this.#options.store, keepMs, this.#options.clock.nowMs(), batchSize, Infinity);
  }

  /**
   * Counters for tests and monitoring: replays, events replayed, step attempts, commits.
   *
   * @example
   * expect(engine.stats().replays).toBe(0);
   */
  stats(): Readonly<EngineStats> {
    return { ...this.#stats };
  }

  /**
   * Stops claiming work, lets running steps finish for up to `shutdownGraceMs`, records what they
   * produced, and releases every lease so another engine can continue at once. Does not close the store.
   *
   * @example
   * process.on("SIGTERM", () => void engine.close());
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    const unsubscribed = this.#changes.close().catch(this.#options.onError);
    await this.#retention?.stop();
    await this.#loop.stop();
    await this.#parkedCheck;
    const settled = Promise.allSettled([...this.#executions.values()].map((entry) => entry.done));
    let graceTimer: TimerHandle | undefined;
    const graceOver = new Promise<void>((resolve) => {
      graceTimer = this.#options.clock.setTimer(this.#options.shutdownGraceMs, resolve);
    });
    await Promise.race([settled, graceOver]);
    graceTimer?.cancel();
    const leftover = [...this.#executions.values()].map((entry) => entry.execution);
    for (const execution of leftover) execution.abandon("The engine shut down before the step finished");
    this.#heartbeat.stop();
    try {
      if (leftover.length > 0) {
        const ids = leftover.map((execution) => execution.runId);
        await this.#options.store.releaseLeases(this.#owner, ids, this.#options.clock.nowMs());
      }
    } finally {
      this.#watchers.notifyAll();
      await unsubscribed;
      // A poll started by a change notification just before close must finish before the caller closes the store.
      await this.#watchers.settled();
    }
  }

  /**
   * Resolves once this engine has nothing left to do at the current time: no run executing, no
   * pass or retention sweep in progress, and no run of its workflows due. Tests use it to wait for work to settle.
   *
   * @example
   * await engine.signal(id, "approve", true);
   * await engine.whenIdle();
   * expect((await engine.getRun(id))?.status).toBe("completed");
   */
  async whenIdle(): Promise<void> {
    for (;;) {
      await this.#loop.settled();
      await this.#parkedCheck;
      await this.#retention?.settled();
      const running = [...this.#executions.values()].map((entry) => entry.done);
      if (running.length > 0) {
        await Promise.allSettled(running);
        continue;
      }
      if (this.#closing !== undefined || this.#served.length === 0) return;
      const nextDueAtMs = await this.#scheduler.nextDueAtMs(this.#options.clock.nowMs());
      if (this.#executions.size > 0 || this.#loop.busy) continue;
      if (nextDueAtMs === undefined || nextDueAtMs > this.#options.clock.nowMs()) return;
      this.#loop.poke();
    }
  }

  /** One pass of the work loop: claim what is due, then say when to look again. */
  async #pass(): Promise<number> {
    if (!this.#startedUp) {
      await this.#startUp();
      this.#startedUp = true;
    }
    const { store, clock, pollIntervalMs } = this.#options;
    // Runs finished here wake their waiters at once; a poll (at most once per interval) asks the store, in one
    // query, which runs ended elsewhere since the last poll.
    if (clock.nowMs() - this.#lastWatcherPollMs >= pollIntervalMs) {
      this.#lastWatcherPollMs = clock.nowMs();
      await this.#watchers.poll();
    }
    if (this.#served.length === 0) return pollIntervalMs;
    if (clock.nowMs() - this.#lastRegistryBeatMs >= REGISTRY_HEARTBEAT_MS) {
      await store.registerWorkflows(this.#served, clock.nowMs());
      this.#lastRegistryBeatMs = clock.nowMs();
      await this.#takeOverDeadHolders();
    }
    const capacity = this.#freeSlots();
    this.#backlog = capacity <= 0;
    if (this.#backlog) return pollIntervalMs;
    const claimed = await this.#scheduler.claim(capacity, clock.nowMs());
    // A run created here while every slot was busy starts from the event start() wrote, if its log still ends there.
    for (const run of claimed) this.#launch(run, this.#startedEvents.take(run.id, run.lastSeq));
    this.#backlog = claimed.length === capacity;
    if (this.#backlog) return pollIntervalMs;
    const nextDueAtMs = await this.#scheduler.nextDueAtMs(clock.nowMs());
    if (nextDueAtMs === undefined) return pollIntervalMs;
    return Math.min(pollIntervalMs, Math.max(1, nextDueAtMs - clock.nowMs()));
  }

  /** Slots for more executions: `concurrency` minus runs executing and runs being created claimed by start(). */
  #freeSlots(): number {
    return this.#options.concurrency - this.#executions.size - this.#reservedSlots;
  }

  /** Gives up this engine's leases on runs it is not executing; if that fails too, the leases simply expire. */
  async #releaseQuietly(runIds: readonly string[]): Promise<void> {
    try {
      await this.#options.store.releaseLeases(this.#owner, runIds, this.#options.clock.nowMs());
    } catch (error) {
      this.#options.onError(error);
    }
  }

  /** Executes a claimed run; `history` is its whole log when at hand (just written here), else it is read. */
  #launch(run: RunRecord, history: readonly EventRecord[] | undefined): void {
    const definition = this.#options.workflows.get(run.workflow, run.version);
    // A run still executing here whose lease lapsed (a stalled event loop, a failed renewal) may be claimed
    // again by this engine: the claim just renewed the lease, and the execution in progress keeps going.
    if (definition === undefined || this.#executions.has(run.id)) return;
    const execution = new RunExecution(this.#context, run, definition, history);
    const done = execution
      .execute()
      .catch((error: unknown) => this.#options.onError(error))
      .finally(() => {
        this.#executions.delete(run.id);
        // A run that continued as new is still leased here: its next generation starts at once, from the one
        // event the continuing commit wrote (or, while closing, goes back to the store for another engine).
        const next = execution.continuation;
        if (next !== undefined && this.#closing === undefined) this.#launch(next.run, next.history);
        else if (next !== undefined) void this.#releaseQuietly([run.id]);
        if (this.#executions.size === 0) this.#heartbeat.pause();
        // While due runs wait for a free slot, every freed slot asks for a pass (pokes coalesce); so does a slot
        // of a queue, whose due runs may wait for it whatever this engine's own slots say.
        if (this.#backlog || run.queue !== undefined) this.#loop.poke();
      });
    this.#executions.set(run.id, { execution, done });
    this.#heartbeat.ensureRunning();
  }

  readonly #handleHost = {
    getRun: (runId: string) => this.getRun(runId),
    waitForResult: (runId: string) =>
      waitForResult(runId, this.#options.store, this.#watchers, () => this.#closing !== undefined),
  };

  /** The workflow's name; a name must be served here or registered by some engine (`registered` caches those). */
  async #resolveWorkflowName(
    workflow: WorkflowDefinition<never, unknown> | string,
    api = "start()",
    registered?: Set<string>,
  ): Promise<string> {
    if (typeof workflow !== "string") {
      if (typeof workflow?.name !== "string" || typeof workflow.fn !== "function") {
        throw new InvalidArgumentError(`${api} takes a workflow definition (made by workflow()) or a workflow name.`);
      }
      return workflow.name;
    }
    const problem = textProblem(workflow, MAX_WORKFLOW_NAME_LENGTH);
    if (problem !== undefined) {
      throw new InvalidArgumentError(`${api} needs a workflow name or definition; the name ${problem}.`);
    }
    if (this.#options.workflows.hasName(workflow) || registered?.has(workflow)) return workflow;
    if ((await this.#options.store.workflowLastSeenAtMs(workflow)) === undefined)
      throw new UnknownWorkflowError(workflow);
    registered?.add(workflow);
    return workflow;
  }

  /** This engine has the code of this version of the workflow. */
  #serves(workflow: string, version: number): boolean {
    return this.#options.workflows.get(workflow, version) !== undefined;
  }

  /** Why each record's run is not moving, when no live engine serves its workflow at its version. */
  #derivedReasons(records: readonly RunRecord[]): Promise<(string | undefined)[]> {
    const { workflows, store, clock } = this.#options;
    return unservedReasons(records, store, clock.nowMs(), this.#closing === undefined ? workflows : undefined);
  }

  #assertOpen(action: string): void {
    if (this.#closing !== undefined) throw new EngineClosedError(action);
  }
}

/**
 * Creates an engine that immediately begins recovering and executing runs of `workflows` from `store`.
 *
 * @example
 * const store = await SqliteStore.open({ filename: "reprise.db" });
 * const engine = createEngine({ store, workflows: [greet] });
 */
export function createEngine(options: EngineOptions): Engine {
  return new Engine(options);
}
