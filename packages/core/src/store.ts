// The Store interface: what the engine needs from a durable backend, as plain data. No SQL here.
// Every write is atomic; every store (SQLite today, Postgres later) passes the same conformance suite.
import type { EventRecord } from "./events.js";
import type { RunTags } from "./tags.js";

/**
 * Where a run is in its life. `blocked` runs wait for fixed code; the last three are final.
 *
 * @example
 * const waiting = await engine.listRuns({ status: "waiting" });
 */
export type RunStatus =
  "pending" | "running" | "sleeping" | "waiting" | "completed" | "failed" | "cancelled" | "blocked";

/** Every status, in lifecycle order. */
export const RUN_STATUSES: readonly RunStatus[] = Object.freeze([
  "pending",
  "running",
  "sleeping",
  "waiting",
  "completed",
  "failed",
  "cancelled",
  "blocked",
]);

/** Statuses a run never leaves. */
export const FINISHED_STATUSES: ReadonlySet<RunStatus> = new Set(["completed", "failed", "cancelled"]);

/**
 * What a run is waiting for: a durable timer, the backoff before a step's next attempt, or a signal.
 *
 * @example
 * if (info.waitingFor?.kind === "signal") console.log(`send '${info.waitingFor.name}'`);
 */
export type WaitInfo =
  | { readonly kind: "timer" }
  | { readonly kind: "retry"; readonly step: string }
  | { readonly kind: "signal"; readonly name: string }
  | { readonly kind: "child"; readonly id: string };

/**
 * What happens to an unfinished child run when its parent is cancelled: cancelled with it, or left running.
 *
 * @example
 * const policy: ParentCancelPolicy = "abandon";
 * yield* startChild(audit, order, { onParentCancel: policy });
 */
export type ParentCancelPolicy = "cancel" | "abandon";

/**
 * What makes a parked run due, as data: the one wake rule every store implements. A run released with a wake
 * set is due at `atMs` (if set), or as soon as any signal named in `signals` is in its inbox (one sent before
 * the release counts: the run is then due at once), or as soon as any run listed in `children` has finished
 * (likewise), or when its cancellation is requested. A run released without a wake set is due only on
 * cancellation. Spurious wake-ups are harmless (the engine parks the run again); missed ones are bugs.
 *
 * @example
 * const wake: WakeSet = { atMs: deadline, signals: ["approved"], children: ["order-1/4"] };
 */
export interface WakeSet {
  readonly atMs?: number | undefined;
  readonly signals?: readonly string[] | undefined;
  readonly children?: readonly string[] | undefined;
}

/**
 * A workflow an engine serves: its name and the version of its definition. The store's scheduling filters take
 * these pairs, so that a run is only ever claimed by an engine that has the code of the version it started on.
 *
 * @example
 * await store.claimDueRuns({ owner, nowMs, leaseMs, limit: 10, workflows: [{ name: "order", version: 2 }] });
 */
export interface ServedWorkflow {
  readonly name: string;
  readonly version: number;
}

/** A run's row: the projection of its log that schedulers and tools read. Values are encoded text. */
export interface RunRecord {
  readonly id: string;
  readonly workflow: string;
  /** The version of the workflow's definition the run started on (1 for unversioned definitions). */
  readonly version: number;
  /**
   * The run's current generation: 1, plus one for each `continueAsNew`. `lastSeq` and the events `readEvents`
   * returns by default belong to it; earlier generations stay readable by number.
   */
  readonly generation: number;
  readonly status: RunStatus;
  readonly input: string;
  readonly result?: string | undefined;
  readonly error?: string | undefined;
  readonly waitingFor?: WaitInfo | undefined;
  readonly wakeAtMs?: number | undefined;
  readonly reason?: string | undefined;
  readonly cancelRequested: boolean;
  readonly cancelReason?: string | undefined;
  /** What wakes the run while it is parked (see WakeSet); undefined while it runs or after it ended. */
  readonly wake?: WakeSet | undefined;
  /** The run that started this one as a child, if any. */
  readonly parentId?: string | undefined;
  /** The run's tags (start's, changed by commits' `tags`); undefined or `{}` when it has none. Schema version 8. */
  readonly tags?: RunTags | undefined;
  readonly lastSeq: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly finishedAtMs?: number | undefined;
  /** The queue the run was started in (see QueueLimits), if any. */
  readonly queue?: string | undefined;
  /** The run's key within its queue (per-key limits), if any. */
  readonly queueKey?: string | undefined;
  /** The run's priority within its queue: lower runs first; 0 unless set (also for runs without a queue). */
  readonly priority?: number | undefined;
}

/** The part of a run record that says how it ended, still encoded: all `result()` needs to read. */
export type RunOutcomeRecord = Pick<RunRecord, "status" | "result" | "error" | "reason">;

/** A run to create, with its `run_started` event (seq 1). */
export interface NewRun {
  readonly id: string;
  readonly workflow: string;
  /** The version of the definition it starts on; default 1. */
  readonly version?: number | undefined;
  readonly input: string;
  readonly startedEvent: EventRecord;
  readonly nowMs: number;
  /**
   * Creates the run already claimed by `owner` (status `running`, a lease of `leaseMs`; see the lease clock on Store), as if
   * `claimDueRuns` had taken it in the same write: an engine that serves the workflow and has a free slot
   * starts it without another commit. If the lease lapses the run is due, like any claimed run.
   */
  readonly lease?: { readonly owner: string; readonly leaseMs: number } | undefined;
  /** Set for a child run: its parent, and whether cancelling the parent cancels it (`"cancel"`) or not. */
  readonly parent?: { readonly runId: string; readonly onParentCancel: ParentCancelPolicy } | undefined;
  /** The queue the run belongs to for good (claimed by the queue rules of ClaimRequest.queues). */
  readonly queue?: string | undefined;
  /** The run's key within its queue, for per-key limits; only with `queue`. */
  readonly queueKey?: string | undefined;
  /** Orders the due runs of its queue: lower first; default 0. */
  readonly priority?: number | undefined;
  /**
   * A delayed start: the run is created `pending` and first due at `dueAtMs` instead of `nowMs` (never with
   * `lease`). The run's id stays the de-duplication key: a second create with the same id returns the run as is.
   */
  readonly dueAtMs?: number | undefined;
  /** The run's first tags (checked by the engine: see MAX_TAGS); a run created without them has none. */
  readonly tags?: RunTags | undefined;
}

/** The projection written together with a commit's events. */
export interface RunUpdate {
  readonly status: RunStatus;
  readonly waitingFor?: WaitInfo | undefined;
  readonly wakeAtMs?: number | undefined;
  readonly result?: string | undefined;
  readonly error?: string | undefined;
  readonly reason?: string | undefined;
  /**
   * Give up the lease. The run is then picked up again as its `wake` set says (see WakeSet), or on
   * cancellation; an unfinished run released without `wake` is due only on cancellation.
   */
  readonly release: boolean;
  readonly wake?: WakeSet | undefined;
}

/** One atomic write by the engine that holds a run's lease. */
export interface RunCommit {
  readonly runId: string;
  readonly owner: string;
  /** The run's last seq before these events; a mismatch means someone else wrote (LeaseLostError). */
  readonly expectedLastSeq: number;
  readonly events: readonly EventRecord[];
  /** Inbox positions of signals the events consume, with the seq of the `signal_received` event of each. */
  readonly consumedSignals: readonly { readonly position: number; readonly seq: number }[];
  readonly update: RunUpdate;
  readonly nowMs: number;
  /**
   * Child runs to create in the same write (each as `createRun` would; one whose id exists already is left as
   * it is). Their `parent` is this run.
   */
  readonly startChildren?: readonly NewRun[] | undefined;
  /** Runs whose cancellation to request in the same write, as `requestCancel` would; finished or unknown ones are skipped. */
  readonly cancelRuns?: readonly { readonly runId: string; readonly reason: string | undefined }[] | undefined;
  /**
   * The run continues as new (`continueAsNew`): `events` end the current generation (its last is
   * `run_continued`), and in the same write the store keeps that generation's events readable under its number,
   * starts the next generation with `startedEvent` (seq 1) and `input` as the run's input, and applies `update`
   * to the run in its new generation. The run's id, inbox (unconsumed signals), children and cancellation
   * request are kept.
   */
  readonly continueAsNew?: { readonly input: string; readonly startedEvent: EventRecord } | undefined;
  /**
   * Changes to the run's tags (`setTags()`), applied in the same write: a string sets the key, `null` removes it.
   * The tags a run has are what `RunSelection.tags` matches from the moment the write commits; they are kept
   * across `continueAsNew`.
   */
  readonly tags?: Readonly<Record<string, string | null>> | undefined;
}

/** A signal waiting in a run's inbox. `position` orders signals first in, first out. */
export interface SignalRecord {
  readonly position: number;
  readonly signalId: string;
  readonly name: string;
  readonly payload: string;
  readonly sentAtMs: number;
}

/** A signal still in a run's inbox, without its payload: what `getRun` lists as `pendingSignals`. */
export interface PendingSignalRecord {
  readonly position: number;
  readonly signalId: string;
  readonly name: string;
  readonly sentAtMs: number;
}

/** How a blocked episode ended: `retried`, an engine serving the workflow made the run pending again. */
export type BlockedEpisodeEnd = "retried" | "force-cancelled";

/** How many blocked episodes a store keeps per run, at most: the newest ones (a run blocked again and again). */
export const MAX_BLOCKED_EPISODES_KEPT = 20;

/**
 * One stretch of time during which a run was `blocked`, as `blockedEpisodes` reports it. Blocking records
 * nothing in the run's event log (the log holds only what the workflow did), so the store keeps these apart.
 *
 * @example
 * for (const episode of await store.blockedEpisodes("order-1")) {
 *   console.log(episode.blockedAtMs, episode.endedAtMs ?? "still blocked", episode.reason);
 * }
 */
export interface BlockedEpisodeRecord {
  /** When the commit that blocked the run was made (its `nowMs`). */
  readonly blockedAtMs: number;
  /** The run's last seq when it was blocked: the episode comes after that event. */
  readonly lastSeq: number;
  /** The run's `reason` while blocked: `"<ErrorName>: <message>"`. */
  readonly reason: string;
  /** When the run left `blocked` (the `nowMs` of that write); undefined while the episode is open. */
  readonly endedAtMs?: number | undefined;
  readonly endedBy?: BlockedEpisodeEnd | undefined;
}

/**
 * One page of `parkedRuns`.
 *
 * @example
 * let cursor = 0;
 * for (let page = await store.parkedRuns([{ name: "order", version: 1 }], 0, 100); page.runs.length > 0; ) {
 *   cursor = page.cursor;
 *   page = await store.parkedRuns([{ name: "order", version: 1 }], cursor, 100);
 * }
 */
export interface ParkedRunsPage {
  readonly runs: readonly RunRecord[];
  readonly cursor: number;
}

/** What `blockParkedRun` needs: the run, the last seq it was checked at, and why it is blocked. */
export interface ParkedRunBlock {
  readonly runId: string;
  readonly expectedLastSeq: number;
  /** `"<ErrorName>: <message>"`. */
  readonly reason: string;
  /** The encoded blocking error. */
  readonly error: string;
  readonly nowMs: number;
}

/** A signal to store. */
export interface NewSignal {
  readonly runId: string;
  readonly signalId: string;
  readonly name: string;
  readonly payload: string;
  readonly nowMs: number;
}

/**
 * A rate limit as stores enforce it: at most `limit` execution starts in any window of `periodMs` (a sliding
 * window: a claim at `nowMs` counts the starts recorded in (nowMs - periodMs, nowMs]).
 *
 * @example
 * const rate: RateLimit = { limit: 100, periodMs: 60_000 };
 */
export interface RateLimit {
  readonly limit: number;
  readonly periodMs: number;
}

/**
 * The flow-control limits of one queue, as the claiming engine configures them (EngineOptions.queues), passed
 * to the store in every ClaimRequest. Every field is optional; a queue with none is only priority-ordered.
 *
 * @example
 * const queues: Record<string, QueueLimits> = { email: { concurrency: 20, rateLimit: { limit: 100, periodMs: 60_000 } } };
 */
export interface QueueLimits {
  /** Most runs of the queue executing at once, across every engine on the store. */
  readonly concurrency?: number | undefined;
  /** Most runs with the same `queueKey` executing at once (runs without a key are not limited by it). */
  readonly perKeyConcurrency?: number | undefined;
  /** Most execution starts of the queue per period. */
  readonly rateLimit?: RateLimit | undefined;
  /** Most execution starts per period of runs with the same `queueKey`. */
  readonly perKeyRateLimit?: RateLimit | undefined;
}

/**
 * A request for due runs.
 *
 * **Queues.** A run created with a `queue` is claimed by its queue's rules; a run without one by due time only.
 * The due runs of one queue are claimed in order of `priority` (lower first), then due time, then creation
 * (first in, first out), whatever queue limits apply. For a queue named in `queues`, a claim takes a run only if,
 * counted inside the same atomic claim (so that concurrent claimers of any process never exceed a limit together):
 * - `concurrency`: the queue's runs that are `running` with a live lease (lease clock), plus the runs this claim
 *   takes, stay within the limit. Parked runs (sleeping, waiting), blocked and pending runs hold no slot;
 * - `perKeyConcurrency`: the same, counting only the runs with the run's `queueKey`;
 * - `rateLimit` / `perKeyRateLimit`: the starts recorded for the queue (for the key) in the sliding window
 *   (nowMs - periodMs, nowMs] of the caller's clock, plus this claim's, stay within `limit`. The claim records a
 *   start at `nowMs` for each run it takes of a queue with a rate limit in `queues` (and may forget starts older
 *   than the longest period it was given for that queue).
 * A queue missing from `queues` has no limits for this claim. Each claim enforces the limits of its own request:
 * engines that disagree about a queue's limits each apply their own view when they claim. A claim that cannot
 * take every run it could takes from the runs without a queue and from each queue in turn (one each, round robin),
 * so that none starves the others.
 * A claim may step over at most MAX_QUEUE_SCAN due runs per queue whose key is at its limit; runs beyond them wait
 * for a later claim. A due run whose cancellation was requested is taken whatever its queue's limits say, and
 * records no start: it only winds down, and a full queue must not hold up its cancellation.
 */
export interface ClaimRequest {
  readonly owner: string;
  readonly nowMs: number;
  readonly leaseMs: number;
  readonly limit: number;
  readonly workflows: readonly ServedWorkflow[];
  /** Limits of the queues the claimer configures, by queue name (see above); absent: no queue has limits. */
  readonly queues?: Readonly<Record<string, QueueLimits>> | undefined;
}

/** How many due runs of keys at their limit a claim steps over per queue, at most (see ClaimRequest). */
export const MAX_QUEUE_SCAN = 1_000;

/** What a lease renewal learns about a held run. */
export interface LeaseStatus {
  readonly runId: string;
  readonly cancelRequested: boolean;
  readonly cancelReason?: string | undefined;
}

/**
 * A run that ended, as `finishedRunsSince` reports it: its id, its outcome (still encoded) and its position in
 * the store's order of run endings.
 *
 * @example
 * const { runs } = await store.finishedRunsSince(cursor, 500);
 * for (const run of runs) console.log(run.runId, run.outcome.status, run.position);
 */
export interface FinishedRunRecord {
  readonly runId: string;
  readonly outcome: RunOutcomeRecord;
  readonly position: number;
}

/**
 * One answer of `finishedRunsSince`: the runs that ended after the cursor, and the cursor to pass next.
 *
 * @example
 * let cursor = (await store.finishedRunsSince(0, 0)).cursor; // "from now on"
 * const page = await store.finishedRunsSince(cursor, 500);
 * cursor = page.cursor;
 */
export interface FinishedRunsPage {
  /** Runs whose ending has a position greater than the cursor passed in, in position order, at most `limit`. */
  readonly runs: readonly FinishedRunRecord[];
  /**
   * Where the next call continues: the position of the last run in `runs`; when `runs` is empty, the greater of
   * the cursor passed in and the latest position the store has assigned (so `limit` 0 asks "where is now?").
   */
  readonly cursor: number;
}

/**
 * The process that holds leases under an owner name, recorded so that an engine on the same machine can tell,
 * after a crash, that the holder is provably gone (its pid no longer exists in the same boot) and take
 * its runs over at once instead of waiting for the leases to expire. Identity fields a platform cannot tell
 * are undefined; a rule that needs one does not apply.
 *
 * @example
 * await store.registerLeaseHolder({ owner, host: "worker-1", bootId, pidNamespace, pid: process.pid }, nowMs);
 */
export interface LeaseHolder {
  readonly owner: string;
  /** The machine's name (os.hostname()). Only holders with the same host are ever checked for liveness. */
  readonly host: string;
  /** The machine's installation id (Linux: /etc/machine-id), telling apart machines that share a hostname. */
  readonly machineId?: string | undefined;
  /** The machine's current boot (Linux: /proc/sys/kernel/random/boot_id); it changes on every reboot. */
  readonly bootId?: string | undefined;
  /** The pid namespace `pid` belongs to (Linux: /proc/self/ns/pid); containers have their own. */
  readonly pidNamespace?: string | undefined;
  readonly pid: number;
}

/**
 * Which runs a list, a count or a bulk action is about. Every filter given must match; an empty `statuses`
 * matches nothing. The order of runs, where it matters, is newest first: `createdAtMs` descending, then `id`
 * descending.
 *
 * @example
 * const selection: RunSelection = { statuses: ["waiting"], tags: { customer: "7" }, createdAfterMs: Date.parse("2026-12-01") };
 */
export interface RunSelection {
  readonly statuses?: readonly RunStatus[] | undefined;
  readonly workflow?: string | undefined;
  /** Only children of this run. */
  readonly parent?: string | undefined;
  /** Only runs that started on this version of their workflow. */
  readonly version?: number | undefined;
  /** Only runs started in this queue. */
  readonly queue?: string | undefined;
  /** Only runs that have every one of these tags with exactly this value. */
  readonly tags?: RunTags | undefined;
  /** Only runs created at or after this time (epoch ms). */
  readonly createdAfterMs?: number | undefined;
  /** Only runs created before this time (epoch ms): with `createdAfterMs`, a half-open window. */
  readonly createdBeforeMs?: number | undefined;
  /** Only runs that finished before this time (epoch ms); unfinished runs never match. */
  readonly finishedBeforeMs?: number | undefined;
}

/** Filters of `listRuns`: a selection, where to continue (keyset paging), and how many runs at most. */
export interface RunFilter extends RunSelection {
  /** Only runs after this one in the list's order (the last run of the page before); see RunSelection. */
  readonly after?: { readonly createdAtMs: number; readonly id: string } | undefined;
  readonly limit: number;
}

/**
 * One batch of `requestCancelMany`: which runs, why, and how many at most.
 *
 * @example
 * const { runIds } = await store.requestCancelMany({ selection: { tags: { customer: "7" } }, reason, nowMs, limit: 500 });
 */
export interface CancelManyRequest {
  readonly selection: RunSelection;
  readonly reason: string | undefined;
  readonly nowMs: number;
  readonly limit: number;
  /** Only runs after this one, oldest first (the `last` of the batch before): each batch reads only new rows. */
  readonly after?: { readonly createdAtMs: number; readonly id: string } | undefined;
}

/**
 * One batch of `purgeRuns`: runs that finished with one of `statuses` before `finishedBeforeMs`, at most `limit`.
 *
 * @example
 * const purged = await store.purgeRuns({ statuses: ["completed"], finishedBeforeMs: nowMs - 7 * 86_400_000, limit: 500 });
 */
export interface PurgeRequest {
  readonly statuses: readonly ("completed" | "failed" | "cancelled")[];
  readonly finishedBeforeMs: number;
  readonly limit: number;
}

/**
 * What another process (or another engine on the same store) changed, as a store's change notifications report
 * it (`Store.watchChanges`). A hint to look again, never the data itself:
 *
 * - `runsDue`: runs became claimable (created, signalled, cancelled, woken by a child's end, released, retried),
 *   now, or at `atMs` (by the writer's clock) when given; `workflows`, when given, names every workflow they
 *   belong to (absent: any workflow).
 * - `runsEnded`: runs finished; waiters of `result()` read `finishedRunsSince` again.
 * - `runsWoken`: a signal reached these runs' inboxes, or a child they may wait for ended: an engine executing
 *   one of them looks at its inbox again (it may be waiting in memory, not parked).
 * - `cancelRequested`: cancellation was requested for these runs: an engine executing one delivers it now,
 *   without waiting for its next lease renewal.
 *
 * @example
 * const subscription = await store.watchChanges?.((change) => {
 *   if (change.kind === "runsDue") console.log("runs due", change.atMs ?? "now", change.workflows ?? "any");
 * }, console.error);
 */
export type StoreChange =
  | {
      readonly kind: "runsDue";
      readonly atMs?: number | undefined;
      readonly workflows?: readonly string[] | undefined;
    }
  | { readonly kind: "runsEnded" }
  | { readonly kind: "runsWoken"; readonly runIds: readonly string[] }
  | { readonly kind: "cancelRequested"; readonly runIds: readonly string[] };

/**
 * A subscription to a store's change notifications (`Store.watchChanges`); `close()` ends it (idempotent).
 *
 * @example
 * const subscription = await store.watchChanges?.(onChange, onError);
 * await subscription?.close();
 */
export interface ChangeSubscription {
  close(): Promise<void>;
}

/**
 * What a schedule does when a fire time comes while its previous run is unfinished: `skip` that fire time,
 * `bufferOne` (start one run as soon as the previous one ends; further fire times meanwhile are skipped), or
 * `allowAll` (start it anyway, whatever is running).
 *
 * @example
 * const overlap: ScheduleOverlapPolicy = "bufferOne";
 */
export type ScheduleOverlapPolicy = "skip" | "bufferOne" | "allowAll";

/**
 * Which fire times missed while no engine was running (or the schedule's workflow was not served) are started
 * once an engine gets to them: `none`, only the `latest`, or `all` (the newest `catchUpLimit` of them).
 *
 * @example
 * const catchUp: ScheduleCatchUpPolicy = "latest";
 */
export type ScheduleCatchUpPolicy = "none" | "latest" | "all";

/**
 * A schedule's mutable fields as the store keeps them. The store computes nothing from them (fire times come from
 * the engine, which parses `cron`); it stores them, compares revisions, and answers which schedules are due.
 *
 * @example
 * const state: ScheduleState = { workflow: "report", input: "{}", cron: "0 3 * * *", timezone: "Europe/Berlin",
 *   overlap: "skip", catchUp: "latest", catchUpLimit: 100, paused: false, nextFireAtMs: Date.UTC(2030, 0, 1, 2) };
 */
export interface ScheduleState {
  readonly workflow: string;
  /** The encoded input of every run the schedule starts. */
  readonly input: string;
  readonly cron: string;
  /** An IANA time zone name, e.g. `Europe/Berlin`. */
  readonly timezone: string;
  readonly overlap: ScheduleOverlapPolicy;
  readonly catchUp: ScheduleCatchUpPolicy;
  readonly catchUpLimit: number;
  readonly paused: boolean;
  /** The next fire time not yet handled; undefined while paused, or when the cron expression has no more times. */
  readonly nextFireAtMs?: number | undefined;
  /** A fire time held back by `bufferOne` until the previous run ends. */
  readonly bufferedFireAtMs?: number | undefined;
  /** The run the schedule started last (the one overlap policies look at). */
  readonly lastRunId?: string | undefined;
  /** The fire time of the last run the schedule started from its cron expression. */
  readonly lastFireAtMs?: number | undefined;
}

/**
 * A stored schedule. `revision` is 1 when created and grows by one with every applied `updateSchedule`: writers
 * compare it, so that two engines never both act on the same state (see Store.updateSchedule).
 *
 * @example
 * const schedule = await store.getSchedule("nightly-report");
 * console.log(schedule?.nextFireAtMs, schedule?.revision);
 */
export interface ScheduleRecord extends ScheduleState {
  readonly id: string;
  readonly revision: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/**
 * A schedule to create.
 *
 * @example
 * await store.createSchedule({ id: "nightly-report", ...state, nowMs: Date.now() });
 */
export interface NewSchedule extends ScheduleState {
  readonly id: string;
  readonly nowMs: number;
}

/**
 * One compare-and-set write of a schedule (`Store.updateSchedule`): the whole new state, applied only if the
 * schedule still has `expectedRevision`, together with the runs it starts.
 *
 * @example
 * await store.updateSchedule({ id, expectedRevision: schedule.revision, state: { ...schedule, paused: true,
 *   nextFireAtMs: undefined }, nowMs });
 */
export interface ScheduleUpdate {
  readonly id: string;
  readonly expectedRevision: number;
  readonly state: ScheduleState;
  /** Runs to create in the same write, each as `createRun` would (an existing id is left as it is). */
  readonly startRuns?: readonly NewRun[] | undefined;
  readonly nowMs: number;
}

/**
 * What `Store.updateSchedule` did: `applied` false leaves everything as it was (`schedule` is then the current
 * one, or undefined when the schedule no longer exists); `runs` answers `startRuns` in order.
 *
 * @example
 * const { applied, schedule } = await store.updateSchedule(update);
 * if (!applied) console.log("another writer got there first; now at revision", schedule?.revision);
 */
export interface ScheduleUpdateResult {
  readonly applied: boolean;
  readonly schedule?: ScheduleRecord | undefined;
  readonly runs: readonly { readonly created: boolean; readonly run: RunRecord }[];
}

/**
 * A durable backend for runs, events and signals. Implementations must make each method atomic and
 * raise the documented errors; `describeStoreConformance` (@reprise/store-conformance) checks them.
 *
 * **Clocks.** Due times, wake-up times and timestamps are the caller's (`nowMs`, `wakeAtMs`: the engine's clock).
 * Lease expiry is the store's decision, on its **lease clock**: a store that engines on several hosts share
 * judges leases by one clock of its own (PostgresStore: the database server's), so that hosts whose clocks are
 * minutes apart never take a live lease from each other; a store on one machine may use the `nowMs` it is given
 * (SqliteStore). Fencing does not depend on either: a commit is refused (LeaseLostError) unless its `owner`
 * still holds the lease and the log still ends at `expectedLastSeq`, so a holder whose lease passed to another
 * engine can never write again, whatever its clock says.
 *
 * A write method's promise settles only once its effect is durable. Implementations may commit writes made
 * concurrently (e.g. by many runs at once) in one transaction (group commit), as long as each write stays
 * atomic, sees the writes requested before it, and fails alone: SqliteStore does this.
 *
 * @example
 * const store: Store = await SqliteStore.open({ filename: "reprise.db" });
 */
export interface Store {
  /** Creates the run and its first event, or returns the existing run with that id (`created: false`). */
  createRun(run: NewRun): Promise<{ created: boolean; run: RunRecord }>;
  /**
   * Creates many runs in one atomic write: each as `createRun` would, in order (an id that exists, or that came
   * earlier in the list, gives that run with `created: false`), the answers in the same order. If an id belongs
   * to a run of another workflow (stored, or earlier in the list), throws RunIdConflictError and writes nothing.
   */
  createRuns(runs: readonly NewRun[]): Promise<{ created: boolean; run: RunRecord }[]>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  /** The run's status and outcome columns only (not its input), or undefined for an unknown id. */
  getRunOutcome(runId: string): Promise<RunOutcomeRecord | undefined>;
  /**
   * Runs that ended (completed, failed or cancelled) after `cursor`, oldest ending first, at most `limit`; see
   * FinishedRunsPage for the cursor to pass next. A store gives each run a position when the write that ends it
   * commits, in commit order, so a reader that has seen position p never later sees a run end at a position
   * ≤ p: positions are a change sequence, not a time, and clocks of different processes do not matter.
   */
  finishedRunsSince(cursor: number, limit: number): Promise<FinishedRunsPage>;
  /**
   * Runs matching the filter (see RunSelection), newest first (`createdAtMs` descending, then `id` descending),
   * after `filter.after` when given, at most `limit`. A store indexes tags so that a tag filter reads only the
   * runs that have the tag (and walks them in this order), never every run.
   */
  listRuns(filter: RunFilter): Promise<RunRecord[]>;
  /** How many runs match the selection, per status (statuses without runs are 0). Read-only; one consistent read. */
  countRuns(selection: RunSelection): Promise<Record<RunStatus, number>>;
  /**
   * One batch of a bulk cancellation: marks up to `limit` runs that match the selection, are unfinished and have no
   * cancellation requested yet (oldest first), each as `requestCancel` would (children cascade, due at once), in
   * one write, and returns their ids and the `(createdAtMs, id)` of the last one. Runs already marked are never
   * selected again, so calling it (with `after` set to the `last` of the batch before) until it returns fewer
   * than `limit` ids cancels every matching run, each exactly once, in bounded writes.
   */
  requestCancelMany(
    request: CancelManyRequest,
  ): Promise<{ runIds: string[]; last?: { createdAtMs: number; id: string } | undefined }>;
  /**
   * One batch of retention: deletes up to `limit` finished runs (oldest ending first) whose status is one of
   * `statuses` and that finished before `finishedBeforeMs`, with everything kept for them (events of every
   * generation, signals, blocked episodes, tags), in one write; returns how many it deleted. Never touches an
   * unfinished run, and keeps references consistent: a run is left alone while its parent is unfinished (the parent
   * may still ask for its outcome) or while any of its children is unfinished (the child still names it).
   */
  purgeRuns(request: PurgeRequest): Promise<number>;
  /**
   * Events with seq > afterSeq, in order, of the run's current generation, or of `generation` when given (`[]`
   * for a generation the store does not hold).
   */
  readEvents(runId: string, afterSeq?: number, generation?: number): Promise<EventRecord[]>;
  /**
   * Appends events, consumes signals, updates the run, creates `startChildren` and requests `cancelRuns`, in one
   * atomic write; throws LeaseLostError unless `owner` holds the lease. A commit that ends a child run (completed,
   * failed, cancelled) makes its parent due if the parent's wake set lists the child.
   */
  commit(commit: RunCommit): Promise<void>;
  /**
   * Stores a signal; a repeated `signalId` is ignored (`duplicate: true`), also once the run has finished.
   * Throws RunNotFoundError, or RunFinishedError for a new signal to a finished run.
   */
  sendSignal(signal: NewSignal): Promise<{ duplicate: boolean }>;
  /** The oldest unconsumed signal named `name` with position > afterPosition. */
  nextSignal(runId: string, name: string, afterPosition: number): Promise<SignalRecord | undefined>;
  /**
   * The run's unconsumed signals of every name, oldest first (by position), at most `limit`, without payloads;
   * `[]` for an unknown run. Read-only; lets tools show signals that no `awaitSignal` has taken (e.g. a misnamed one).
   */
  pendingSignals(runId: string, limit: number): Promise<PendingSignalRecord[]>;
  /** Ids of the runs created as children of `runId`, oldest first, at most `limit`; `[]` for none or an unknown run. */
  childrenOf(runId: string, limit: number): Promise<string[]>;
  /**
   * Marks the run for cancellation (idempotent) and makes it due. In the same write, every unfinished child run
   * created with `onParentCancel: "cancel"` is marked too, and theirs in turn. Throws RunNotFoundError /
   * RunFinishedError.
   */
  requestCancel(runId: string, reason: string | undefined, nowMs: number): Promise<void>;
  /**
   * Leases up to `limit` due runs (`dueAtMs <= nowMs`) of the given workflows (name and version must both match)
   * whose lease is free or has expired, for `leaseMs` on the store's lease clock, and marks them `running`.
   * Concurrent claims never return the same run.
   */
  claimDueRuns(request: ClaimRequest): Promise<RunRecord[]>;
  /** Extends the owner's leases by `leaseMs` from now (lease clock); runs missing from the answer are no longer held. */
  renewLeases(owner: string, runIds: readonly string[], nowMs: number, leaseMs: number): Promise<LeaseStatus[]>;
  /** Gives up leases without recording anything; the runs are due again at once. */
  releaseLeases(owner: string, runIds: readonly string[], nowMs: number): Promise<void>;
  /** Records (or replaces) the process behind a lease owner name; an engine calls it before it holds leases. */
  registerLeaseHolder(holder: LeaseHolder, nowMs: number): Promise<void>;
  /** The lease holders recorded with this `host`, in no particular order. */
  leaseHoldersOn(host: string): Promise<LeaseHolder[]>;
  /**
   * For owners an engine proved dead: every lease one of them still holds expires now (the run becomes
   * claimable at once; its log and projection do not change), and their holder records are forgotten. Leases
   * held by anyone else are never touched. Returns how many leases expired.
   */
  expireLeasesOf(owners: readonly string[], nowMs: number): Promise<number>;
  /**
   * Earliest time a run of these workflows becomes due, if any. With `limits` (the queue limits a claim at
   * `nowMs` would pass), a due run that such a claim would not take is left out: one of a queue whose concurrency
   * is used up (a slot frees only with a write), and one held back by a rate limit until the window may admit a
   * start again (then that time counts). An answer may be early (spurious wake-ups are harmless), never late for
   * a run such a claim would take, and never `<= nowMs` unless such a claim would take a run.
   */
  nextDueAtMs(
    workflows: readonly ServedWorkflow[],
    limits?: { readonly queues: Readonly<Record<string, QueueLimits>>; readonly nowMs: number },
  ): Promise<number | undefined>;
  /**
   * Sets the priority of the given runs that are in a queue and not finished, in one write; returns their ids
   * (unknown, finished and unqueued runs are skipped). Their next claims order them by the new priority.
   */
  setPriority(runIds: readonly string[], priority: number, nowMs: number): Promise<string[]>;
  /**
   * Makes `blocked` runs of these workflows due again (new code may fix them); returns how many. In the same
   * write, closes the open blocked episode of each of them (`endedAtMs` = `nowMs`, `endedBy` "retried").
   */
  retryBlockedRuns(workflows: readonly ServedWorkflow[], nowMs: number): Promise<number>;
  /**
   * The episodes during which the run was `blocked`, oldest first; `[]` for an unknown run. Every store keeps
   * them this way: a `commit` whose update has status `blocked` opens one in the same write (`blockedAtMs` =
   * the commit's `nowMs`, its `reason`, and the run's last seq after the commit), and drops the oldest beyond
   * MAX_BLOCKED_EPISODES_KEPT for that run; the write that makes the run leave `blocked` (`retryBlockedRuns`)
   * closes it. An open episode is the run's current block. A cancellation requested meanwhile does not end an
   * episode: the run stays blocked until it is retried, and acts on the cancellation then. Read-only.
   */
  blockedEpisodes(runId: string): Promise<BlockedEpisodeRecord[]>;
  /**
   * Parked runs (`sleeping` or `waiting`, no lease) of these workflows, in the store's order of creation,
   * starting after `cursor` (0: from the start), at most `limit`; `cursor` in the answer continues the walk
   * (it is the last run's position, or the cursor passed in when there are none). Read-only; an engine walks them
   * at start-up to find runs its code no longer replays before their timers or signals wake them.
   */
  parkedRuns(workflows: readonly ServedWorkflow[], cursor: number, limit: number): Promise<ParkedRunsPage>;
  /**
   * Blocks a parked run in place, as a `blocked` commit would (the run's `reason` and `error`, an open blocked
   * episode), but only if it is still parked (`sleeping` or `waiting`, no lease) at `expectedLastSeq`; returns
   * whether it did. Nothing is appended to its log.
   */
  blockParkedRun(block: ParkedRunBlock): Promise<boolean>;
  /**
   * Ends a `blocked` run as `cancelled` without running its code (`engine.cancel(id, { force: true })`): appends
   * `event` (a `run_cancelled` with `forced: true`, numbered after the run's last seq), records the run as
   * cancelled with `reason`, closes its open blocked episode (`endedBy` "force-cancelled"), requests the
   * cancellation of its children as `requestCancel` does, and wakes a parent waiting for it, in one write.
   * Throws RunNotFoundError, RunFinishedError for a finished run, RunNotBlockedError for any other status, and
   * LeaseLostError when the run's last seq is no longer the one before `event` (it moved on meanwhile).
   */
  forceCancelBlocked(runId: string, event: EventRecord, reason: string | undefined, nowMs: number): Promise<void>;
  /** Records that an engine serving these workflows (at these versions) is alive at `nowMs`. */
  registerWorkflows(workflows: readonly ServedWorkflow[], nowMs: number): Promise<void>;
  /** When an engine serving `workflow` (at `version`, or at any version when omitted) last reported in, if ever. */
  workflowLastSeenAtMs(workflow: string, version?: number): Promise<number | undefined>;
  /**
   * Optional: change notifications, so that engines learn of other processes' writes at once instead of at their
   * next poll. `onChange` receives StoreChanges for writes committed by any process on the store (this one too),
   * never for uncommitted ones; `onError` receives problems of the notification connection, which the store
   * re-establishes by itself. The promise resolves once the subscription is registered (the first connection may
   * still be under way; a failed attempt goes to `onError` and is retried).
   *
   * The rule for implementations: a change may be spurious, coalesced or late, and nothing may depend on it for
   * correctness (engines still poll every `pollIntervalMs`). But a store that implements this method delivers the
   * changes of writes committed by any process within tens of milliseconds while its notification connection is
   * up, and when that connection comes (back) up it delivers `runsDue` and `runsEnded` (anything may have
   * changed while it was down). A subscriber registered while the connection is up gets those two at once too,
   * covering the writes between its last look at the store and its registration.
   *
   * @example
   * const subscription = await store.watchChanges?.((change) => console.log(change.kind), console.error);
   * await subscription?.close();
   */
  watchChanges?(
    onChange: (change: StoreChange) => void,
    onError: (error: unknown) => void,
  ): Promise<ChangeSubscription>;
  /**
   * Schedules (engine.schedules). Creates the schedule with revision 1, or, when its id exists, changes nothing
   * and returns the stored one (`created: false`).
   */
  createSchedule(schedule: NewSchedule): Promise<{ created: boolean; schedule: ScheduleRecord }>;
  /** The schedule, or undefined for an unknown id. */
  getSchedule(id: string): Promise<ScheduleRecord | undefined>;
  /**
   * Schedules in order of id (by code point, the same on every store), starting after `afterId` when given, at
   * most `limit`. Read-only.
   */
  listSchedules(afterId: string | undefined, limit: number): Promise<ScheduleRecord[]>;
  /**
   * Compare and set, in one atomic write: if the schedule exists and its revision is `expectedRevision`, replaces
   * its state with `state`, increments its revision, sets `updatedAtMs` to `nowMs` and creates `startRuns` as
   * `createRuns` would (an id another workflow has throws RunIdConflictError and writes nothing). Otherwise writes
   * nothing and answers `applied: false`. Because the runs and the state that records them are one write, an
   * engine that fires a schedule either advances it and starts its runs, or does neither (a crash loses no fire
   * time), and of two engines acting on the same revision only one succeeds (no fire time starts twice).
   */
  updateSchedule(update: ScheduleUpdate): Promise<ScheduleUpdateResult>;
  /** Deletes the schedule (runs it started are kept); returns whether it existed. */
  deleteSchedule(id: string): Promise<boolean>;
  /**
   * Schedules of these workflows that are not paused and are due at `nowMs`: `nextFireAtMs <= nowMs`, or a
   * `bufferedFireAtMs` is set. Oldest `nextFireAtMs` first (buffered ones without one last), then by id; at most
   * `limit`. Read-only.
   */
  dueSchedules(workflows: readonly string[], nowMs: number, limit: number): Promise<ScheduleRecord[]>;
  /** The earliest `nextFireAtMs` of the schedules of these workflows that are not paused, if any. Read-only. */
  nextScheduleFireAtMs(workflows: readonly string[]): Promise<number | undefined>;
  close(): Promise<void>;
}
