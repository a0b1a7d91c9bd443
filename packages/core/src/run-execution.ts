// Executes one claimed run: rebuild (or reuse) its replayer, then answer commands live until it parks or ends.
// The only code that runs user step functions and appends events; every append goes through the replayer first.
//
// Concurrency inside a run: steps of parallel branches run at the same time, but everything else about a run
// happens in one loop (#drive), which is also the run's commit queue: completions of steps are queued as they
// arrive and recorded one at a time, so two branches never race on `expectedLastSeq`, and the log holds events in
// the order things actually finished. The loop obeys the replayer: the first event of a newly yielded command
// (`replayer.next`) always comes before any other event, which is what gives commands their identity in the
// order they were yielded.
import { decodeValue, encodeValue } from "./codec.js";
import { LARGE_HISTORY_EVENTS } from "./engine-hooks.js";
import type { ExecutionContext } from "./execution-context.js";
import { defaultChildId } from "./children.js";
import type { Command } from "./commands.js";
import {
  InvalidArgumentError,
  CorruptEventError,
  LeaseLostError,
  PayloadTooLargeError,
  RunIdConflictError,
  RunNotFoundError,
  UnencodableValueError,
} from "./errors.js";
import {
  decodeEvent,
  encodeEvent,
  EVENT_LOG_FORMAT_VERSION,
  toErrorInfo,
  type ErrorInfo,
  type EventRecord,
  type HistoryEvent,
  type NewEvent,
} from "./events.js";
import { type Replayer, type NextCommand, type OpenCommand, type OpenCommandOf, type RunOutcome } from "./replay.js";
import { blockedRecord, ERROR_EVENT_LIMIT_BYTES, replayLog, type BlockingError } from "./replay-log.js";
import { retryDelayMs, shouldRetry, type ResolvedRetryPolicy } from "./retry.js";
import {
  commandIdentity,
  freshValue,
  retryPolicyOf,
  startAttempt,
  type AttemptOutcome,
  type RunningAttempt,
} from "./step-attempt.js";
import { FINISHED_STATUSES, type NewRun, type RunCommit, type RunRecord, type RunUpdate } from "./store.js";
import { parkUpdate } from "./wake-set.js";
import { runPlacement } from "./queue-options.js";
import { checkTags } from "./tags.js";
import type { WorkflowDefinition } from "./workflow.js";

/**
 * One handler per command kind for its first event: adding a command kind fails to compile until handled here.
 * Handlers that need no I/O are synchronous: most first events (a timer, a recorded value) are decided at once.
 */
type FirstEventHandlers = {
  [K in Command["kind"]]: (
    execution: RunExecution,
    next: NextCommand & { readonly command: Extract<Command, { kind: K }> },
  ) => Promise<void> | undefined;
};
/** One handler per open command kind: records what is ready for it (returns true), or nothing. */
type OpenHandlers = {
  [K in OpenCommand["kind"]]: (execution: RunExecution, open: OpenCommandOf<K>, nowMs: number) => Promise<boolean>;
};

/** One claimed run, executed until it parks, finishes, blocks, or the engine lets go of it. */
export class RunExecution {
  readonly runId: string;
  readonly #ctx: ExecutionContext;
  readonly #run: RunRecord;
  #continuation: { readonly run: RunRecord; readonly history: readonly EventRecord[] } | undefined;
  /** What each step attempt's context is built from: the run's id and generation (commandIdentity). */
  readonly #attemptRun: { readonly runId: string; readonly generation: number };
  readonly #definition: WorkflowDefinition<never, unknown>;
  #replayer: Replayer | undefined;
  #cancel: { reason: string | undefined } | undefined;
  /** Step attempts in flight, by the step's seq; one abort controller each. */
  readonly #running = new Map<number, RunningAttempt>();
  /** Attempts that ended, in the order they ended, waiting to be recorded by the loop. */
  #ended: { running: RunningAttempt; outcome: AttemptOutcome; policy: ResolvedRetryPolicy }[] = [];
  /** Wakes the loop while it waits for running steps (an attempt ended, a cancellation, a signal sent here). */
  #wake: (() => void) | undefined;
  /** Signals and children's ends may have arrived since the inbox was last looked at. */
  #lookAtInbox = true;
  /** Set once this engine must stop writing for the run (lease lost or shutdown). */
  #abandoned = false;
  #committedSeq: number;
  #unflushed: EventRecord[] = [];
  #consumedSignals: { position: number; seq: number }[] = [];
  /** Last inbox position consumed per signal name in the unflushed batch. */
  #consumedInBatch = new Map<string, number>();
  #startChildren: NewRun[] = [];
  #cancelRuns: { runId: string; reason: string | undefined }[] = [];
  /** Tag changes recorded since the last commit (setTags), applied by the store in the same write as their events. */
  #tagChanges: Record<string, string | null> | undefined;
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
    this.#attemptRun = { runId: run.id, generation: run.generation };
    this.#history = history;
    this.runId = run.id;
    this.#definition = definition;
    this.#committedSeq = run.lastSeq;
    if (run.cancelRequested) this.#cancel = { reason: run.cancelReason };
  }

  /** Delivers a cancellation at the next `yield*` and aborts running steps. */
  requestCancel(reason: string | undefined): void {
    // Once delivered, the workflow is compensating: its later steps must not be aborted by repeats of the request.
    if (this.#replayer?.cancellationDelivered === true) return;
    this.#cancel ??= { reason };
    // Aborted attempts still report: the first to fail records the cancellation (as a sequential step does).
    for (const running of this.#running.values()) running.abort.abort(new Error(`Run '${this.runId}' was cancelled`));
    this.#nudge();
  }

  /** Something for this run arrived (a signal, a child's end): look at the inbox again. */
  notify(): void {
    this.#lookAtInbox = true;
    this.#nudge();
  }

  /** Stops writing for this run (shutdown past the grace period, or lease lost); aborts running steps. */
  abandon(reason: string): void {
    this.#abandoned = true;
    this.#abortAll(reason);
    this.#nudge();
  }

  async execute(): Promise<void> {
    const replayer = await this.#loadReplayer();
    if (replayer === undefined) return;
    this.#replayer = replayer;
    try {
      await this.#drive(replayer);
    } catch (error) {
      this.#abortAll(`Run '${this.runId}' stopped executing here`);
      this.#ctx.cache.delete(this.runId);
      if (error instanceof LeaseLostError) return;
      throw error;
    }
  }

  async #loadReplayer(): Promise<Replayer | undefined> {
    const cached = this.#ctx.cache.take(this.runId, this.#run.lastSeq);
    if (cached !== undefined) return cached;
    let records = this.#history;
    if (records === undefined) {
      records = await this.#ctx.store.readEvents(this.runId);
      this.#ctx.stats.replays += 1;
      this.#ctx.stats.eventsReplayed += records.length;
    }
    const replayed = replayLog(this.runId, this.#definition, records);
    if ("replayer" in replayed) return replayed.replayer;
    await this.#block(replayed.blocking);
    return undefined;
  }

  /** Answers the workflow's commands until it parks, finishes, or the engine stops. */
  async #drive(replayer: Replayer): Promise<void> {
    for (;;) {
      if (this.#abandoned) return;
      const state = replayer.state;
      if (state.type === "finished") {
        this.#abortAll(`Run '${this.runId}' finished; this step's result is not needed`);
        return this.#finish(state.outcome);
      }
      if (state.type === "not_started") throw new CorruptEventError(this.runId, 1, "the run has no run_started event");
      if (this.#ctx.isClosing() && this.#running.size === 0) {
        return this.#park({ status: "pending", release: true, wake: { atMs: this.#ctx.clock.nowMs() } });
      }
      // Attempts that already ended are recorded before a cancellation is delivered: a compensating `finally` then
      // sees what its branch did. (Nothing may come before the first event of a newly yielded command.)
      if (this.#ended.length > 0 && replayer.next === undefined && this.#recordEndedAttempt()) continue;
      if (this.#cancel !== undefined && !replayer.cancellationDelivered) {
        this.#record({ type: "cancellation_requested", reason: this.#cancel.reason }, "The cancellation reason");
        continue;
      }
      const next = replayer.next;
      if (next !== undefined) {
        const io = this.#first(next);
        if (io !== undefined) await io;
        continue;
      }
      if (await this.#pollOpen(replayer)) continue;
      if (await this.#launchDueSteps(replayer)) continue;
      if (this.#running.size > 0) {
        await this.#flush({ status: "running", release: false });
        await this.#waitForProgress(replayer);
        continue;
      }
      return this.#park(parkUpdate(replayer.open.values()));
    }
  }

  /** Records the first event of the command the replayer says comes next. */
  #first(next: NextCommand): Promise<void> | undefined {
    const handler = RunExecution.#firstEvent[next.command.kind] as (
      execution: RunExecution,
      next: NextCommand,
    ) => Promise<void> | undefined;
    return handler(this, next);
  }

  // Static: one table for every execution (a table per execution would cost a dozen closures per run).
  static readonly #firstEvent: FirstEventHandlers = {
    step: (execution, next) => {
      if (!next.inline) {
        execution.#record({ type: "step_started", name: next.command.name }, "The step");
        return undefined;
      }
      // A step of the workflow itself, with nothing else open: it runs before anything is recorded for it, and
      // its result is its first event (format 1's sequential steps).
      return execution.#attemptInline(next.seq, next.command);
    },
    sleep: (execution, next) => {
      const nowMs = execution.#ctx.clock.nowMs();
      const wakeAtMs = next.command.deadlineMs ?? nowMs + (next.command.durationMs ?? 0);
      execution.#record({ type: "timer_started", wakeAtMs }, "The timer", nowMs);
      return undefined;
    },
    signal: async (execution, next) => {
      const { name, timeoutMs } = next.command;
      if (await execution.#receiveSignal(name, next.seq)) return;
      const nowMs = execution.#ctx.clock.nowMs();
      const timeoutAtMs = timeoutMs === undefined ? undefined : nowMs + timeoutMs;
      execution.#record({ type: "signal_wait_started", name, timeoutAtMs }, "The signal wait", nowMs);
    },
    value: (execution, next) => {
      const { source } = next.command;
      const value = freshValue(
        source,
        execution.#ctx.clock.nowMs(),
        `${execution.runId}:${commandIdentity(execution.#run.generation, next.seq)}`,
        execution.#ctx.random,
      );
      execution.#record({ type: "value_recorded", source, value }, "The value");
      return undefined;
    },
    patch: (execution, next) => {
      // Reached live, not in replay: this code has the patch, so the run takes the patched path from here on.
      const { patchId, deprecated } = next.command;
      execution.#record({ type: "patch_recorded", patchId, ...(deprecated ? { deprecated } : {}) }, "The patch id");
      return undefined;
    },
    branches: (execution, next) => {
      const { combinator, branches, keys, concurrency } = next.command;
      const event: NewEvent = {
        type: "branches_started",
        combinator,
        count: branches.length,
        ...(keys === undefined ? {} : { keys }),
        ...(concurrency === undefined ? {} : { concurrency }),
      };
      execution.#record(event, "The branches");
      return undefined;
    },
    child: (execution, next) => execution.#startChild(next),
    childResult: async (execution, next) => {
      const { childId } = next.command;
      if (await execution.#recordChildEnd(childId, next.command.workflow, next.seq)) return;
      execution.#record({ type: "child_wait_started", childId }, "The child wait");
    },
    tags: (execution, next) => {
      const { changes } = next.command;
      execution.#record({ type: "tags_set", tags: changes }, "The tags");
      // The store applies the changes of a whole commit at once: later changes to a key win over earlier ones.
      execution.#tagChanges = { ...execution.#tagChanges, ...changes };
      return undefined;
    },
    continueAsNew: () => {
      // The replayer ends the generation when the workflow yields continueAsNew (its state is then finished), so
      // it never waits for a first event.
      throw new Error("continueAsNew() is never a command awaiting its first event");
    },
  };

  static readonly #whenOpen: OpenHandlers = {
    // Steps move on through #launchDueSteps and #recordEndedAttempt.
    step: async () => false,
    sleep: async (execution, open, nowMs) => {
      if (nowMs < open.wakeAtMs) return false;
      execution.#record({ type: "timer_fired", commandSeq: open.seq }, "The timer");
      return true;
    },
    signal: async (execution, open, nowMs) => {
      if (execution.#lookAtInbox && (await execution.#receiveSignal(open.command.name, open.seq))) return true;
      if (open.timeoutAtMs === undefined || nowMs < open.timeoutAtMs) return false;
      execution.#record(
        { type: "signal_timed_out", name: open.command.name, commandSeq: open.seq },
        "The signal timeout",
      );
      return true;
    },
    child: async (execution, open) =>
      execution.#lookAtInbox && execution.#recordChildEnd(open.childId, open.command.workflow.name, open.seq),
    childResult: async (execution, open) =>
      execution.#lookAtInbox && execution.#recordChildEnd(open.childId, open.command.workflow, open.seq),
  };

  /** Records what is ready for one open command (oldest first); false when nothing is, after which the inbox is known to be empty. */
  async #pollOpen(replayer: Replayer): Promise<boolean> {
    // A wide fan-out of steps has nothing to poll: skip the walk over its open set.
    if (replayer.open.size === replayer.openSteps) return false;
    const nowMs = this.#ctx.clock.nowMs();
    for (const open of [...replayer.open.values()]) {
      const handler = RunExecution.#whenOpen[open.kind] as (
        execution: RunExecution,
        open: OpenCommand,
        nowMs: number,
      ) => Promise<boolean>;
      if (await handler(this, open, nowMs)) return true;
    }
    this.#lookAtInbox = false;
    return false;
  }

  /** Consumes the oldest signal `name` not consumed yet (in the store or this batch), answering command `seq`. */
  async #receiveSignal(name: string, seq: number): Promise<boolean> {
    const signal = await this.#ctx.store.nextSignal(this.runId, name, this.#consumedInBatch.get(name) ?? 0);
    if (signal === undefined) return false;
    const payload = decodeValue(signal.payload);
    this.#record(
      { type: "signal_received", name, signalId: signal.signalId, payload, ...this.#answering(seq) },
      `The payload of signal '${name}'`,
    );
    this.#consumedSignals.push({ position: signal.position, seq: (this.#replayer as Replayer).lastSeq });
    this.#consumedInBatch.set(name, signal.position);
    return true;
  }

  /**
   * Starts a child run: created in the same write as `child_started`, with an id stable across replays (the
   * command's seq). An id another workflow holds, or an input that cannot be stored, is `child_start_failed`:
   * the parent gets the typed error at its `yield*`, nothing is created.
   */
  async #startChild(next: NextCommand & { readonly command: Extract<Command, { kind: "child" }> }): Promise<void> {
    const { workflow, input, options } = next.command;
    const childId = options.id ?? defaultChildId(this.runId, commandIdentity(this.#run.generation, next.seq));
    const name = workflow.name;
    const failed = (error: unknown): void =>
      this.#record(
        { type: "child_start_failed", childId, workflow: name, error: toErrorInfo(error) },
        "The child error",
      );
    const queued = this.#startChildren.find((run) => run.id === childId);
    const existing = queued ?? (await this.#ctx.store.getRun(childId));
    if (existing !== undefined && existing.workflow !== name) {
      return failed(new RunIdConflictError(childId, existing.workflow, name));
    }
    let run: NewRun | undefined;
    if (existing === undefined) {
      const nowMs = this.#ctx.clock.nowMs();
      const limit = this.#ctx.maxPayloadBytes;
      try {
        const what = `The input of child '${childId}'`;
        const version = options.version ?? this.#ctx.latestVersion(name) ?? workflow.version;
        const tags = checkTags(options.tags, "startChild()");
        run = {
          id: childId,
          workflow: name,
          version,
          input: encodeValue(input, what, limit),
          startedEvent: encodeEvent(
            runStartedEvent({ workflow: name, version, generation: 1, tags }, input, nowMs),
            what,
            limit,
          ),
          nowMs,
          parent: { runId: this.runId, onParentCancel: options.onParentCancel ?? "cancel" },
          ...runPlacement({ queue: options.queue, key: options.key, priority: options.priority }, nowMs, "child()"),
          ...(tags === undefined ? {} : { tags }),
        };
      } catch (error) {
        if (
          error instanceof UnencodableValueError ||
          error instanceof PayloadTooLargeError ||
          error instanceof InvalidArgumentError
        )
          return failed(error);
        throw error;
      }
    }
    const detached = next.command.wait ? {} : { detached: true };
    this.#record({ type: "child_started", childId, workflow: name, ...detached }, "The child");
    if (run !== undefined) this.#startChildren.push(run);
  }

  /** Records the end of child `childId` answering command `seq`, if it has ended; false while it runs. */
  async #recordChildEnd(childId: string, workflow: string, seq: number): Promise<boolean> {
    if (this.#startChildren.some((run) => run.id === childId)) return false; // created by the unflushed batch
    const outcome = await this.#ctx.store.getRunOutcome(childId);
    const what = `The result of child '${childId}'`;
    if (outcome === undefined) {
      // Its record is gone (removed by hand or by retention): say so rather than wait for ever.
      const error = toErrorInfo(new RunNotFoundError(childId));
      this.#record({ type: "child_failed", childId, workflow, error, ...this.#answering(seq) }, what);
      return true;
    }
    if (!FINISHED_STATUSES.has(outcome.status)) return false;
    if (outcome.status === "completed") {
      const result = outcome.result === undefined ? undefined : decodeValue(outcome.result);
      this.#record({ type: "child_completed", childId, workflow, result, ...this.#answering(seq) }, what);
    } else if (outcome.status === "failed") {
      const error = (
        outcome.error === undefined
          ? toErrorInfo(new Error("The child failed without a recorded error"))
          : decodeValue(outcome.error)
      ) as ErrorInfo;
      this.#record({ type: "child_failed", childId, workflow, error, ...this.#answering(seq) }, what);
    } else {
      this.#record(
        { type: "child_cancelled", childId, workflow, reason: outcome.reason, ...this.#answering(seq) },
        what,
      );
    }
    return true;
  }

  /** Runs the first attempt of a sequential step and records its outcome as the step's first event. */
  async #attemptInline(seq: number, command: Extract<Command, { kind: "step" }>): Promise<void> {
    // Everything decided so far is made durable first, since the side effect may observe it.
    await this.#flush({ status: "running", release: false });
    const policy = this.#policyOrRecordFailure(command, 1, seq);
    if (policy === undefined) return;
    this.#ctx.stats.stepAttempts += 1;
    const running = startAttempt(this.#attemptRun, seq, 1, command);
    this.#running.set(seq, running);
    const outcome = await running.done;
    this.#running.delete(seq);
    if (this.#abandoned) return;
    this.#recordOutcome(command, running, outcome, policy);
  }

  /** Starts attempts of open steps that are due (first attempts, retries whose time came), after a flush. */
  async #launchDueSteps(replayer: Replayer): Promise<boolean> {
    // Every open step already runs (the usual case while a group's steps are in flight): nothing to launch.
    if (this.#ctx.isClosing() || replayer.openSteps === this.#running.size) return false;
    const nowMs = this.#ctx.clock.nowMs();
    const due = [...replayer.open.values()].filter(
      (open): open is OpenCommandOf<"step"> =>
        open.kind === "step" &&
        !this.#running.has(open.seq) &&
        (open.retryAtMs === undefined || open.retryAtMs <= nowMs),
    );
    if (due.length === 0) return false;
    // Everything decided so far must be durable before a side effect can observe it.
    await this.#flush({ status: "running", release: false });
    for (const open of due) {
      const policy = this.#policyOrRecordFailure(open.command, open.attempt, open.seq);
      // A bad retry option was recorded as the step's failure: the loop looks again before launching more.
      if (policy === undefined) return true;
      this.#ctx.stats.stepAttempts += 1;
      const running = startAttempt(this.#attemptRun, open.seq, open.attempt, open.command);
      this.#running.set(open.seq, running);
      void running.done.then((outcome) => {
        if (this.#running.get(running.seq) !== running) return; // withdrawn or abandoned: the result is not used
        this.#ended.push({ running, outcome, policy });
        this.#nudge();
      });
    }
    return true;
  }

  /** The step's retry policy; an invalid one is recorded as the step's final failure (and undefined returned). */
  #policyOrRecordFailure(
    command: Extract<Command, { kind: "step" }>,
    attempt: number,
    seq: number,
  ): ResolvedRetryPolicy | undefined {
    try {
      return retryPolicyOf(this.#ctx.retryDefaults, command.options.retry);
    } catch (error) {
      const failed: NewEvent = {
        type: "step_failed",
        name: command.name,
        attempt,
        error: toErrorInfo(error),
        ...this.#answering(seq),
      };
      this.#record(failed, "The step error");
      return undefined;
    }
  }

  /** Records the oldest ended attempt of a parallel step; returns false when there is none. */
  #recordEndedAttempt(): boolean {
    const ended = this.#ended.shift();
    if (ended === undefined) return false;
    const { running, outcome, policy } = ended;
    this.#running.delete(running.seq);
    const open = (this.#replayer as Replayer).open.get(running.seq);
    if (open?.kind !== "step" || open.attempt !== running.attempt) return true; // withdrawn meanwhile
    this.#recordOutcome(open.command, running, outcome, policy);
    return true;
  }

  #recordOutcome(
    command: Extract<Command, { kind: "step" }>,
    running: RunningAttempt,
    outcome: AttemptOutcome,
    policy: ResolvedRetryPolicy,
  ): void {
    const { attempt } = running;
    const answering = this.#answering(running.seq);
    const { name } = command;
    if (outcome.ok) {
      try {
        this.#record(
          { type: "step_completed", name, attempt, result: outcome.value, ...answering },
          `The result of step '${name}'`,
        );
      } catch (error) {
        if (!(error instanceof UnencodableValueError || error instanceof PayloadTooLargeError)) throw error;
        // A result that cannot be stored fails the step for good: retrying would produce the same value.
        this.#record({ type: "step_failed", name, attempt, error: toErrorInfo(error), ...answering }, "The step error");
      }
      return;
    }
    if (this.#cancel !== undefined && !(this.#replayer as Replayer).cancellationDelivered) {
      // The step failed because (or while) the run was cancelled: deliver the cancellation instead of retrying.
      this.#record({ type: "cancellation_requested", reason: this.#cancel.reason }, "The cancellation reason");
      return;
    }
    const nowMs = this.#ctx.clock.nowMs();
    const retryAtMs = shouldRetry(policy, outcome.error, attempt) ? nowMs + retryDelayMs(policy, attempt) : undefined;
    const error = toErrorInfo(outcome.error);
    this.#record({ type: "step_failed", name, attempt, error, retryAtMs, ...answering }, "The step error", nowMs);
  }

  /**
   * Waits until an attempt ends, the run is cancelled or notified, the earliest deadline of an open command
   * passes, or (while signals or children are awaited) the poll interval elapses.
   */
  async #waitForProgress(replayer: Replayer): Promise<void> {
    if (this.#ended.length > 0 || this.#abandoned) return;
    const { wake } = parkUpdate([...replayer.open.values()].filter((open) => !this.#running.has(open.seq)));
    const nowMs = this.#ctx.clock.nowMs();
    const awaits = wake?.signals !== undefined || wake?.children !== undefined;
    let delayMs = wake?.atMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, wake.atMs - nowMs);
    if (awaits) delayMs = Math.min(delayMs, this.#ctx.pollIntervalMs);
    await new Promise<void>((resolve) => {
      const timer = Number.isFinite(delayMs) ? this.#ctx.clock.setTimer(delayMs, () => this.notify()) : undefined;
      this.#wake = () => {
        this.#wake = undefined;
        timer?.cancel();
        resolve();
      };
    });
  }

  #nudge(): void {
    this.#wake?.();
  }

  /** Aborts every attempt in flight and forgets them. The Error (and its stack) is only made when one runs. */
  #abortAll(reason: string): void {
    if (this.#running.size > 0) {
      const error = new Error(reason);
      for (const running of this.#running.values()) running.abort.abort(error);
      this.#running.clear();
    }
    if (this.#ended.length > 0) this.#ended = [];
  }

  /**
   * The `commandSeq` of an event answering command `seq`. Left out when the event is that command's own first
   * event (a sequential step's result, a signal already in the inbox): it would only repeat the event's seq, and
   * sequential histories stay as small as in format 1.
   */
  #answering(seq: number): { commandSeq?: number } {
    return seq === (this.#replayer as Replayer).lastSeq + 1 ? {} : { commandSeq: seq };
  }

  /** Encodes an event, feeds the decoded copy to the replayer (so live == replay), and buffers it. */
  #record(event: NewEvent, what: string, atMs = this.#ctx.clock.nowMs()): void {
    const replayer = this.#replayer as Replayer;
    // While a command waits for its first event nothing else but a cancellation is recorded (see replay.ts), so
    // this is its first event: inside branches it carries the command's branch path.
    const path = event.type === "cancellation_requested" ? undefined : replayer.next?.path;
    const seq = replayer.lastSeq + 1;
    const full = (path ? { ...event, path, seq, atMs } : { ...event, seq, atMs }) as HistoryEvent;
    // Errors are already truncated (toErrorInfo), and a stored signal or child result was size-checked when it
    // was stored: each must always be recordable, whatever this engine's payload limit.
    const limit =
      full.type === "signal_received" || full.type === "child_completed"
        ? Number.MAX_SAFE_INTEGER
        : "error" in full
          ? Math.max(this.#ctx.maxPayloadBytes, ERROR_EVENT_LIMIT_BYTES)
          : this.#ctx.maxPayloadBytes;
    const record = encodeEvent(full, what, limit);
    replayer.apply(decodeEvent(this.runId, record));
    this.#unflushed.push(record);
    this.#undoWithdrawn(replayer);
  }

  /**
   * Undoes the effects of commands the event withdrew: a losing step's attempt is aborted (its result will not be
   * used), a losing child run is cancelled in the same write. Timers and signal waits need nothing: they were
   * only ever data. Children of a cancelled run are cancelled by the store (requestCancel cascades).
   */
  #undoWithdrawn(replayer: Replayer): void {
    for (const { open, cause } of replayer.takeWithdrawn()) {
      if (open.kind === "step") {
        this.#running.get(open.seq)?.abort.abort(new Error(`The step's branch (${open.path}) was cancelled`));
        this.#running.delete(open.seq);
      } else if (open.kind === "child" && cause === "branch") {
        this.#cancelRuns.push({
          runId: open.childId,
          reason: `its branch (${open.path}) of run '${this.runId}' was cancelled`,
        });
      }
    }
  }

  async #flush(update: RunUpdate, continueAsNew?: RunCommit["continueAsNew"]): Promise<void> {
    if (this.#unflushed.length === 0 && !update.release) return;
    if (this.#abandoned) throw new LeaseLostError(this.runId, this.#ctx.owner);
    const events = this.#unflushed;
    const consumedSignals = this.#consumedSignals;
    const commit: RunCommit = {
      runId: this.runId,
      owner: this.#ctx.owner,
      expectedLastSeq: this.#committedSeq,
      events,
      consumedSignals,
      update,
      nowMs: this.#ctx.clock.nowMs(),
    };
    if (continueAsNew !== undefined) Object.assign(commit, { continueAsNew });
    const tagChanges = this.#tagChanges;
    if (tagChanges !== undefined) {
      Object.assign(commit, { tags: tagChanges });
      this.#tagChanges = undefined;
    }
    // Children to create and runs to cancel are rare: the common commit carries neither, and allocates nothing new.
    const changesRuns = this.#startChildren.length > 0 || this.#cancelRuns.length > 0;
    if (changesRuns) {
      Object.assign(commit, { startChildren: this.#startChildren, cancelRuns: this.#cancelRuns });
      this.#startChildren = [];
      this.#cancelRuns = [];
    }
    await this.#ctx.store.commit(commit);
    this.#ctx.stats.commits += 1;
    const before = this.#committedSeq;
    this.#committedSeq += events.length;
    if (Math.floor(before / LARGE_HISTORY_EVENTS) < Math.floor(this.#committedSeq / LARGE_HISTORY_EVENTS)) {
      const { id: runId, workflow } = this.#run;
      this.#ctx.emit("historyLarge", { runId, workflow, events: this.#committedSeq });
    }
    this.#unflushed = [];
    if (consumedSignals.length > 0) {
      this.#consumedSignals = [];
      this.#consumedInBatch.clear();
    }
    if (changesRuns) this.#ctx.onRunsChanged();
  }

  async #park(update: RunUpdate): Promise<void> {
    await this.#flush(update);
    if (!this.#ctx.isClosing()) this.#ctx.cache.put(this.#replayer as Replayer);
    this.#ctx.onParked(update.wake?.atMs);
  }

  async #finish(outcome: RunOutcome): Promise<void> {
    if (outcome.status === "continued") return this.#continueAsNew(outcome.input);
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
    this.#ctx.onFinished(this.#run, update);
    const { id: runId, workflow } = this.#run;
    if (outcome.status === "completed") this.#ctx.emit("runCompleted", { runId, workflow, result: outcome.result });
    else if (outcome.status === "failed") this.#ctx.emit("runFailed", { runId, workflow, error: outcome.error });
    else this.#ctx.emit("runCancelled", { runId, workflow, reason: outcome.reason });
  }

  /**
   * Ends this generation with `run_continued` and, in the same write, starts the next one: a fresh log whose
   * `run_started` carries `input`. The lease is kept: the engine starts the next generation here as soon as this
   * execution returns (`continuation`), from that one event, with nothing of this generation left to replay. An
   * input the codec refuses fails the run instead, as an unstorable return value does.
   */
  async #continueAsNew(input: unknown): Promise<void> {
    const { workflow, version, generation } = this.#run;
    const nowMs = this.#ctx.clock.nowMs();
    const what = "The input continueAsNew() passes on";
    const limit = this.#ctx.maxPayloadBytes;
    let next: NonNullable<RunCommit["continueAsNew"]>;
    try {
      // The next generation starts with the run's tags as they are, so that its replay knows them too.
      const tags = (this.#replayer as Replayer).tags;
      const started = runStartedEvent({ workflow, version, generation: generation + 1, tags }, input, nowMs);
      next = { input: encodeValue(input, what, limit), startedEvent: encodeEvent(started, what, limit) };
    } catch (error) {
      if (!(error instanceof UnencodableValueError || error instanceof PayloadTooLargeError)) throw error;
      return this.#finish({ status: "failed", error });
    }
    this.#record({ type: "run_continued", input }, what, nowMs);
    await this.#flush({ status: "running", release: false }, next);
    this.#ctx.cache.delete(this.runId);
    const tags = (this.#replayer as Replayer).tags;
    const run: RunRecord = {
      ...this.#run,
      tags: Object.keys(tags).length === 0 ? undefined : tags,
      generation: generation + 1,
      input: next.input,
      status: "running",
      waitingFor: undefined,
      wakeAtMs: undefined,
      wake: undefined,
      lastSeq: 1,
      updatedAtMs: nowMs,
    };
    this.#continuation = { run, history: [next.startedEvent] };
    this.#ctx.emit("runContinued", { runId: this.runId, workflow, generation: generation + 1 });
  }

  /** Set once this execution continued the run as new: the record and log its next generation starts from. */
  get continuation(): { readonly run: RunRecord; readonly history: readonly EventRecord[] } | undefined {
    return this.#continuation;
  }

  /** Parks a run that cannot proceed with this code, recording nothing in its log. */
  async #block(blocking: BlockingError): Promise<void> {
    const { reason, error } = blockedRecord(blocking, this.#ctx.maxPayloadBytes);
    await this.#ctx.store.commit({
      runId: this.runId,
      owner: this.#ctx.owner,
      expectedLastSeq: this.#run.lastSeq,
      events: [],
      consumedSignals: [],
      update: { status: "blocked", reason, error, release: true },
      nowMs: this.#ctx.clock.nowMs(),
    });
    this.#ctx.stats.commits += 1;
    const { id: runId, workflow } = this.#run;
    this.#ctx.emit("runBlocked", { runId, workflow, reason, error: blocking });
  }
}

/** The run_started event of a new run. */
export function runStartedEvent(
  run: {
    readonly workflow: string;
    readonly version: number;
    readonly generation: number;
    readonly tags?: Readonly<Record<string, string>> | undefined;
  },
  input: unknown,
  nowMs: number,
): HistoryEvent {
  const { workflow, version, generation, tags } = run;
  return {
    type: "run_started",
    seq: 1,
    atMs: nowMs,
    workflow,
    input,
    formatVersion: EVENT_LOG_FORMAT_VERSION,
    ...(version === 1 ? {} : { version }),
    ...(generation === 1 ? {} : { generation }),
    ...(tags === undefined || Object.keys(tags).length === 0 ? {} : { tags }),
  };
}
