// FaultyStore: wraps any Store and makes its N-th call fail, once or from then on (SQLite-style ioerr testing).
// It never changes what the wrapped store does; it only refuses a call, or hides a call's success from the caller.
import {
  StoreError,
  type BlockedEpisodeRecord,
  type ClaimRequest,
  type EventRecord,
  type ParkedRunBlock,
  type ParkedRunsPage,
  type FinishedRunsPage,
  type LeaseHolder,
  type LeaseStatus,
  type NewRun,
  type NewSignal,
  type PendingSignalRecord,
  type RunCommit,
  type RunFilter,
  type RunSelection,
  type RunStatus,
  type CancelManyRequest,
  type PurgeRequest,
  type RunOutcomeRecord,
  type RunRecord,
  type SignalRecord,
  type Store,
  type NewSchedule,
  type ScheduleRecord,
  type ScheduleUpdate,
  type ScheduleUpdateResult,
  type ServedWorkflow,
  type QueueLimits,
} from "@reprise/core";

/**
 * The name of a Store method. The optional `watchChanges` is not one: a FaultyStore passes no change
 * notifications on, so engines on it rely on polling alone (which faults must never break).
 *
 * @example
 * const writes: StoreMethod[] = ["commit", "sendSignal"];
 */
export type StoreMethod = Exclude<keyof Store, "watchChanges">;

/**
 * Every Store method a FaultyStore counts and may fail by default: all but `close`.
 *
 * @example
 * new FaultyStore(store, { at: 1, methods: FAULTABLE_METHODS.filter((m) => m !== "getRun") });
 */
export const FAULTABLE_METHODS: readonly StoreMethod[] = Object.freeze([
  "createRun",
  "createRuns",
  "getRun",
  "getRunOutcome",
  "finishedRunsSince",
  "listRuns",
  "countRuns",
  "requestCancelMany",
  "purgeRuns",
  "readEvents",
  "commit",
  "sendSignal",
  "nextSignal",
  "pendingSignals",
  "childrenOf",
  "requestCancel",
  "claimDueRuns",
  "renewLeases",
  "releaseLeases",
  "registerLeaseHolder",
  "leaseHoldersOn",
  "expireLeasesOf",
  "nextDueAtMs",
  "setPriority",
  "retryBlockedRuns",
  "blockedEpisodes",
  "forceCancelBlocked",
  "parkedRuns",
  "blockParkedRun",
  "registerWorkflows",
  "workflowLastSeenAtMs",
  "createSchedule",
  "getSchedule",
  "listSchedules",
  "updateSchedule",
  "deleteSchedule",
  "dueSchedules",
  "nextScheduleFireAtMs",
]);

/**
 * Which call fails, and how.
 *
 * @example
 * new FaultyStore(store, { at: 3 }); // the 3rd call fails once, without reaching the store
 * new FaultyStore(store, { at: 1, mode: "persistent", methods: ["commit"] }); // every commit fails until heal()
 */
export interface FaultPlan {
  /** 1-based number of the call to fail, counting only calls of `methods` made since the plan was armed. */
  readonly at: number;
  /** "transient" (default): only call `at` fails. "persistent": it and every later counted call fail, until `heal()`. */
  readonly mode?: "transient" | "persistent";
  /** Methods that count and fail. Default: every method but `close` (FAULTABLE_METHODS). */
  readonly methods?: readonly StoreMethod[];
  /**
   * "before" (default): the call fails without reaching the store, so nothing is written.
   * "after": the call reaches the store and takes effect, then the caller gets the error anyway (a lost
   * acknowledgement, as when a connection drops after COMMIT).
   */
  readonly timing?: "before" | "after";
}

/**
 * One call through a FaultyStore, as `calls` reports it.
 *
 * @example
 * const acknowledgedCommits = store.calls.filter((c: StoreCall) => c.method === "commit" && c.outcome === "ok");
 */
export interface StoreCall {
  /** 1-based position among all calls through this FaultyStore. */
  readonly n: number;
  readonly method: StoreMethod;
  readonly args: readonly unknown[];
  /** "pending" until it settles; "fault-before"/"fault-after" when a fault was injected; "error" when the store itself threw. */
  outcome: "pending" | "ok" | "error" | "fault-before" | "fault-after";
  result?: unknown;
  error?: unknown;
}

/**
 * The error a FaultyStore throws for an injected fault. It is a StoreError, like a real driver failure.
 *
 * @example
 * const error = await engine.signal(id, "go").catch((e: unknown) => e);
 * if (error instanceof InjectedFaultError) console.log(error.method, error.call);
 */
export class InjectedFaultError extends StoreError {
  readonly method: StoreMethod;
  /** The call's position among all calls through the FaultyStore. */
  readonly call: number;
  readonly timing: "before" | "after";
  constructor(method: StoreMethod, call: number, timing: "before" | "after") {
    super(
      `Injected fault in store call ${call} (${method}, ${timing === "before" ? "not applied" : "applied, acknowledgement lost"}). ` +
        `A FaultyStore raised this on purpose to test error handling; if you see it outside a test, remove ` +
        `the FaultyStore wrapped around your store.`,
    );
    this.method = method;
    this.call = call;
    this.timing = timing;
  }
}

/**
 * A Store wrapper that injects failures at the N-th call, transient (fails once) or persistent (fails from
 * N on), optionally only for chosen methods, before or after the wrapped store applies the call. Every
 * call is logged in `calls`, so tests can check what was acknowledged. `close()` is passed through and
 * never fails unless listed in `methods`.
 *
 * @example
 * const inner = await SqliteStore.open({ filename: ":memory:" });
 * const store = new FaultyStore(inner, { at: 5, mode: "transient" });
 * const engine = createEngine({ store, workflows: [order], onError: (e) => errors.push(e) });
 * // ... later: every acknowledged write is in `inner`; store.faults lists what was injected
 */
export class FaultyStore implements Store {
  readonly inner: Store;
  readonly #calls: StoreCall[] = [];
  readonly #faults: InjectedFaultError[] = [];
  #plan: Required<FaultPlan> | undefined;
  #counted = 0;

  constructor(inner: Store, plan?: FaultPlan) {
    this.inner = inner;
    if (plan !== undefined) this.inject(plan);
  }

  /** Arms a new plan; `at` counts matching calls from now on. Replaces any earlier plan. */
  inject(plan: FaultPlan): void {
    if (!Number.isSafeInteger(plan.at) || plan.at < 1) {
      throw new RangeError(
        `FaultPlan.at must be an integer ≥ 1 (got ${String(plan.at)}); it is the 1-based call number.`,
      );
    }
    this.#plan = {
      at: plan.at,
      mode: plan.mode ?? "transient",
      methods: plan.methods ?? FAULTABLE_METHODS,
      timing: plan.timing ?? "before",
    };
    this.#counted = 0;
  }

  /** Disarms the plan: every later call goes through (the outage is over). */
  heal(): void {
    this.#plan = undefined;
  }

  /** Every call so far, in order. */
  get calls(): readonly StoreCall[] {
    return this.#calls;
  }

  /** Calls counted by the current plan so far (only its methods). */
  get counted(): number {
    return this.#counted;
  }

  /** Every fault injected so far, in order. */
  get faults(): readonly InjectedFaultError[] {
    return this.#faults;
  }

  createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    return this.#call("createRun", [run], () => this.inner.createRun(run));
  }
  createRuns(runs: readonly NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    return this.#call("createRuns", [runs], () => this.inner.createRuns(runs));
  }
  getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#call("getRun", [runId], () => this.inner.getRun(runId));
  }
  getRunOutcome(runId: string): Promise<RunOutcomeRecord | undefined> {
    return this.#call("getRunOutcome", [runId], () => this.inner.getRunOutcome(runId));
  }
  finishedRunsSince(cursor: number, limit: number): Promise<FinishedRunsPage> {
    return this.#call("finishedRunsSince", [cursor, limit], () => this.inner.finishedRunsSince(cursor, limit));
  }
  listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#call("listRuns", [filter], () => this.inner.listRuns(filter));
  }
  countRuns(selection: RunSelection): Promise<Record<RunStatus, number>> {
    return this.#call("countRuns", [selection], () => this.inner.countRuns(selection));
  }
  requestCancelMany(
    request: CancelManyRequest,
  ): Promise<{ runIds: string[]; last?: { createdAtMs: number; id: string } }> {
    return this.#call("requestCancelMany", [request], () => this.inner.requestCancelMany(request));
  }
  purgeRuns(request: PurgeRequest): Promise<number> {
    return this.#call("purgeRuns", [request], () => this.inner.purgeRuns(request));
  }
  readEvents(runId: string, afterSeq?: number, generation?: number): Promise<EventRecord[]> {
    return this.#call("readEvents", [runId, afterSeq, generation], () =>
      this.inner.readEvents(runId, afterSeq, generation),
    );
  }
  commit(commit: RunCommit): Promise<void> {
    return this.#call("commit", [commit], () => this.inner.commit(commit));
  }
  sendSignal(signal: NewSignal): Promise<{ duplicate: boolean }> {
    return this.#call("sendSignal", [signal], () => this.inner.sendSignal(signal));
  }
  nextSignal(runId: string, name: string, afterPosition: number): Promise<SignalRecord | undefined> {
    return this.#call("nextSignal", [runId, name, afterPosition], () =>
      this.inner.nextSignal(runId, name, afterPosition),
    );
  }
  parkedRuns(workflows: readonly ServedWorkflow[], cursor: number, limit: number): Promise<ParkedRunsPage> {
    return this.#call("parkedRuns", [workflows, cursor, limit], () => this.inner.parkedRuns(workflows, cursor, limit));
  }

  blockParkedRun(block: ParkedRunBlock): Promise<boolean> {
    return this.#call("blockParkedRun", [block], () => this.inner.blockParkedRun(block));
  }

  forceCancelBlocked(runId: string, event: EventRecord, reason: string | undefined, nowMs: number): Promise<void> {
    return this.#call("forceCancelBlocked", [runId, event, reason, nowMs], () =>
      this.inner.forceCancelBlocked(runId, event, reason, nowMs),
    );
  }

  childrenOf(runId: string, limit: number): Promise<string[]> {
    return this.#call("childrenOf", [runId, limit], () => this.inner.childrenOf(runId, limit));
  }

  pendingSignals(runId: string, limit: number): Promise<PendingSignalRecord[]> {
    return this.#call("pendingSignals", [runId, limit], () => this.inner.pendingSignals(runId, limit));
  }
  requestCancel(runId: string, reason: string | undefined, nowMs: number): Promise<void> {
    return this.#call("requestCancel", [runId, reason, nowMs], () => this.inner.requestCancel(runId, reason, nowMs));
  }
  claimDueRuns(request: ClaimRequest): Promise<RunRecord[]> {
    return this.#call("claimDueRuns", [request], () => this.inner.claimDueRuns(request));
  }
  renewLeases(owner: string, runIds: readonly string[], nowMs: number, leaseMs: number): Promise<LeaseStatus[]> {
    return this.#call("renewLeases", [owner, runIds, nowMs, leaseMs], () =>
      this.inner.renewLeases(owner, runIds, nowMs, leaseMs),
    );
  }
  releaseLeases(owner: string, runIds: readonly string[], nowMs: number): Promise<void> {
    return this.#call("releaseLeases", [owner, runIds, nowMs], () => this.inner.releaseLeases(owner, runIds, nowMs));
  }
  registerLeaseHolder(holder: LeaseHolder, nowMs: number): Promise<void> {
    return this.#call("registerLeaseHolder", [holder, nowMs], () => this.inner.registerLeaseHolder(holder, nowMs));
  }
  leaseHoldersOn(host: string): Promise<LeaseHolder[]> {
    return this.#call("leaseHoldersOn", [host], () => this.inner.leaseHoldersOn(host));
  }
  expireLeasesOf(owners: readonly string[], nowMs: number): Promise<number> {
    return this.#call("expireLeasesOf", [owners, nowMs], () => this.inner.expireLeasesOf(owners, nowMs));
  }
  nextDueAtMs(
    workflows: readonly ServedWorkflow[],
    limits?: { readonly queues: Readonly<Record<string, QueueLimits>>; readonly nowMs: number },
  ): Promise<number | undefined> {
    return this.#call("nextDueAtMs", [workflows, limits], () => this.inner.nextDueAtMs(workflows, limits));
  }
  setPriority(runIds: readonly string[], priority: number, nowMs: number): Promise<string[]> {
    return this.#call("setPriority", [runIds, priority, nowMs], () => this.inner.setPriority(runIds, priority, nowMs));
  }
  retryBlockedRuns(workflows: readonly ServedWorkflow[], nowMs: number): Promise<number> {
    return this.#call("retryBlockedRuns", [workflows, nowMs], () => this.inner.retryBlockedRuns(workflows, nowMs));
  }
  blockedEpisodes(runId: string): Promise<BlockedEpisodeRecord[]> {
    return this.#call("blockedEpisodes", [runId], () => this.inner.blockedEpisodes(runId));
  }
  registerWorkflows(workflows: readonly ServedWorkflow[], nowMs: number): Promise<void> {
    return this.#call("registerWorkflows", [workflows, nowMs], () => this.inner.registerWorkflows(workflows, nowMs));
  }
  workflowLastSeenAtMs(workflow: string, version?: number): Promise<number | undefined> {
    return this.#call("workflowLastSeenAtMs", [workflow, version], () =>
      this.inner.workflowLastSeenAtMs(workflow, version),
    );
  }
  createSchedule(schedule: NewSchedule): Promise<{ created: boolean; schedule: ScheduleRecord }> {
    return this.#call("createSchedule", [schedule], () => this.inner.createSchedule(schedule));
  }
  getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    return this.#call("getSchedule", [id], () => this.inner.getSchedule(id));
  }
  listSchedules(afterId: string | undefined, limit: number): Promise<ScheduleRecord[]> {
    return this.#call("listSchedules", [afterId, limit], () => this.inner.listSchedules(afterId, limit));
  }
  updateSchedule(update: ScheduleUpdate): Promise<ScheduleUpdateResult> {
    return this.#call("updateSchedule", [update], () => this.inner.updateSchedule(update));
  }
  deleteSchedule(id: string): Promise<boolean> {
    return this.#call("deleteSchedule", [id], () => this.inner.deleteSchedule(id));
  }
  dueSchedules(workflows: readonly string[], nowMs: number, limit: number): Promise<ScheduleRecord[]> {
    return this.#call("dueSchedules", [workflows, nowMs, limit], () =>
      this.inner.dueSchedules(workflows, nowMs, limit),
    );
  }
  nextScheduleFireAtMs(workflows: readonly string[]): Promise<number | undefined> {
    return this.#call("nextScheduleFireAtMs", [workflows], () => this.inner.nextScheduleFireAtMs(workflows));
  }
  close(): Promise<void> {
    return this.#call("close", [], () => this.inner.close());
  }

  async #call<T>(method: StoreMethod, args: readonly unknown[], invoke: () => Promise<T>): Promise<T> {
    const call: StoreCall = { n: this.#calls.length + 1, method, args, outcome: "pending" };
    this.#calls.push(call);
    const timing = this.#faultFor(method);
    if (timing === "before") throw this.#injected(call, "before");
    let value: T;
    try {
      value = await invoke();
    } catch (error) {
      call.outcome = "error";
      call.error = error;
      throw error;
    }
    if (timing === "after") throw this.#injected(call, "after");
    call.outcome = "ok";
    call.result = value;
    return value;
  }

  /** Counts the call if the plan covers its method; says whether (and when) it fails. */
  #faultFor(method: StoreMethod): "before" | "after" | undefined {
    const plan = this.#plan;
    if (plan === undefined || !plan.methods.includes(method)) return undefined;
    this.#counted += 1;
    const hit = plan.mode === "persistent" ? this.#counted >= plan.at : this.#counted === plan.at;
    return hit ? plan.timing : undefined;
  }

  #injected(call: StoreCall, timing: "before" | "after"): InjectedFaultError {
    const error = new InjectedFaultError(call.method, call.n, timing);
    call.outcome = timing === "before" ? "fault-before" : "fault-after";
    call.error = error;
    this.#faults.push(error);
    return error;
  }
}
