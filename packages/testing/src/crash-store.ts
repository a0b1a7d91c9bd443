// A Store wrapper that simulates a process crash at chosen commits: before the commit (nothing of it
// persists) or after it (it persists, but the engine never learns). From then on every call fails.
import type {
  BlockedEpisodeRecord,
  ClaimRequest,
  EventRecord,
  FinishedRunsPage,
  LeaseHolder,
  LeaseStatus,
  NewRun,
  NewSignal,
  PendingSignalRecord,
  RunCommit,
  RunFilter,
  RunOutcomeRecord,
  RunRecord,
  SignalRecord,
  Store,
} from "@reprise/core";

/** Where a crash hits relative to the commit it is planned at. */
export type CrashTiming = "before" | "after";

/** A crash that happened: which commit (1-based, counted over the whole scenario) and what it held. */
export interface CrashRecord {
  readonly commit: number;
  readonly timing: CrashTiming;
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
    if (timing === "after") this.#crash(index, timing, commit);
  }

  async claimDueRuns(request: ClaimRequest): Promise<RunRecord[]> {
    this.#alive();
    this.#log.owners.add(request.owner);
    return this.#inner.claimDueRuns(request);
  }

  async createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }> {
    this.#alive();
    if (run.lease !== undefined) this.#log.owners.add(run.lease.owner);
    return this.#inner.createRun(run);
  }
  async createRuns(runs: readonly NewRun[]): Promise<{ created: boolean; run: RunRecord }[]> {
    this.#alive();
    for (const run of runs) if (run.lease !== undefined) this.#log.owners.add(run.lease.owner);
    return this.#inner.createRuns(runs);
  }
  async getRun(runId: string): Promise<RunRecord | undefined> {
    this.#alive();
    return this.#inner.getRun(runId);
  }
  async getRunOutcome(runId: string): Promise<RunOutcomeRecord | undefined> {
    this.#alive();
    return this.#inner.getRunOutcome(runId);
  }
  async finishedRunsSince(cursor: number, limit: number): Promise<FinishedRunsPage> {
    this.#alive();
    return this.#inner.finishedRunsSince(cursor, limit);
  }
  async listRuns(filter: RunFilter): Promise<RunRecord[]> {
    this.#alive();
    return this.#inner.listRuns(filter);
  }
  async readEvents(runId: string, afterSeq?: number): Promise<EventRecord[]> {
    this.#alive();
    return this.#inner.readEvents(runId, afterSeq);
  }
  async sendSignal(signal: NewSignal): Promise<{ duplicate: boolean }> {
    this.#alive();
    return this.#inner.sendSignal(signal);
  }
  async nextSignal(runId: string, name: string, afterPosition: number): Promise<SignalRecord | undefined> {
    this.#alive();
    return this.#inner.nextSignal(runId, name, afterPosition);
  }
  async pendingSignals(runId: string, limit: number): Promise<PendingSignalRecord[]> {
    this.#alive();
    return this.#inner.pendingSignals(runId, limit);
  }
  async requestCancel(runId: string, reason: string | undefined, nowMs: number): Promise<void> {
    this.#alive();
    return this.#inner.requestCancel(runId, reason, nowMs);
  }
  async renewLeases(owner: string, runIds: readonly string[], nowMs: number, leaseMs: number): Promise<LeaseStatus[]> {
    this.#alive();
    return this.#inner.renewLeases(owner, runIds, nowMs, leaseMs);
  }
  async releaseLeases(owner: string, runIds: readonly string[], nowMs: number): Promise<void> {
    this.#alive();
    return this.#inner.releaseLeases(owner, runIds, nowMs);
  }
  async registerLeaseHolder(holder: LeaseHolder, nowMs: number): Promise<void> {
    this.#alive();
    return this.#inner.registerLeaseHolder(holder, nowMs);
  }
  async leaseHoldersOn(host: string): Promise<LeaseHolder[]> {
    this.#alive();
    return this.#inner.leaseHoldersOn(host);
  }
  async expireLeasesOf(owners: readonly string[], nowMs: number): Promise<number> {
    this.#alive();
    return this.#inner.expireLeasesOf(owners, nowMs);
  }
  async nextDueAtMs(workflows: readonly string[]): Promise<number | undefined> {
    this.#alive();
    return this.#inner.nextDueAtMs(workflows);
  }
  async retryBlockedRuns(workflows: readonly string[], nowMs: number): Promise<number> {
    this.#alive();
    return this.#inner.retryBlockedRuns(workflows, nowMs);
  }
  async blockedEpisodes(runId: string): Promise<BlockedEpisodeRecord[]> {
    this.#alive();
    return this.#inner.blockedEpisodes(runId);
  }
  async registerWorkflows(workflows: readonly string[], nowMs: number): Promise<void> {
    this.#alive();
    return this.#inner.registerWorkflows(workflows, nowMs);
  }
  async workflowLastSeenAtMs(workflow: string): Promise<number | undefined> {
    this.#alive();
    return this.#inner.workflowLastSeenAtMs(workflow);
  }
  async close(): Promise<void> {
    return this.#inner.close();
  }

  #alive(): void {
    if (this.#crashed) throw new SimulatedCrash();
  }

  #crash(commit: number, timing: CrashTiming, runCommit: RunCommit): never {
    this.#crashed = true;
    this.#log.crashes.push({ commit, timing, events: runCommit.events });
    throw new SimulatedCrash();
  }
}
