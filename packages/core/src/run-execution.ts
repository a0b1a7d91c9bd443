// Executes one claimed run: rebuild (or reuse) its replayer, then answer commands live until it parks or ends.
// The only code that runs user step functions and appends events; every append goes through the replayer first.
import { randomUUID } from "node:crypto";
import type { Clock } from "./clock.js";
import type { StepContext } from "./commands.js";
import { decodeValue, encodeValue } from "./codec.js";
import {
  CorruptEventError,
  LeaseLostError,
  NonDeterminismError,
  PayloadTooLargeError,
  UnencodableValueError,
} from "./errors.js";
import {
  decodeEvent,
  encodeEvent,
  EVENT_LOG_FORMAT_VERSION,
  toErrorInfo,
  type EventRecord,
  type HistoryEvent,
  type NewEvent,
} from "./events.js";
import { LazyAbortController } from "./lazy-abort.js";
import { Replayer, type PendingCommand, type RunOutcome } from "./replay.js";
import type { ReplayerCache } from "./replayer-cache.js";
import { resolveRetryPolicy, retryDelayMs, shouldRetry, type ResolvedRetryPolicy, type RetryPolicy } from "./retry.js";
import type { RunOutcomeRecord, RunRecord, RunUpdate, Store } from "./store.js";
import type { WorkflowDefinition } from "./workflow.js";

/** Room for an event carrying a truncated error (8 KiB message, 16 KiB stack, JSON escaping). */
const ERROR_EVENT_LIMIT_BYTES = 128 * 1024;

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
  readonly cache: ReplayerCache;
  readonly stats: EngineStats;
  isClosing(): boolean;
  /** The run parked until `dueAtMs` (if set): the engine arranges a wake-up. */
  onParked(dueAtMs: number | undefined): void;
  /** The run reached a final status, durably; `finished` is what the store now holds about its end. */
  onFinished(runId: string, finished: RunOutcomeRecord): void;
}

/** One claimed run, executed until it parks, finishes, blocks, or the engine lets go of it. */
export class RunExecution {
  readonly runId: string;
  readonly #ctx: ExecutionContext;
  readonly #run: RunRecord;
  readonly #definition: WorkflowDefinition<never, unknown>;
  #replayer: Replayer | undefined;
  #cancel: { reason: string | undefined } | undefined;
  #stepAbort: LazyAbortController | undefined;
  /** Set once this engine must stop writing for the run (lease lost or shutdown). */
  #abandoned = false;
  #committedSeq: number;
  #unflushed: EventRecord[] = [];
  #consumedSignals: { position: number; seq: number }[] = [];
  /** Last inbox position consumed per signal name in the unflushed batch. */
  #consumedInBatch = new Map<string, number>();
  readonly #history: readonly EventRecord[] | undefined;

  /**
   * `history`: the run's whole log when the caller has it at hand (start() just wrote run_started), so it is
   * not read back from the store.
   */
  constructor(
    ctx: ExecutionContext,
    run: RunRecord,
    definition: WorkflowDefinition<never, unknown>,
    history?: readonly EventRecord[],
  ) {
    this.#ctx = ctx;
    this.#run = run;
    this.#history = history;
    this.runId = run.id;
    this.#definition = definition;
    this.#committedSeq = run.lastSeq;
    if (run.cancelRequested) this.#cancel = { reason: run.cancelReason };
  }

  /** Delivers a cancellation at the next `yield*` and aborts a running step. */
  requestCancel(reason: string | undefined): void {
    // Once delivered, the workflow is compensating: its later steps must not be aborted by repeats of the request.
    if (this.#replayer?.cancellationDelivered === true) return;
    this.#cancel ??= { reason };
    this.#stepAbort?.abort(new Error(`Run '${this.runId}' was cancelled`));
  }

  /** Stops writing for this run (shutdown past the grace period, or lease lost); aborts a running step. */
  abandon(reason: string): void {
    this.#abandoned = true;
    this.#stepAbort?.abort(new Error(reason));
  }

  async execute(): Promise<void> {
    const replayer = await this.#loadReplayer();
    if (replayer === undefined) return;
    this.#replayer = replayer;
    try {
      await this.#drive(replayer);
    } catch (error) {
      this.#ctx.cache.delete(this.runId);
      if (error instanceof LeaseLostError) return;
      throw error;
    }
  }

  async #loadReplayer(): Promise<Replayer | undefined> {
    const cached = this.#ctx.cache.take(this.runId, this.#run.lastSeq);
    if (cached !== undefined) return cached;
    const replayer = new Replayer(this.runId, this.#definition);
    let records = this.#history;
    if (records === undefined) {
      records = await this.#ctx.store.readEvents(this.runId);
      this.#ctx.stats.replays += 1;
      this.#ctx.stats.eventsReplayed += records.length;
    }
    try {
      for (const record of records) replayer.apply(decodeEvent(this.runId, record));
    } catch (error) {
      if (error instanceof NonDeterminismError || error instanceof CorruptEventError) {
        await this.#block(error);
        return undefined;
      }
      throw error;
    }
    return replayer;
  }

  /** Answers the workflow's commands until it parks, finishes, or the engine stops. */
  async #drive(replayer: Replayer): Promise<void> {
    for (;;) {
      if (this.#abandoned) return;
      const state = replayer.state;
      if (state.type === "finished") return this.#finish(state.outcome);
      if (state.type === "not_started") throw new CorruptEventError(this.runId, 1, "the run has no run_started event");
      if (this.#ctx.isClosing())
        return this.#park({ status: "pending", release: true, dueAtMs: this.#ctx.clock.nowMs() });
      if (this.#cancel !== undefined && !replayer.cancellationDelivered) {
        this.#record({ type: "cancellation_requested", reason: this.#cancel.reason }, "The cancellation reason");
        continue;
      }
      const parked = await this.#advance(state.pending);
      if (parked) return;
    }
  }

  /** Moves the pending command one step forward; returns true when the run parked. */
  async #advance(pending: PendingCommand): Promise<boolean> {
    const nowMs = this.#ctx.clock.nowMs();
    switch (pending.kind) {
      case "step":
        if (pending.retryAtMs !== undefined && pending.retryAtMs > nowMs) {
          const wait = { kind: "retry", step: pending.command.name } as const;
          await this.#park({
            status: "sleeping",
            waitingFor: wait,
            wakeAtMs: pending.retryAtMs,
            release: true,
            dueAtMs: pending.retryAtMs,
          });
          return true;
        }
        // Everything decided so far must be durable before a side effect can observe it.
        await this.#flush({ status: "running", release: false });
        await this.#runStep(pending);
        return false;
      case "sleep": {
        if (pending.wakeAtMs === undefined) {
          const wakeAtMs = pending.command.deadlineMs ?? nowMs + (pending.command.durationMs ?? 0);
          this.#record({ type: "timer_started", wakeAtMs }, "The timer", nowMs);
          return false;
        }
        if (nowMs >= pending.wakeAtMs) {
          this.#record({ type: "timer_fired" }, "The timer");
          return false;
        }
        await this.#park({
          status: "sleeping",
          waitingFor: { kind: "timer" },
          wakeAtMs: pending.wakeAtMs,
          release: true,
          dueAtMs: pending.wakeAtMs,
        });
        return true;
      }
      case "signal":
        return this.#advanceSignalWait(pending, nowMs);
      case "value":
        this.#record(
          {
            type: "value_recorded",
            source: pending.command.source,
            value: freshValue(pending.command.source, nowMs, `${this.runId}:${pending.seq}`, this.#ctx.random),
          },
          "The value",
        );
        return false;
    }
  }

  async #advanceSignalWait(pending: Extract<PendingCommand, { kind: "signal" }>, nowMs: number): Promise<boolean> {
    const { name, timeoutMs } = pending.command;
    const signal = await this.#ctx.store.nextSignal(this.runId, name, this.#consumedInBatch.get(name) ?? 0);
    if (signal !== undefined) {
      this.#record(
        { type: "signal_received", name, signalId: signal.signalId, payload: decodeValue(signal.payload) },
        `The payload of signal '${name}'`,
      );
      this.#consumedSignals.push({ position: signal.position, seq: (this.#replayer as Replayer).lastSeq });
      this.#consumedInBatch.set(name, signal.position);
      return false;
    }
    if (!pending.waitStarted) {
      const timeoutAtMs = timeoutMs === undefined ? undefined : nowMs + timeoutMs;
      this.#record({ type: "signal_wait_started", name, timeoutAtMs }, "The signal wait", nowMs);
      return false;
    }
    if (pending.timeoutAtMs !== undefined && nowMs >= pending.timeoutAtMs) {
      this.#record({ type: "signal_timed_out", name }, "The signal timeout");
      return false;
    }
    const wait = { kind: "signal", name } as const;
    await this.#park({
      status: "waiting",
      waitingFor: wait,
      wakeAtMs: pending.timeoutAtMs,
      release: true,
      dueAtMs: pending.timeoutAtMs,
    });
    return true;
  }

  async #runStep(pending: Extract<PendingCommand, { kind: "step" }>): Promise<void> {
    const { command, seq, attempt } = pending;
    let policy: ResolvedRetryPolicy;
    try {
      policy = retryPolicyOf(this.#ctx.retryDefaults, command.options.retry);
    } catch (error) {
      this.#record({ type: "step_failed", name: command.name, attempt, error: toErrorInfo(error) }, "The step error");
      return;
    }
    const abort = new LazyAbortController();
    this.#stepAbort = abort;
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      this.#ctx.stats.stepAttempts += 1;
      const ctx: StepContext = {
        runId: this.runId,
        seq,
        attempt,
        idempotencyKey: `${this.runId}:${seq}`,
        get signal() {
          return abort.signal;
        },
      };
      outcome = { ok: true, value: await command.fn(ctx) };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      this.#stepAbort = undefined;
    }
    if (this.#abandoned) return;
    if (outcome.ok) return this.#recordStepResult(pending, outcome.value);
    this.#recordStepFailure(pending, policy, outcome.error);
  }

  #recordStepResult(pending: Extract<PendingCommand, { kind: "step" }>, value: unknown): void {
    const { command, attempt } = pending;
    try {
      this.#record(
        { type: "step_completed", name: command.name, attempt, result: value },
        `The result of step '${command.name}'`,
      );
    } catch (error) {
      if (!(error instanceof UnencodableValueError || error instanceof PayloadTooLargeError)) throw error;
      // A result that cannot be stored fails the step for good: retrying would produce the same value.
      this.#record({ type: "step_failed", name: command.name, attempt, error: toErrorInfo(error) }, "The step error");
    }
  }

  #recordStepFailure(
    pending: Extract<PendingCommand, { kind: "step" }>,
    policy: ResolvedRetryPolicy,
    error: unknown,
  ): void {
    const { command, attempt } = pending;
    if (this.#cancel !== undefined && !(this.#replayer as Replayer).cancellationDelivered) {
      // The step failed because (or while) the run was cancelled: deliver the cancellation instead of retrying.
      this.#record({ type: "cancellation_requested", reason: this.#cancel.reason }, "The cancellation reason");
      return;
    }
    const nowMs = this.#ctx.clock.nowMs();
    const retryAtMs = shouldRetry(policy, error, attempt) ? nowMs + retryDelayMs(policy, attempt) : undefined;
    const failed: NewEvent = { type: "step_failed", name: command.name, attempt, error: toErrorInfo(error), retryAtMs };
    this.#record(failed, "The step error", nowMs);
  }

  /** Encodes an event, feeds the decoded copy to the replayer (so live == replay), and buffers it. */
  #record(event: NewEvent, what: string, atMs = this.#ctx.clock.nowMs()): void {
    const replayer = this.#replayer as Replayer;
    const full = { ...event, seq: replayer.lastSeq + 1, atMs } as HistoryEvent;
    // Errors are already truncated (toErrorInfo) and a stored signal was size-checked when it was sent:
    // both must always be recordable, whatever this engine's payload limit.
    const limit =
      full.type === "signal_received"
        ? Number.MAX_SAFE_INTEGER
        : "error" in full
          ? Math.max(this.#ctx.maxPayloadBytes, ERROR_EVENT_LIMIT_BYTES)
          : this.#ctx.maxPayloadBytes;
    const record = encodeEvent(full, what, limit);
    replayer.apply(decodeEvent(this.runId, record));
    this.#unflushed.push(record);
  }

  async #flush(update: RunUpdate): Promise<void> {
    if (this.#unflushed.length === 0 && !update.release) return;
    if (this.#abandoned) throw new LeaseLostError(this.runId, this.#ctx.owner);
    const events = this.#unflushed;
    const consumedSignals = this.#consumedSignals;
    await this.#ctx.store.commit({
      runId: this.runId,
      owner: this.#ctx.owner,
      expectedLastSeq: this.#committedSeq,
      events,
      consumedSignals,
      update,
      nowMs: this.#ctx.clock.nowMs(),
    });
    this.#ctx.stats.commits += 1;
    this.#committedSeq += events.length;
    this.#unflushed = [];
    this.#consumedSignals = [];
    this.#consumedInBatch.clear();
  }

  async #park(update: RunUpdate): Promise<void> {
    await this.#flush(update);
    if (!this.#ctx.isClosing()) this.#ctx.cache.put(this.#replayer as Replayer);
    this.#ctx.onParked(update.dueAtMs);
  }

  async #finish(outcome: RunOutcome): Promise<void> {
    const limit = this.#ctx.maxPayloadBytes;
    let update: RunUpdate;
    if (outcome.status === "completed") {
      try {
        const result = encodeValue(outcome.result, "The workflow's return value", limit);
        this.#record({ type: "run_completed", result: outcome.result }, "The workflow's return value");
        update = { status: "completed", result, release: true };
      } catch (error) {
        if (!(error instanceof UnencodableValueError || error instanceof PayloadTooLargeError)) throw error;
        return this.#finish({ status: "failed", error });
      }
    } else if (outcome.status === "failed") {
      const error = toErrorInfo(outcome.error);
      this.#record({ type: "run_failed", error }, "The workflow's error");
      const errorText = encodeValue(error, "The workflow's error", Math.max(limit, ERROR_EVENT_LIMIT_BYTES));
      update = { status: "failed", error: errorText, release: true };
    } else {
      this.#record({ type: "run_cancelled", reason: outcome.reason }, "The cancellation reason");
      update = { status: "cancelled", reason: outcome.reason, release: true };
    }
    await this.#flush(update);
    this.#ctx.cache.delete(this.runId);
    this.#ctx.onFinished(this.runId, update);
  }

  /** Parks a run that cannot proceed with this code, recording nothing in its log. */
  async #block(error: NonDeterminismError | CorruptEventError): Promise<void> {
    const info = toErrorInfo(error);
    await this.#ctx.store.commit({
      runId: this.runId,
      owner: this.#ctx.owner,
      expectedLastSeq: this.#run.lastSeq,
      events: [],
      consumedSignals: [],
      update: {
        status: "blocked",
        reason: `${error.name}: ${error.message}`,
        error: encodeValue(info, "The blocking error", Math.max(this.#ctx.maxPayloadBytes, ERROR_EVENT_LIMIT_BYTES)),
        release: true,
      },
      nowMs: this.#ctx.clock.nowMs(),
    });
    this.#ctx.stats.commits += 1;
  }
}

/** The engine defaults resolved once per engine: most steps have no retry options of their own. */
const resolvedDefaults = new WeakMap<RetryPolicy, ResolvedRetryPolicy>();

/** The policy of one step attempt; resolving durations through luxon costs microseconds, so defaults are cached. */
function retryPolicyOf(defaults: RetryPolicy, override: Partial<RetryPolicy> | undefined): ResolvedRetryPolicy {
  if (override !== undefined) return resolveRetryPolicy(defaults, override);
  let resolved = resolvedDefaults.get(defaults);
  if (resolved === undefined) {
    resolved = resolveRetryPolicy(defaults);
    resolvedDefaults.set(defaults, resolved);
  }
  return resolved;
}

function freshValue(
  source: "now" | "random" | "uuid",
  nowMs: number,
  key: string,
  random: ((key: string) => number) | undefined,
): unknown {
  if (source === "now") return nowMs;
  if (source === "random") return random === undefined ? Math.random() : random(key);
  if (random === undefined) return randomUUID();
  const bytes = Array.from({ length: 16 }, (_, i) => Math.floor(random(`${key}/${i}`) * 256) & 0xff);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40; // version 4
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The run_started event of a new run. */
export function runStartedEvent(workflow: string, input: unknown, nowMs: number): HistoryEvent {
  return { type: "run_started", seq: 1, atMs: nowMs, workflow, input, formatVersion: EVENT_LOG_FORMAT_VERSION };
}
