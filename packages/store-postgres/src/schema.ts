// Kysely row types of the Reprise PostgreSQL schema (created in migrations.ts), as the store's pool returns rows:
// bigint columns (epoch-ms times, keys, positions) arrive as JS numbers (pool.ts sets the parsers).
import type { Generated } from "kysely";

/** A run: the projection of its event log that schedulers and tools read. */
export interface RunsTable {
  /** The run's row number, assigned in creation order; the event log is keyed by it (short and sequential). */
  run_key: Generated<number>;
  /** The run's id as users know it (unique). */
  id: string;
  workflow: string;
  /** The version of the workflow's definition the run started on. */
  version: number;
  /** The run's current generation (1 + its `continueAsNew`s); `events` holds this one. */
  generation: number;
  status: string;
  input: string;
  result: string | null;
  error: string | null;
  wait_kind: string | null;
  wait_name: string | null;
  wake_at_ms: number | null;
  /** When an engine should pick the run up; NULL while nothing but a signal or cancellation can move it. */
  due_at_ms: number | null;
  lease_owner: string | null;
  lease_expires_at_ms: number | null;
  reason: string | null;
  cancel_requested: boolean;
  cancel_reason: string | null;
  last_seq: number;
  created_at_ms: number;
  updated_at_ms: number;
  finished_at_ms: number | null;
  /** The run's position in the order in which runs ended (commit order; see `meta`); NULL until it ends. */
  finished_seq: number | null;
  /** The wake set's signal names while parked (NULL: none). */
  wake_signals: string[] | null;
  /** The wake set's child run ids while parked (NULL: none). */
  wake_children: string[] | null;
  /** The run that started this one as a child (NULL: none). */
  parent_id: string | null;
  /** Cancelling the parent cancels this child (`onParentCancel: "cancel"`). */
  cancel_with_parent: boolean;
  /** The run's queue (NULL: none). Schema version 7. */
  queue: string | null;
  /** The run's key within its queue, for per-key limits (NULL: none). Schema version 7. */
  queue_key: string | null;
  /** Orders the due runs of the run's queue: lower first. Schema version 7. */
  priority: number;
  /** The run's tags as a JSON object (NULL: none); `run_tags` indexes them. Schema version 8. */
  tags: string | null;
}

/** One tag of one run, keyed (key, value, created_at_ms, run_id): a tag's runs in list order. Schema version 8. */
export interface RunTagsTable {
  key: string;
  value: string;
  /** The run's `created_at_ms`, repeated so that a tag's runs are read in list order. */
  created_at_ms: number;
  run_id: string;
}

/** The append-only log of each run's current generation: one row per event, keyed (run_key, seq). */
export interface EventsTable {
  /** `runs.run_key` of the run the event belongs to. */
  run_key: number;
  seq: number;
  type: string;
  at_ms: number;
  data: string;
}

/** Events of a run's earlier generations (`continueAsNew`), keyed (run_key, generation, seq). */
export interface EventArchiveTable {
  run_key: number;
  generation: number;
  seq: number;
  type: string;
  at_ms: number;
  data: string;
}

/** Each run's signal inbox; `position` orders delivery, `consumed_seq` links to the signal_received event. */
export interface SignalsTable {
  position: Generated<number>;
  run_id: string;
  signal_id: string;
  name: string;
  payload: string;
  sent_at_ms: number;
  consumed_seq: number | null;
}

/** Workflows some engine on this store serves, per version, and when it last reported in; keyed (name, version). */
export interface WorkflowsTable {
  name: string;
  version: number;
  last_seen_at_ms: number;
}

/** The process behind each lease owner name, so an engine on the same machine can prove it gone after a crash. */
export interface LeaseHoldersTable {
  owner: string;
  host: string;
  machine_id: string | null;
  boot_id: string | null;
  pid_namespace: string | null;
  pid: number;
  registered_at_ms: number;
}

/** The episodes during which a run was `blocked`, numbered per run, keyed (run_key, episode). */
export interface RunBlocksTable {
  run_key: number;
  episode: number;
  blocked_at_ms: number;
  /** The run's last seq when it was blocked: the episode comes after that event. */
  last_seq: number;
  reason: string;
  ended_at_ms: number | null;
  ended_by: string | null;
}

/**
 * Small named counters of the schema: `schema_version` (what migrations.ts applied) and `finished_seq` (the
 * last position given to a run ending; its row lock orders endings by commit, see run-commit.ts).
 */
export interface MetaTable {
  key: string;
  value: number;
}

/**
 * Every queue name a run was ever created in, one row each: what a claim walks to visit each queue, and the row a
 * claim of a queue with limits locks (FOR UPDATE) so that concurrent claimers count and take one at a time.
 */
export interface QueuesTable {
  name: string;
}

/** Execution starts of runs in rate-limited queues, kept for the longest period a claim passed. Schema version 7. */
export interface QueueStartsTable {
  queue: string;
  queue_key: string | null;
  started_at_ms: number;
  run_key: number;
}

/** The whole schema, for Kysely's query builder. */
/** Schedules (engine.schedules), keyed by id. Schema version 9; see the Store contract's ScheduleRecord. */
export interface SchedulesTable {
  id: string;
  workflow: string;
  input: string;
  cron: string;
  timezone: string;
  overlap: string;
  catch_up: string;
  catch_up_limit: number;
  paused: boolean;
  next_fire_at_ms: number | null;
  buffered_fire_at_ms: number | null;
  last_run_id: string | null;
  last_fire_at_ms: number | null;
  revision: number;
  created_at_ms: number;
  updated_at_ms: number;
}

export interface Database {
  runs: RunsTable;
  events: EventsTable;
  event_archive: EventArchiveTable;
  signals: SignalsTable;
  workflows: WorkflowsTable;
  lease_holders: LeaseHoldersTable;
  run_blocks: RunBlocksTable;
  meta: MetaTable;
  queues: QueuesTable;
  queue_starts: QueueStartsTable;
  run_tags: RunTagsTable;
  schedules: SchedulesTable;
}
