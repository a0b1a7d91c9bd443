// Pure replay: feeds a run's events into its generators and says what the workflow waits for next.
// Never touches a store, a clock or I/O; live execution feeds new events through the same `apply`.
//
// How parallel branches replay deterministically. A run is a tree of fibers: the workflow's generator (the root)
// and one per branch of each `all`/`allSettled`/`race` group. Each fiber waits for exactly one command. A command
// a fiber yields joins the `next` queue; the next event must be its first event (which gives it its seq, its
// identity: the seq a step sees and its idempotency key), so commands get identities in the order they were
// yielded, never in the order they finish. Once a command has its first event it is open, and later events name
// it by `commandSeq`. Applying an event resumes only the fiber it answers, which runs until it yields again; a
// group starts its branches in argument order when its `branches_started` event is applied. Live execution
// records events in the order things actually finished, and replay resumes fibers in that same order, so any
// completion order replays to the same state. Sequential code (one fiber) keeps format 1's seqs exactly.
import { DateTime } from "luxon";
import type { BranchesCommand } from "./branches.js";
import { ChildHandle, type ChildCommand, type ChildResultCommand } from "./children.js";
import { isCommand } from "./command-base.js";
import { describeAt, describeEvent, describeValue } from "./describe-commands.js";
import type { AwaitSignalCommand, Command, SleepCommand, StepCommand } from "./commands.js";
import {
  CancelledError,
  ChildCancelledError,
  ChildFailedError,
  CorruptEventError,
  InvalidArgumentError,
  NonDeterminismError,
  StepFailedError,
} from "./errors.js";
import { fromErrorInfo, type HistoryEvent } from "./events.js";
import { MAX_TAGS, mergeTags } from "./tags.js";
import type { WorkflowDefinition } from "./workflow.js";

/** What every open command has: its identity (`seq`) and its branch path ("" for the workflow itself). */
interface OpenBase {
  readonly seq: number;
  readonly path: string;
}

/**
 * A command that has its first event and waits for an answer, as history recorded it so far. Entries are
 * immutable: an event that changes one (a retry) replaces it.
 */
export type OpenCommand =
  | (OpenBase & {
      readonly kind: "step";
      readonly command: StepCommand;
      /** The attempt to run next. */
      readonly attempt: number;
      readonly retryAtMs?: number | undefined;
    })
  | (OpenBase & { readonly kind: "sleep"; readonly command: SleepCommand; readonly wakeAtMs: number })
  | (OpenBase & {
      readonly kind: "signal";
      readonly command: AwaitSignalCommand;
      readonly timeoutAtMs?: number | undefined;
    })
  | (OpenBase & { readonly kind: "child"; readonly command: ChildCommand; readonly childId: string })
  | (OpenBase & { readonly kind: "childResult"; readonly command: ChildResultCommand; readonly childId: string });

/** The command whose first event comes next: yielded, not yet given its seq. */
export interface NextCommand {
  readonly command: Command;
  /** Branch path of the fiber that yielded it ("" for the workflow itself). */
  readonly path: string;
  /** The seq it gets: that of its first event. */
  readonly seq: number;
  /**
   * Whether it was yielded by the workflow itself with nothing else open: a step then runs before anything is
   * recorded for it and its first event is its result (format 1's sequential steps); inside a group a step
   * first records `step_started`, because other branches record events while it runs.
   */
  readonly inline: boolean;
}

/** An open command given up without an answer: a branch lost (`branch`) or the run was cancelled (`run`). */
export interface WithdrawnCommand {
  readonly open: OpenCommand;
  readonly cause: "branch" | "run";
}

/** How a workflow's generator ended. */
export type RunOutcome =
  | { readonly status: "completed"; readonly result: unknown }
  | { readonly status: "failed"; readonly error: unknown }
  | { readonly status: "cancelled"; readonly reason: string | undefined }
  /** This generation ended with `continueAsNew(input)`: the run goes on in a new generation with `input`. */
  | { readonly status: "continued"; readonly input: unknown };

/** Where replay stands: before `run_started`, waiting for commands (`next`, `open`), or finished. */
export type ReplayState =
  | { readonly type: "not_started" }
  | { readonly type: "waiting" }
  | { readonly type: "finished"; readonly outcome: RunOutcome };

/** What takeWithdrawn answers almost always: shared, so that the engine's per-event call allocates nothing. */
const NOTHING_WITHDRAWN: readonly WithdrawnCommand[] = Object.freeze([]);

/** Names of the codec's errors: a return value refused with one of them ends the run `failed`. */
const UNSTORABLE_RESULT: ReadonlySet<string> = new Set(["UnencodableValueError", "PayloadTooLargeError"]);

type Settlement = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };
type Resumption = { readonly next: unknown } | { readonly throw: unknown };

/** A generator being driven: the workflow itself, or one branch of a group. */
interface Fiber {
  readonly path: string;
  generator: Generator<unknown, unknown, unknown> | undefined;
  /** The group this fiber is a branch of, and its index there; undefined for the workflow itself. */
  readonly group: Group | undefined;
  readonly index: number;
  /** What it waits for: a queued command (no seq yet), an open command, or a group of branches. */
  waitingOn: Queued | { type: "open"; seq: number } | { type: "group"; group: Group } | undefined;
  /** Set once a cancellation was delivered (or is being delivered) to it: it is compensating from then on. */
  cancelled: CancelledError | undefined;
  settled: boolean;
}

/** A yielded command waiting for its first event: an entry of the replayer's queue and its fiber's `waitingOn`. */
interface Queued {
  readonly type: "queued";
  readonly command: Command;
  readonly fiber: Fiber;
}

/** A running `all`/`allSettled`/`race`. */
interface Group {
  readonly command: BranchesCommand;
  readonly owner: Fiber;
  readonly fibers: Fiber[];
  readonly results: (Settlement | undefined)[];
  running: number;
  settledCount: number;
  /** What the group resolves to once its running branches have settled. */
  decision: Settlement | undefined;
  /** Its branches are being cancelled (its owner was cancelled): it resolves by throwing into the owner. */
  cancelling: boolean;
  starting: boolean;
  completed: boolean;
}

/**
 * Drives one run's generators from its events. Apply every event in order (replayed or freshly recorded);
 * `state`, `next` and `open` then tell what the workflow needs. `apply` throws NonDeterminismError when the code
 * and the history disagree, after which the replayer must be discarded.
 *
 * This is an internal, unstable API (exported from `@reprise/core/internal`).
 *
 * @example
 * const replayer = new Replayer("run-1", greet);
 * for (const event of history) replayer.apply(event);
 * console.log(replayer.state, replayer.next, [...replayer.open.values()]);
 */
export class Replayer {
  readonly runId: string;
  readonly #definition: WorkflowDefinition<unknown, unknown>;
  #root: Fiber | undefined;
  #state: ReplayState = { type: "not_started" };
  #lastSeq = 0;
  #cancelReason: { reason: string | undefined } | undefined;
  /** Commands yielded and waiting for their first event, in the order they were yielded. */
  readonly #queue: Queued[] = [];
  readonly #open = new Map<number, OpenCommand>();
  /** How many open commands are steps: the rest wait for time, signals or children. */
  #openSteps = 0;
  readonly #fiberOf = new Map<number, Fiber>();
  #withdrawn: WithdrawnCommand[] = [];
  #next: { readonly head: Queued; readonly next: NextCommand } | undefined;
  /** Patch ids answered so far in this run, with their answer. */
  readonly #patches = new Map<string, boolean>();
  /** The run's tags as its history has them so far: run_started's, changed by each tags_set. */
  #tags: Record<string, string> = {};

  constructor(runId: string, definition: WorkflowDefinition<never, unknown>) {
    this.runId = runId;
    this.#definition = definition as WorkflowDefinition<unknown, unknown>;
  }

  get state(): ReplayState {
    return this.#state;
  }

  /** Seq of the last event applied (0 before any). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Whether a cancellation has been delivered to the workflow. */
  get cancellationDelivered(): boolean {
    return this.#cancelReason !== undefined;
  }

  /** The command whose first event must come next, if any; nothing else can be recorded before it. */
  get next(): NextCommand | undefined {
    const head = this.#queue[0];
    if (head === undefined) return undefined;
    // Asked several times per recorded event by the engine: the answer is kept until the head or the seq changes.
    const cached = this.#next;
    if (cached?.head === head && cached.next.seq === this.#lastSeq + 1) return cached.next;
    const inline = head.fiber === this.#root && head.command.kind === "step";
    const next = { command: head.command, path: head.fiber.path, seq: this.#lastSeq + 1, inline };
    this.#next = { head, next };
    return next;
  }

  /** Open commands by seq, oldest first. */
  get open(): ReadonlyMap<number, OpenCommand> {
    return this.#open;
  }

  /** The patches answered so far in this run: `true` on the patched path, `false` on the path from before it. */
  get patches(): ReadonlyMap<string, boolean> {
    return this.#patches;
  }

  /** The run's tags as of the last event applied: those it started with, changed by every `setTags()` since. */
  get tags(): Readonly<Record<string, string>> {
    return this.#tags;
  }

  /** How many of the open commands are steps (the others wait for a time, a signal or a child). */
  get openSteps(): number {
    return this.#openSteps;
  }

  /** Open commands given up since the last call (losing branches, a cancelled run): the engine undoes their effects. */
  takeWithdrawn(): readonly WithdrawnCommand[] {
    const withdrawn = this.#withdrawn;
    if (withdrawn.length === 0) return NOTHING_WITHDRAWN;
    this.#withdrawn = [];
    return withdrawn;
  }

  /** Applies the next event of the log. */
  apply(event: HistoryEvent): void {
    if (event.seq !== this.#lastSeq + 1) {
      throw new CorruptEventError(this.runId, event.seq, `expected seq ${this.#lastSeq + 1}; the log has a gap`);
    }
    this.#lastSeq = event.seq;
    this.#dispatch(event);
  }

  /** Gives the event to what waits for it. A patch answered "not here" hands the same event on (see #applyPatch). */
  #dispatch(event: HistoryEvent): void {
    const state = this.#state;
    if (state.type === "not_started") return this.#start(event);
    if (state.type === "finished") return this.#checkTerminal(event, state.outcome);
    if (event.type === "cancellation_requested") {
      this.#cancelReason = { reason: event.reason };
      return this.#cancel(this.#root as Fiber, new CancelledError(event.reason), "run");
    }
    // A blocked run ended by force: the code never ran this far, so the end is taken from the log as it is.
    if (event.type === "run_cancelled" && event.forced === true) {
      this.#state = { type: "finished", outcome: { status: "cancelled", reason: event.reason } };
      this.#root = undefined;
      return;
    }
    const head = this.#queue[0];
    // A deprecated patch's marker whose call was removed from the code: the patch's old path is gone, skip it.
    if (event.type === "patch_recorded" && event.deprecated === true) {
      if (head?.command.kind !== "patch" || head.command.patchId !== event.patchId) return;
    }
    if (head !== undefined) return this.#applyFirst(head, event);
    this.#applyAnswer(event);
  }

  /**
   * `patched(id)` / `deprecatePatch(id)` at the head of the queue. History holds its marker here: the patch
   * applies (true). It holds anything else: the run was recorded before the patch existed at this point, so the
   * answer is false, and the event belongs to the workflow's next command: it is dispatched again. Either way
   * the answer is kept for the rest of the run.
   */
  #applyPatch(head: Queued & { readonly command: Extract<Command, { kind: "patch" }> }, event: HistoryEvent): void {
    const { command, fiber } = head;
    const applies = event.type === "patch_recorded" && event.patchId === command.patchId;
    if (applies && (event.path ?? "") !== fiber.path) throw this.#divergence(event, describeAt(fiber.path, command));
    this.#queue.shift();
    this.#patches.set(command.patchId, applies);
    this.#resume(fiber, { next: command.deprecated ? undefined : applies });
    if (!applies) this.#dispatch(event);
  }

  #start(event: HistoryEvent): void {
    if (event.type !== "run_started") {
      throw new CorruptEventError(
        this.runId,
        event.seq,
        `the log starts with '${event.type}' instead of 'run_started'`,
      );
    }
    if (event.workflow !== this.#definition.name) {
      throw new CorruptEventError(
        this.runId,
        event.seq,
        `the run belongs to workflow '${event.workflow}' but is replayed with '${this.#definition.name}'`,
      );
    }
    if (event.tags !== undefined) this.#tags = { ...event.tags };
    const root = newFiber("", undefined, 0);
    this.#root = root;
    this.#state = { type: "waiting" };
    let generator: Generator<unknown, unknown, unknown>;
    try {
      generator = this.#definition.fn(event.input) as Generator<unknown, unknown, unknown>;
    } catch (error) {
      return this.#settle(root, { ok: false, error });
    }
    root.generator = generator;
    this.#resume(root, { next: undefined });
  }

  #checkTerminal(event: HistoryEvent, outcome: RunOutcome): void {
    if (event.type === `run_${outcome.status}`) return;
    if (event.type === "run_cancelled" && event.forced === true) {
      this.#state = { type: "finished", outcome: { status: "cancelled", reason: event.reason } };
      return;
    }
    // A workflow that returned a value the codec refuses ends failed, not completed: RunExecution records
    // run_failed with the codec's error. Replay of that log returns the same value, so the two agree.
    // The same holds for the input continueAsNew() passes on.
    const unstorable = outcome.status === "completed" || outcome.status === "continued";
    if (unstorable && event.type === "run_failed" && UNSTORABLE_RESULT.has(event.error.name)) {
      this.#state = { type: "finished", outcome: { status: "failed", error: fromErrorInfo(event.error) } };
      return;
    }
    throw this.#divergence(event, `the end of the workflow (run ${outcome.status})`);
  }

  /** The first event of the queued command `head`: it gives the command its seq, and may answer it at once. */
  #applyFirst(head: Queued, event: HistoryEvent): void {
    if (head.command.kind === "patch") {
      return this.#applyPatch(head as Queued & { readonly command: Extract<Command, { kind: "patch" }> }, event);
    }
    const { command, fiber } = head;
    const seq = event.seq;
    const path = fiber.path;
    const answersItself = !("commandSeq" in event) || event.commandSeq === undefined || event.commandSeq === seq;
    // The same command at another branch (branches reordered, say) is a divergence even if it looks alike.
    if ((event.path ?? "") !== path) {
      const where = event.path === undefined ? " outside any branch" : "";
      throw new NonDeterminismError({
        runId: this.runId,
        seq,
        expected: `${describeEvent(event)}${where}`,
        actual: describeAt(path, command),
      });
    }
    // No closures here: this runs once per replayed event of sequential code, the hot path of every recovery.
    switch (command.kind) {
      case "step":
        if (event.type === "step_started" && event.name === command.name) {
          return this.#openFirst(fiber, { kind: "step", seq, path, command, attempt: 1 });
        }
        if ((event.type === "step_completed" || event.type === "step_failed") && answersItself) {
          if (event.name !== command.name) break;
          this.#queue.shift();
          return this.#answerStep({ kind: "step", seq, path, command, attempt: 1 }, fiber, event);
        }
        break;
      case "sleep":
        if (event.type === "timer_started") {
          return this.#openFirst(fiber, { kind: "sleep", seq, path, command, wakeAtMs: event.wakeAtMs });
        }
        break;
      case "signal":
        if (event.type === "signal_wait_started" && event.name === command.name) {
          return this.#openFirst(fiber, { kind: "signal", seq, path, command, timeoutAtMs: event.timeoutAtMs });
        }
        if (event.type === "signal_received" && event.name === command.name && answersItself) {
          this.#queue.shift();
          return this.#resume(fiber, { next: event.payload });
        }
        break;
      case "value":
        if (event.type === "value_recorded" && event.source === command.source) {
          this.#queue.shift();
          const value =
            event.source === "now" ? DateTime.fromMillis(event.value as number, { zone: "utc" }) : event.value;
          return this.#resume(fiber, { next: value });
        }
        break;
      case "tags":
        // The keys must agree; the values are the history's (a new deploy may word a value differently).
        if (event.type === "tags_set" && sameKeys(event.tags, command.changes)) {
          this.#queue.shift();
          this.#tags = mergeTags(this.#tags, event.tags);
          return this.#resume(fiber, { next: undefined });
        }
        break;
      case "branches":
        if (event.type === "branches_started" && sameShape(command, event)) {
          this.#queue.shift();
          return this.#startGroup(fiber, command);
        }
        break;
      case "child":
        // child() and startChild() are different commands: one waits, the other goes on at once.
        if (
          event.type === "child_started" &&
          event.workflow === command.workflow.name &&
          (event.detached === true) === !command.wait
        ) {
          if (command.wait)
            return this.#openFirst(fiber, { kind: "child", seq, path, command, childId: event.childId });
          this.#queue.shift();
          return this.#resume(fiber, { next: new ChildHandle(event.childId, event.workflow) });
        }
        if (event.type === "child_start_failed" && event.workflow === command.workflow.name) {
          this.#queue.shift();
          return this.#resume(fiber, { throw: fromErrorInfo(event.error) });
        }
        break;
      case "childResult":
        if (event.type === "child_wait_started" && event.childId === command.childId) {
          return this.#openFirst(fiber, { kind: "childResult", seq, path, command, childId: command.childId });
        }
        if (isChildAnswer(event) && event.childId === command.childId && answersItself) {
          this.#queue.shift();
          return this.#resume(fiber, childResumption(event));
        }
        break;
    }
    throw this.#divergence(event, describeAt(path, command));
  }

  /** The queued command at the head got its first event and now waits for an answer. */
  #openFirst(fiber: Fiber, entry: OpenCommand): void {
    this.#queue.shift();
    this.#setOpen(entry);
    this.#fiberOf.set(entry.seq, fiber);
    fiber.waitingOn = { type: "open", seq: entry.seq };
  }

  /** An event answering an open command, found by its `commandSeq` (format 1: the one open command). */
  #applyAnswer(event: HistoryEvent): void {
    const commandSeq = "commandSeq" in event ? event.commandSeq : undefined;
    let seq = commandSeq;
    if (seq === undefined && this.#open.size === 1) seq = this.#open.keys().next().value;
    const open = seq === undefined ? undefined : this.#open.get(seq);
    const fiber = seq === undefined ? undefined : this.#fiberOf.get(seq);
    if (open === undefined || fiber === undefined) {
      throw this.#divergence(event, this.#describeOpen(commandSeq));
    }
    switch (open.kind) {
      case "step":
        if ((event.type === "step_completed" || event.type === "step_failed") && event.name === open.command.name) {
          return this.#answerStep(open, fiber, event);
        }
        break;
      case "sleep":
        if (event.type === "timer_fired") {
          this.#close(open.seq);
          return this.#resume(fiber, { next: undefined });
        }
        break;
      case "signal":
        if (event.type === "signal_received" && event.name === open.command.name) {
          this.#close(open.seq);
          return this.#resume(fiber, { next: event.payload });
        }
        if (event.type === "signal_timed_out" && event.name === open.command.name) {
          this.#close(open.seq);
          return this.#resume(fiber, { next: undefined });
        }
        break;
      case "child":
      case "childResult":
        if (isChildAnswer(event) && event.childId === open.childId) {
          this.#close(open.seq);
          return this.#resume(fiber, childResumption(event));
        }
        break;
    }
    throw this.#divergence(event, describeAt(open.path, open.command));
  }

  /** A step's attempt ended: another attempt follows (the command stays open), or the step resolves. */
  #answerStep(
    open: Extract<OpenCommand, { kind: "step" }>,
    fiber: Fiber,
    event: Extract<HistoryEvent, { type: "step_completed" | "step_failed" }>,
  ): void {
    if (event.type === "step_completed") {
      this.#close(open.seq);
      return this.#resume(fiber, { next: event.result });
    }
    if (event.retryAtMs !== undefined) {
      this.#setOpen({ ...open, attempt: event.attempt + 1, retryAtMs: event.retryAtMs });
      this.#fiberOf.set(open.seq, fiber);
      fiber.waitingOn = { type: "open", seq: open.seq };
      return;
    }
    this.#close(open.seq);
    this.#resume(fiber, { throw: new StepFailedError(event.name, event.attempt, fromErrorInfo(event.error)) });
  }

  #setOpen(entry: OpenCommand): void {
    const previous = this.#open.get(entry.seq);
    if (previous?.kind === "step") this.#openSteps -= 1;
    if (entry.kind === "step") this.#openSteps += 1;
    this.#open.set(entry.seq, entry);
  }

  #close(seq: number): void {
    if (this.#open.get(seq)?.kind === "step") this.#openSteps -= 1;
    this.#open.delete(seq);
    this.#fiberOf.delete(seq);
  }

  /**
   * Resumes a fiber and runs it until it yields a command (queued, or resolved at once for an empty `all`) or
   * ends. A loop, not recursion, so that a long run of empty groups cannot overflow the stack.
   */
  #resume(fiber: Fiber, resumption: Resumption): void {
    let input = resumption;
    for (;;) {
      fiber.waitingOn = undefined;
      const generator = fiber.generator as Generator<unknown, unknown, unknown>;
      let result: IteratorResult<unknown, unknown>;
      try {
        result = "throw" in input ? generator.throw(input.throw) : generator.next(input.next);
      } catch (error) {
        return this.#settle(fiber, { ok: false, error });
      }
      if (result.done === true) return this.#settle(fiber, { ok: true, value: result.value });
      const command = result.value;
      if (!isCommand(command)) {
        const error = new TypeError(
          `Workflow '${this.#definition.name}'${fiber.path === "" ? "" : ` (branch ${fiber.path})`} yielded ` +
            `${describeValue(command)}, which is not a Reprise command. Yield commands only: \`yield* step(...)\`, ` +
            "`yield* sleep(...)`, `yield* awaitSignal(...)`, `yield* all([...])`.",
        );
        return this.#settle(fiber, { ok: false, error });
      }
      if (command.kind === "branches" && command.branches.length === 0) {
        input = { next: command.keys === undefined ? [] : {} };
        continue;
      }
      if (command.kind === "continueAsNew") {
        // The generation ends here, recording nothing more than its end: nothing is left to wait for, because
        // only the workflow itself may continue, and its groups have settled before it yields again. The
        // generator is dropped, not returned: a `finally` would yield commands into a generation that is over.
        if (fiber === this.#root) return this.#continueAsNew(fiber, command.input);
        input = { throw: continueInBranchError(fiber.path) };
        continue;
      }
      // A patch already answered in this run gives the same answer again, without an event.
      const known = command.kind === "patch" ? this.#patches.get(command.patchId) : undefined;
      if (command.kind === "patch" && known !== undefined) {
        input = { next: command.deprecated ? undefined : known };
        continue;
      }
      // Decided from history alone (the tags it holds so far), so a replay throws at the same place.
      if (command.kind === "tags" && tooManyTags(this.#tags, command.changes)) {
        input = { throw: tooManyTagsError(this.#tags, command.changes) };
        continue;
      }
      const queued: Queued = { type: "queued", command, fiber };
      fiber.waitingOn = queued;
      this.#queue.push(queued);
      return;
    }
  }

  /** A fiber ended: the workflow itself finishes the run; a branch reports to its group. */
  #settle(fiber: Fiber, settlement: Settlement): void {
    fiber.settled = true;
    fiber.generator = undefined;
    fiber.waitingOn = undefined;
    const group = fiber.group;
    if (group === undefined) return this.#finish(settlement);
    group.results[fiber.index] = settlement;
    group.running -= 1;
    group.settledCount += 1;
    if (group.decision === undefined && !group.cancelling) {
      const { combinator, keys } = group.command;
      if (combinator === "race") {
        const key = keys === undefined ? fiber.index : keys[fiber.index];
        this.#decide(group, settlement.ok ? { ok: true, value: { key, value: settlement.value } } : settlement);
      } else if (combinator === "all" && !settlement.ok) {
        this.#decide(group, settlement);
      }
    }
    this.#pump(group);
  }

  /** The workflow yielded `continueAsNew(input)`; a run whose cancellation was delivered ends cancelled instead. */
  #continueAsNew(root: Fiber, input: unknown): void {
    root.settled = true;
    root.generator = undefined;
    const reason = this.#cancelReason;
    const outcome: RunOutcome =
      reason === undefined ? { status: "continued", input } : { status: "cancelled", reason: reason.reason };
    this.#state = { type: "finished", outcome };
    this.#root = undefined;
  }

  #finish(settlement: Settlement): void {
    const outcome: RunOutcome = this.#cancelReason
      ? { status: "cancelled", ...this.#cancelReason }
      : settlement.ok
        ? { status: "completed", result: settlement.value }
        : { status: "failed", error: settlement.error };
    this.#state = { type: "finished", outcome };
    this.#root = undefined;
  }

  #startGroup(owner: Fiber, command: BranchesCommand): void {
    const group: Group = {
      command,
      owner,
      fibers: [],
      results: [],
      running: 0,
      settledCount: 0,
      decision: undefined,
      cancelling: false,
      starting: false,
      completed: false,
    };
    owner.waitingOn = { type: "group", group };
    this.#pump(group);
  }

  /**
   * Moves a group forward: starts branches in argument order while its concurrency allows, decides an `all` /
   * `allSettled` whose branches all settled, and resolves the owner once nothing of the group still runs.
   */
  #pump(group: Group): void {
    if (group.completed) return;
    const { branches, concurrency } = group.command;
    // Starting a branch runs it to its first yield, which may settle it and pump again: the outer call starts the rest.
    if (!group.starting) {
      group.starting = true;
      while (
        group.decision === undefined &&
        !group.cancelling &&
        group.fibers.length < branches.length &&
        (concurrency === undefined || group.running < concurrency)
      ) {
        const index = group.fibers.length;
        const fiber = newFiber(branchPath(group, index), group, index);
        fiber.generator = (branches[index] as Iterable<unknown>)[Symbol.iterator]() as Generator<
          unknown,
          unknown,
          unknown
        >;
        group.fibers.push(fiber);
        group.running += 1;
        this.#resume(fiber, { next: undefined });
      }
      group.starting = false;
    }
    if (group.decision === undefined && !group.cancelling && group.settledCount === branches.length) {
      group.decision = { ok: true, value: combine(group) };
    }
    if ((group.decision !== undefined || group.cancelling) && group.running === 0 && !group.starting) {
      group.completed = true;
      const owner = group.owner;
      owner.waitingOn = undefined;
      if (owner.cancelled !== undefined && group.cancelling) return this.#resume(owner, { throw: owner.cancelled });
      const decision = group.decision as Settlement;
      this.#resume(owner, decision.ok ? { next: decision.value } : { throw: decision.error });
    }
  }

  /** The group's result is known: its other running branches are cancelled, and it resolves once they settle. */
  #decide(group: Group, decision: Settlement): void {
    group.decision = decision;
    const reason = group.command.combinator === "race" ? "another branch won the race" : "another branch failed";
    for (const fiber of group.fibers) {
      if (!fiber.settled) this.#cancel(fiber, new CancelledError(reason, { branch: fiber.path }), "branch");
    }
  }

  /**
   * Delivers a cancellation to a fiber: what it waits for is withdrawn (a queued command is dropped, an open one
   * reported by `takeWithdrawn`, a group has its branches cancelled first), then the CancelledError is thrown
   * in at its `yield*`, so its `finally` blocks run and may yield compensating commands.
   */
  #cancel(fiber: Fiber, error: CancelledError, cause: "branch" | "run"): void {
    if (fiber.settled || fiber.cancelled !== undefined) return;
    fiber.cancelled = error;
    const waiting = fiber.waitingOn;
    if (waiting === undefined) return;
    if (waiting.type === "group") {
      const group = waiting.group;
      group.cancelling = true;
      for (const branch of group.fibers) {
        if (!branch.settled) this.#cancel(branch, new CancelledError(error.reason, { branch: branch.path }), cause);
      }
      return this.#pump(group);
    }
    if (waiting.type === "queued") {
      const index = this.#queue.indexOf(waiting);
      if (index >= 0) this.#queue.splice(index, 1);
    } else {
      const open = this.#open.get(waiting.seq);
      if (open !== undefined) this.#withdrawn.push({ open, cause });
      this.#close(waiting.seq);
    }
    this.#resume(fiber, { throw: error });
  }

  #describeOpen(commandSeq: number | undefined): string {
    if (commandSeq !== undefined) return `no open command with seq ${commandSeq}`;
    const open = [...this.#open.values()];
    if (open.length === 0) return "nothing waiting for an answer";
    return open.map((entry) => describeAt(entry.path, entry.command)).join(", ");
  }

  #divergence(event: HistoryEvent, actual: string): NonDeterminismError {
    return new NonDeterminismError({ runId: this.runId, seq: event.seq, expected: describeEvent(event), actual });
  }
}

function newFiber(path: string, group: Group | undefined, index: number): Fiber {
  return { path, generator: undefined, group, index, waitingOn: undefined, cancelled: undefined, settled: false };
}

/** A branch's path: its group's owner path, the combinator and the branch's index or key, e.g. `all[2] > race.late`. */
function branchPath(group: Group, index: number): string {
  const { combinator, keys } = group.command;
  const label = keys === undefined ? `${combinator}[${index}]` : `${combinator}.${keys[index] ?? index}`;
  return group.owner.path === "" ? label : `${group.owner.path} > ${label}`;
}

function combine(group: Group): unknown {
  const { keys, combinator } = group.command;
  const values = group.results.map((settlement) => {
    const s = settlement as Settlement;
    if (combinator === "allSettled") {
      return s.ok ? { status: "fulfilled", value: s.value } : { status: "rejected", error: s.error };
    }
    return s.ok ? s.value : undefined;
  });
  if (keys === undefined) return values;
  return Object.fromEntries(keys.map((key, index) => [key, values[index]]));
}

function sameShape(command: BranchesCommand, event: Extract<HistoryEvent, { type: "branches_started" }>): boolean {
  if (command.combinator !== event.combinator || command.branches.length !== event.count) return false;
  if (command.concurrency !== event.concurrency) return false;
  const keys = command.keys;
  if (keys === undefined || event.keys === undefined) return keys === event.keys;
  return keys.every((key, index) => event.keys?.[index] === key);
}

type ChildAnswerEvent = Extract<HistoryEvent, { type: "child_completed" | "child_failed" | "child_cancelled" }>;

function isChildAnswer(event: HistoryEvent): event is ChildAnswerEvent {
  return event.type === "child_completed" || event.type === "child_failed" || event.type === "child_cancelled";
}

function childResumption(event: ChildAnswerEvent): Resumption {
  if (event.type === "child_completed") return { next: event.result };
  if (event.type === "child_failed") {
    return { throw: new ChildFailedError(event.childId, event.workflow, fromErrorInfo(event.error)) };
  }
  return { throw: new ChildCancelledError(event.childId, event.workflow, event.reason) };
}

/** The kinds of command that can be open: every execution handler table lists exactly these. */
export type OpenCommandKind = OpenCommand["kind"];

/** Type guard for the open commands of one kind. */
export type OpenCommandOf<K extends OpenCommandKind> = Extract<OpenCommand, { kind: K }>;

/** What a branch that yields `continueAsNew()` gets thrown: only the workflow itself can end its generation. */
function continueInBranchError(path: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `continueAsNew() was yielded inside branch ${path}; it ends the run's whole history, so only the workflow ` +
      "itself can yield it, once its all/race groups have returned: `return yield* continueAsNew(state)` after them.",
  );
}

/** Whether two tag maps name the same keys (in any order). */
function sameKeys(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key));
}

function tooManyTags(current: Readonly<Record<string, string>>, changes: Readonly<Record<string, string | null>>) {
  return Object.keys(mergeTags(current, changes)).length > MAX_TAGS;
}

function tooManyTagsError(
  current: Readonly<Record<string, string>>,
  changes: Readonly<Record<string, string | null>>,
): InvalidArgumentError {
  const count = Object.keys(mergeTags(current, changes)).length;
  return new InvalidArgumentError(
    `setTags() would give the run ${count} tags; a run holds at most ${MAX_TAGS}. Remove tags with null first.`,
  );
}
