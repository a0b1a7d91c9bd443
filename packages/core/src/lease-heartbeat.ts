// The lease heartbeat: while runs execute, renews their leases every leaseMs/3 and learns of cancellations and
// lost leases. It arms a timer only while something is held, so an idle engine has no timers at all.
import type { Clock, TimerHandle } from "./clock.js";
import type { RunExecution } from "./run-execution.js";
import type { Store } from "./store.js";

/** What the heartbeat needs from its engine. */
export interface LeaseHeartbeatOptions {
  readonly clock: Clock;
  readonly store: Store;
  readonly owner: string;
  readonly leaseMs: number;
  /** The executions in progress, by run id. */
  readonly held: () => ReadonlyMap<string, RunExecution>;
  readonly onError: (error: unknown) => void;
}

/** Renews the leases of runs in progress; see the file header. */
export class LeaseHeartbeat {
  readonly #options: LeaseHeartbeatOptions;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(options: LeaseHeartbeatOptions) {
    this.#options = options;
  }

  /** Arms the next beat if runs are held and none is armed. */
  ensureRunning(): void {
    if (this.#timer === undefined) this.#schedule();
  }

  /** Disarms until the next `ensureRunning` (nothing is held any more). */
  pause(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Disarms for good (the engine shut down). */
  stop(): void {
    this.#stopped = true;
    this.pause();
  }

  #schedule(): void {
    if (this.#options.held().size === 0 || this.#stopped) {
      this.#timer = undefined;
      return;
    }
    const intervalMs = Math.max(1, Math.floor(this.#options.leaseMs / 3));
    this.#timer = this.#options.clock.setTimer(intervalMs, () => {
      this.#beat().then(
        () => this.#schedule(),
        (error: unknown) => {
          this.#options.onError(error);
          this.#schedule();
        },
      );
    });
  }

  async #beat(): Promise<void> {
    const { store, clock, owner, leaseMs } = this.#options;
    const held = this.#options.held();
    const runIds = [...held.keys()];
    if (runIds.length === 0) return;
    const statuses = await store.renewLeases(owner, runIds, clock.nowMs(), leaseMs);
    const stillHeld = new Set(statuses.map((status) => status.runId));
    for (const status of statuses) {
      if (status.cancelRequested) held.get(status.runId)?.requestCancel(status.cancelReason);
    }
    for (const runId of runIds) {
      if (!stillHeld.has(runId)) held.get(runId)?.abandon(`Engine lost the lease on run '${runId}'`);
    }
  }
}
