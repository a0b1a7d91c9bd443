// A Store wrapper that simulates a process crash at chosen commits: before the commit (nothing of it
// persists) or after it (it persists, but the engine never learns). From then on every call fails, even one in flight.
import type {
  BlockedEpisodeRecord,
  ClaimRequest,
  EventRecord,
  FinishedRunsPage,
  LeaseHolder,
  LeaseStatus,
  NewRun,
  NewSignal,
  ParkedRunBlock,
  ParkedRunsPage,
  PendingSignalRecord,
  RunCommit,
  RunFilter,
  RunSelection,
  RunStatus,
  CancelManyRequest,
  PurgeRequest,
  RunOutcomeRecord,
  RunRecord,
  SignalRecord,
  Store,
  ServedWorkflow,
  QueueLimits,
  NewSchedule,
  ScheduleRecord,
  ScheduleUpdate,
  ScheduleUpdateResult,
} from "@reprise/core";
import { decodeEvent } from "@reprise/core/internal";

/** The queue limits `nextDueAtMs` may take. */
type QueueView = { readonly queues: Readonly<Record<string, QueueLimits>>; readonly nowMs: number };

/** Where a crash hits relative to the commit it is planned at. */
export type CrashTiming = "before" | "after";

/** A crash that happened: which commit (1-based, counted over the whole scenario) and what it held. */
export interface CrashRecord {
  readonly commit: number;
  readonly timing: CrashTiming;
  /** The run that commit belonged to: the scenario's run or one of its children. */
  readonly runId: string;
  /** The events of that commit: lost when `before`, persisted when `after`. */
  readonly events: readonly EventRecord[];
}

/** Shared across the engines of one scenario: the plan, the commit counter and what happened. */
export class CrashLog {
  readonly plan: ReadonlyMap<number, CrashTiming>;
  commits = 0;
  readonly crashes: CrashRecord[] = [];
  /** Lease owners seen in claims (and runs created claimed), so the harness can free a crashed engine's leases. */
  readonly owners = new Set<string>();
  /**
   * Outcomes of step attempts that reached the store (acknowledged, or written just before a crash), as
   * `<idempotency key>#<attempt>`, each with the number of crashes before it: a step attempt whose outcome
   * persisted must never run again, whatever crashes later.
   */
  readonly persistedAttempts = new Map<string, number>();

  constructor(plan: ReadonlyMap<number, CrashTiming> = new Map()) {
    this.plan = plan;
  }
}

/** Thrown by every call once the simulated process has crashed. */
export class SimulatedCrash extends Error {
  constructor() {
    super("simulated crash: this engine's process is gone");
    this.name = "SimulatedCrash";
  }
}

/** Wraps a store so that commits can crash the "process" it belongs to. */
export class CrashingStore implements Store {
  readonly #inner: Store;
  readonly #log: CrashLog;
  #crashed = false;

  constructor(inner: Store, log: CrashLog) {
    this.#inner = inner;
    this.#log = log;
  }

  get crashed(): boolean {
    return this.#crashed;
  }

  async commit(commit: RunCommit): Promise<void> {
    this.#alive();
    const index = ++this.#log.commits;
    const timing = this.#log.plan.get(index);
    if (timing === "before") this.#crash(index, timing, commit);
    await this.#inner.commit(commit);
    this.#persisted(commit);
    if (timing === "after") this.#crash(index, timing, commit);
    // Another run's commit crashed the process while this one was in flight (group commit writes both): the
    // write is durable, but nobody is left to hear of it.
    this.#alive();
  }

  async claimDueRuns(request: ClaimRequest): Promise<RunRecord[]> {
    this.#alive();
    this.#log.owners.add(request.owner);
    return this.#answer(() => this.#inner.claimDueRuns(request));
  }

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    this.#alive();
    if (run.lease !== undefined) this.#log.owners.add(run.lease.owner);
    return this.#answer(() => this.#inner.createRun(run));
  }
  async createRuns(runs: readonly NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    this.#alive();
    for (const run of runs) if (run.lease !== undefined) this.#log.owners.add(run.lease.owner);
    return this.#answer(() => this.#inner.createRuns(runs));
  }
  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.#answer(() => this.#inner.getRun(runId));
  }
  async getRunOutcome(runId: string): Promise<RunOutcomeRecord | undefined> {
    return this.#answer(() => this.#inner.getRunOutcome(runId));
  }
  async finishedRunsSince(cursor: number, limit: number): Promise<FinishedRunsPage> {
    return this.#answer(() => this.#inner.finishedRunsSince(cursor, limit));
  }
  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    return this.#answer(() => this.#inner.listRuns(filter));
  }
  async countRuns(selection: RunSelection): Promise<Record<RunStatus, number>> {
    return this.#answer(() => this.#inner.countRuns(selection));
  }
  async requestCancelMany(
    request: CancelManyRequest,
  ): Promise<{ runIds: string[]; last?: { createdAtMs: number; id: string } }> {
    return this.#answer(() => this.#inner.requestCancelMany(request));
  }
  async purgeRuns(request: PurgeRequest): Promise<number> {
    return this.#answer(() => this.#inner.purgeRuns(request));
  }
  async readEvents(runId: string, afterSeq?: number, generation?: number): Promise<EventRecord[]> {
    return this.#answer(() => this.#inner.readEvents(runId, afterSeq, generation));
  }
  async sendSignal(signal: NewSignal): Promise<{ duplicate: boolean }> {
    return this.#answer(() => this.#inner.sendSignal(signal));
  }
  async nextSignal(runId: string, name: string, afterPosition: number): Promise<SignalRecord | undefined> {
    return this.#answer(() => this.#inner.nextSignal(runId, name, afterPosition));
  }
  async forceCancelBlocked(
    runId: string,
    event: EventRecord,
    reason: string | undefined,
    nowMs: number,
  ): Promise<void> {
    return this.#answer(() => this.#inner.forceCancelBlocked(runId, event, reason, nowMs));
  }
  async parkedRuns(workflows: readonly ServedWorkflow[], cursor: number, limit: number): Promise<ParkedRunsPage> {
    return this.#answer(() => this.#inner.parkedRuns(workflows, cursor, limit));
  }
  async blockParkedRun(block: ParkedRunBlock): Promise<boolean> {
    return this.#answer(() => this.#inner.blockParkedRun(block));
  }
  async childrenOf(runId: string, limit: number): Promise<string[]> {
    return this.#answer(() => this.#inner.childrenOf(runId, limit));
  }
  async pendingSignals(runId: string, limit: number): Promise<PendingSignalRecord[]> {
    return this.#answer(() => this.#inner.pendingSignals(runId, limit));
  }
  async requestCancel(runId: string, reason: string | undefined, nowMs: number): Promise<void> {
    return this.#answer(() => this.#inner.requestCancel(runId, reason, nowMs));
  }
  async renewLeases(owner: string, runIds: readonly string[], nowMs: number, leaseMs: number): Promise<LeaseStatus[]> {
    return this.#answer(() => this.#inner.renewLeases(owner, runIds, nowMs, leaseMs));
  }
  async releaseLeases(owner: string, runIds: readonly string[], nowMs: number): Promise<void> {
    return this.#answer(() => this.#inner.releaseLeases(owner, runIds, nowMs));
  }
  async registerLeaseHolder(holder: LeaseHolder, nowMs: number): Promise<void> {
    return this.#answer(() => this.#inner.registerLeaseHolder(holder, nowMs));
  }
  async leaseHoldersOn(host: string): Promise<LeaseHolder[]> {
    return this.#answer(() => this.#inner.leaseHoldersOn(host));
  }
  async expireLeasesOf(owners: readonly string[], nowMs: number): Promise<number> {
    return this.#answer(() => this.#inner.expireLeasesOf(owners, nowMs));
  }
  async nextDueAtMs(workflows: readonly ServedWorkflow[], limits?: QueueView): Promise<number | undefined> {
    return this.#answer(() => this.#inner.nextDueAtMs(workflows, limits));
  }
  async setPriority(runIds: readonly string[], priority: number, nowMs: number): Promise<string[]> {
    this.#alive();
    return this.#answer(() => this.#inner.setPriority(runIds, priority, nowMs));
  }
  async retryBlockedRuns(workflows: readonly ServedWorkflow[], nowMs: number): Promise<number> {
    return this.#answer(() => this.#inner.retryBlockedRuns(workflows, nowMs));
  }
  async blockedEpisodes(runId: string): Promise<BlockedEpisodeRecord[]> {
    return this.#answer(() => this.#inner.blockedEpisodes(runId));
  }
  async registerWorkflows(workflows: readonly ServedWorkflow[], nowMs: number): Promise<void> {
    return this.#answer(() => this.#inner.registerWorkflows(workflows, nowMs));
  }
  async workflowLastSeenAtMs(workflow: string, version?: number): Promise<number | undefined> {
    return this.#answer(() => this.#inner.workflowLastSeenAtMs(workflow, version));
  }
  async createSchedule(schedule: NewSchedule): Promise<{ created: boolean; schedule: ScheduleRecord }> {
    return this.#answer(() => this.#inner.createSchedule(schedule));
  }
  async getSchedule(id: string): Promise<ScheduleRecord | undefined> {
    return this.#answer(() => this.#inner.getSchedule(id));
  }
  async listSchedules(afterId: string | undefined, limit: number): Promise<ScheduleRecord[]> {
    return this.#answer(() => this.#inner.listSchedules(afterId, limit));
  }
  async updateSchedule(update: ScheduleUpdate): Promise<ScheduleUpdateResult> {
    return this.#answer(() => this.#inner.updateSchedule(update));
  }
  async deleteSchedule(id: string): Promise<boolean> {
    return this.#answer(() => this.#inner.deleteSchedule(id));
  }
  async dueSchedules(workflows: readonly string[], nowMs: number, limit: number): Promise<ScheduleRecord[]> {
    return this.#answer(() => this.#inner.dueSchedules(workflows, nowMs, limit));
  }
  async nextScheduleFireAtMs(workflows: readonly string[]): Promise<number | undefined> {
    return this.#answer(() => this.#inner.nextScheduleFireAtMs(workflows));
  }
  async close(): Promise<void> {
    return this.#inner.close();
  }

  /** Calls the inner store while the process lives; an answer arriving after a crash is never delivered. */
  async #answer<T>(call: () => Promise<T>): Promise<T> {
    this.#alive();
    const answer = await call();
    this.#alive();
    return answer;
  }

  #alive(): void {
    if (this.#crashed) throw new SimulatedCrash();
  }

  #persisted(commit: RunCommit): void {
    for (const record of commit.events) {
      if (record.type !== "step_completed" && record.type !== "step_failed") continue;
      const event = decodeEvent(commit.runId, record);
      if (event.type !== "step_completed" && event.type !== "step_failed") continue;
      const key = `${commit.runId}:${event.commandSeq ?? event.seq}#${event.attempt}`;
      if (!this.#log.persistedAttempts.has(key)) this.#log.persistedAttempts.set(key, this.#log.crashes.length);
    }
  }

  #crash(commit: number, timing: CrashTiming, runCommit: RunCommit): never {
    this.#crashed = true;
    this.#log.crashes.push({ commit, timing, runId: runCommit.runId, events: runCommit.events });
    throw new SimulatedCrash();
  }
}
