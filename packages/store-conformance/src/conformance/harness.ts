// Shared plumbing of the store conformance suite: realistic records, claims and commits on any Store.
// Talks to the store only through the Store interface; never assumes SQL, files or a particular backend.
import {
  encodeValue,
  EVENT_LOG_FORMAT_VERSION,
  type EventRecord,
  type NewRun,
  type ParentCancelPolicy,
  type RunCommit,
  type WakeSet,
  type HistoryEvent,
  type NewEvent,
  type RunRecord,
  type ServedWorkflow,
  type RunUpdate,
  type Store,
} from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import { expect } from "vitest";

/**
 * What `makeStore` of `describeStoreConformance` returns for one test: a fresh, empty store.
 *
 * @example
 * const tmp = await temporaryStore();
 * const target: StoreConformanceTarget = { store: tmp.store, reopen: () => tmp.open(), cleanup: () => tmp.cleanup() };
 */
export interface StoreConformanceTarget {
  /** An empty store, used by one test. */
  readonly store: Store;
  /**
   * Opens another handle on the same data: a second connection, or the same database again after
   * `store.close()`. Optional; the tests that need it are skipped (and reported as skipped) without it.
   */
  readonly reopen?: () => Promise<Store>;
  /** Closes every handle (including those from `reopen`) and deletes the data. Called after each test. */
  readonly cleanup: () => Promise<void>;
}

/** What each group of tests gets: the current test's target, created fresh before every test. */
export interface ConformanceContext {
  target(): StoreConformanceTarget;
}

/** Base time of every test: 2030-01-01T00:00:00Z. Stores receive all times as arguments. */
export const T0 = Date.UTC(2030, 0, 1);
/** A lease long enough never to expire inside a test that does not mean it to. */
export const LONG_LEASE_MS = 60_000;

/** The lease of tests that cross a lease's end: real time passes in them (see RealTime). */
export const SHORT_LEASE_MS = 600;
/** How long past a lease's end those tests wait, for calls still in flight on a loaded machine. */
const LEASE_MARGIN_MS = 150;

/**
 * The caller's clock for tests that cross the end of a lease: T0 plus the real time elapsed since it was made.
 * A store may decide lease expiry by a clock of its own (a database shared by hosts whose clocks disagree
 * does), so these tests wait for real, and pass the times a caller on this machine would. A store that judges
 * leases by the `nowMs` it is given sees the same instants.
 *
 * @example
 * const time = new RealTime();
 * await harness.createClaimed("r1", { leaseMs: SHORT_LEASE_MS, nowMs: time.now() });
 * expect(await harness.claimIds(OWNER_B, await time.pastLease())).toEqual(["r1"]);
 */
export class RealTime {
  readonly #startedMs = performance.now();

  now(): number {
    return T0 + Math.ceil(performance.now() - this.#startedMs);
  }

  /** Waits `ms` of real time and returns the time then. */
  async wait(ms: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.now();
  }

  /** Waits out a lease of SHORT_LEASE_MS taken or renewed just now (plus a margin) and returns the time then. */
  pastLease(): Promise<number> {
    return this.wait(SHORT_LEASE_MS + LEASE_MARGIN_MS);
  }
}
export const WORKFLOW = "conformance-order";
export const OTHER_WORKFLOW = "conformance-invoice";
export const OWNER_A = "engine-a";

/** Workflows served at version 1, as the store's scheduling filters take them. */
export function served(...names: readonly string[]): ServedWorkflow[] {
  return names.map((name) => ({ name, version: 1 }));
}
export const OWNER_B = "engine-b";
const LIMIT_BYTES = 16 * 1024 * 1024;

/** The encoded input and `run_started` event of a run, as an engine would write them. */
export function startedRecord(workflow: string, input: unknown, atMs: number): { input: string; event: EventRecord } {
  const event: HistoryEvent = {
    type: "run_started",
    seq: 1,
    atMs,
    workflow,
    input,
    formatVersion: EVENT_LOG_FORMAT_VERSION,
  };
  return { input: encodeValue(input, "input", LIMIT_BYTES), event: encodeEvent(event, "input", LIMIT_BYTES) };
}

/** Encodes events for a commit, numbering them after `lastSeq`. */
export function records(lastSeq: number, events: readonly NewEvent[], atMs: number): EventRecord[] {
  return events.map((event, index) => encodeEvent({ ...event, seq: lastSeq + index + 1, atMs }, "event", LIMIT_BYTES));
}

/** Encodes a value the way an engine stores results, errors and payloads. */
export function encoded(value: unknown): string {
  return encodeValue(value, "value", LIMIT_BYTES);
}

/** Options of `Harness.commit`. */
export interface CommitOptions {
  readonly owner?: string;
  readonly events?: readonly NewEvent[];
  readonly update: RunUpdate;
  readonly nowMs: number;
  readonly consumedSignals?: readonly { position: number; seq: number }[];
  /** Defaults to the run's current lastSeq, read from the store. */
  readonly expectedLastSeq?: number;
  readonly startChildren?: RunCommit["startChildren"];
  readonly cancelRuns?: RunCommit["cancelRuns"];
  readonly continueAsNew?: RunCommit["continueAsNew"];
}

/** Small verbs over a Store that keep the tests about behaviour. */
export class Harness {
  constructor(readonly store: Store) {}

  /** Creates a run (due at `nowMs`) and returns its record. */
  async create(id: string, options: { workflow?: string; input?: unknown; nowMs?: number } = {}): Promise<RunRecord> {
    const { workflow = WORKFLOW, input = { id }, nowMs = T0 } = options;
    const started = startedRecord(workflow, input, nowMs);
    const { created, run } = await this.store.createRun({
      id,
      workflow,
      input: started.input,
      startedEvent: started.event,
      nowMs,
    });
    expect(created).toBe(true);
    return run;
  }

  /** Claims due runs for `owner`. */
  claim(
    owner: string,
    nowMs: number,
    options: { workflows?: readonly string[]; limit?: number; leaseMs?: number } = {},
  ): Promise<RunRecord[]> {
    const { workflows = [WORKFLOW, OTHER_WORKFLOW], limit = 100, leaseMs = LONG_LEASE_MS } = options;
    return this.store.claimDueRuns({ owner, nowMs, leaseMs, limit, workflows: served(...workflows) });
  }

  /** Ids of the runs `owner` can claim at `nowMs` (claiming them). */
  async claimIds(owner: string, nowMs: number, options: { workflows?: readonly string[]; limit?: number } = {}) {
    return (await this.claim(owner, nowMs, options)).map((run) => run.id).sort();
  }

  /** Creates a run and claims it for `owner`; fails the test if the claim does not return exactly it. */
  async createClaimed(
    id: string,
    options: { owner?: string; nowMs?: number; workflow?: string; leaseMs?: number } = {},
  ): Promise<RunRecord> {
    const { owner = OWNER_A, nowMs = T0, workflow = WORKFLOW, leaseMs = LONG_LEASE_MS } = options;
    await this.create(id, { workflow, nowMs });
    const claimed = await this.claim(owner, nowMs, { workflows: [workflow], leaseMs });
    expect(claimed.map((run) => run.id)).toEqual([id]);
    return claimed[0] as RunRecord;
  }

  /** Commits events (numbered after the run's lastSeq) and an update; returns the events written. */
  async commit(runId: string, options: CommitOptions): Promise<EventRecord[]> {
    const expectedLastSeq = options.expectedLastSeq ?? (await this.run(runId)).lastSeq;
    const events = records(expectedLastSeq, options.events ?? [], options.nowMs);
    await this.store.commit({
      runId,
      owner: options.owner ?? OWNER_A,
      expectedLastSeq,
      events,
      consumedSignals: options.consumedSignals ?? [],
      update: options.update,
      nowMs: options.nowMs,
      ...(options.startChildren === undefined ? {} : { startChildren: options.startChildren }),
      ...(options.cancelRuns === undefined ? {} : { cancelRuns: options.cancelRuns }),
      ...(options.continueAsNew === undefined ? {} : { continueAsNew: options.continueAsNew }),
    });
    return events;
  }

  /** Records one completed step of a held run, which stays `running` under the same lease. */
  async recordStep(runId: string, nowMs: number, owner = OWNER_A): Promise<void> {
    await this.commit(runId, {
      owner,
      events: [{ type: "step_completed", name: "a", attempt: 1, result: 1 }],
      update: { status: "running", release: false },
      nowMs,
    });
  }

  /** Claims (if needed) and parks a run the way an engine does when it sleeps until `wakeAtMs`. */
  async parkSleeping(runId: string, nowMs: number, wakeAtMs: number, owner = OWNER_A): Promise<void> {
    await this.commit(runId, {
      owner,
      events: [{ type: "timer_started", wakeAtMs }],
      update: { status: "sleeping", waitingFor: { kind: "timer" }, wakeAtMs, release: true, wake: { atMs: wakeAtMs } },
      nowMs,
    });
  }

  /** Parks a held run waiting for signal `name`, with an optional timeout. */
  async parkWaiting(runId: string, nowMs: number, name: string, timeoutAtMs?: number, owner = OWNER_A): Promise<void> {
    await this.commit(runId, {
      owner,
      events: [{ type: "signal_wait_started", name, timeoutAtMs }],
      update: {
        status: "waiting",
        waitingFor: { kind: "signal", name },
        wakeAtMs: timeoutAtMs,
        release: true,
        wake: { atMs: timeoutAtMs, signals: [name] },
      },
      nowMs,
    });
  }

  /** The NewRun of a child of `parentId`, as an engine puts it in the commit that records `child_started`. */
  childRun(id: string, parentId: string, nowMs: number, onParentCancel: ParentCancelPolicy = "cancel"): NewRun {
    const started = startedRecord(WORKFLOW, { id }, nowMs);
    return {
      id,
      workflow: WORKFLOW,
      input: started.input,
      startedEvent: started.event,
      nowMs,
      parent: { runId: parentId, onParentCancel },
    };
  }

  /** Parks a held run with a wake set, the way an engine parks a run waiting for several things at once. */
  async park(runId: string, nowMs: number, wake: WakeSet, owner = OWNER_A): Promise<void> {
    const waits = wake.signals !== undefined || wake.children !== undefined;
    await this.commit(runId, {
      owner,
      update: { status: waits ? "waiting" : "sleeping", wakeAtMs: wake.atMs, release: true, wake },
      nowMs,
    });
  }

  /** Ends a held run `completed`. */
  async complete(runId: string, nowMs: number, result: unknown = "done", owner = OWNER_A): Promise<void> {
    await this.commit(runId, {
      owner,
      events: [{ type: "run_completed", result }],
      update: { status: "completed", result: encoded(result), release: true },
      nowMs,
    });
  }

  /** Marks a held run `blocked` the way an engine does after a NonDeterminismError: no events. */
  async block(runId: string, nowMs: number, owner = OWNER_A): Promise<void> {
    await this.commit(runId, {
      owner,
      update: {
        status: "blocked",
        reason: "NonDeterminismError: conformance",
        error: encoded({ name: "NonDeterminismError", message: "conformance" }),
        release: true,
      },
      nowMs,
    });
  }

  /** Sends a signal and returns whether it was new. */
  async signal(runId: string, name: string, payload: unknown, nowMs: number, signalId = `${name}-${nowMs}`) {
    return this.store.sendSignal({ runId, signalId, name, payload: encoded(payload), nowMs });
  }

  /** The run's record; fails the test if it does not exist. */
  async run(runId: string): Promise<RunRecord> {
    const run = await this.store.getRun(runId);
    expect(run, `run '${runId}' should exist`).toBeDefined();
    return run as RunRecord;
  }

  /** Everything a failed write must leave untouched: the run's record and its events. */
  async snapshot(runId: string): Promise<{ run: RunRecord | undefined; events: EventRecord[] }> {
    return { run: await this.store.getRun(runId), events: await this.store.readEvents(runId) };
  }
}

/**
 * Asserts that `promise` rejects with a Reprise error of this `code` (e.g. "LEASE_LOST"). Matches on the
 * stable code rather than `instanceof`, so a store built against another copy of @reprise/core passes.
 */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const outcome = await promise.then(
    (value: unknown) => ({ resolved: value }),
    (error: unknown) => ({ rejected: error }),
  );
  expect(outcome, `expected a rejection with code ${code}`).toHaveProperty("rejected");
  expect((outcome as { rejected: unknown }).rejected).toMatchObject({ code });
}
