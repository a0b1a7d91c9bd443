// Kysely row types of the Reprise SQLite schema. The schema itself is created in migrations.ts.
// Column names are snake_case as stored; mapping to camelCase records happens in sqlite-store.ts.

import type { Generated } from "kysely";

/** A run: the projection of its event log that schedulers and tools read. */
export interface RunsTable {
  /** The run's row number, assigned in creation order; the event log is keyed by it (short and sequential). */
  run_key: Generated<number>;
  /** The run's id as users know it (unique). */
  id: string;
  workflow: string;
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
  cancel_requested: number;
  cancel_reason: string | null;
  last_seq: number;
  created_at_ms: number;
  updated_at_ms: number;
  finished_at_ms: number | null;
  /**
   * The run's position in the order in which runs ended (1, 2, 3, ... in commit order), assigned by the write
   * that ends it; NULL until then, and for runs that ended before schema version 3.
   */
  finished_seq: number | null;
  /** The wake set's signal names while parked, as a JSON array (NULL: none). Schema version 5. */
  wake_signals: string | null;
  /** The wake set's child run ids while parked, as a JSON array (NULL: none). Schema version 5. */
  wake_children: string | null;
  /** The run that started this one as a child (NULL: none). Schema version 5. */
  parent_id: string | null;
  /** 1 when cancelling the parent cancels this child (`onParentCancel: "cancel"`). Schema version 5. */
  cancel_with_parent: number;
  /** The version of the workflow's definition the run started on. Schema version 6. */
  version: number;
  /** The run's current generation (1 + its `continueAsNew`s); `events` holds this one. Schema version 6. */
  generation: number;
  /** The run's queue (NULL: none). Schema version 7. */
  queue: string | null;
  /** The run's key within its queue, for per-key limits (NULL: none). Schema version 7. */
  queue_key: string | null;
  /** Orders the due runs of the run's queue: lower first. Schema version 7. */
  priority: number;
  /** The run's tags as a JSON object (NULL: none); `run_tags` indexes them. Schema version 8. */
  tags: string | null;
}

/**
 * One tag of one run, keyed (key, value, created_at_ms, run_id) and stored WITHOUT ROWID: a tag filter walks the
 * runs that have the tag newest first along this key, the order run lists use. Written with the run's `tags`.
 * Schema version 8.
 */
export interface RunTagsTable {
  key: string;
  value: string;
  /** The run's `created_at_ms`, repeated here so that a tag's runs are read in list order. */
  created_at_ms: number;
  run_id: string;
}

/** The append-only log: one row per event, keyed (run_key, seq), stored WITHOUT ROWID. */
export interface EventsTable {
  /** `runs.run_key` of the run the event belongs to. */
  run_key: number;
  seq: number;
  type: string;
  at_ms: number;
  data: string;
}

/**
 * Events of a run's earlier generations (`continueAsNew`), keyed (run_key, generation, seq) and stored WITHOUT
 * ROWID: moved here by the write that starts the next generation, so that `events` only ever holds the current
 * generation of each run and replay reads nothing else.
 */
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

/**
 * The episodes during which a run was `blocked`, numbered per run (`episode` 1, 2, ...), keyed (run_key, episode)
 * and stored WITHOUT ROWID. An open episode (`ended_at_ms` NULL) is the run's current block.
 */
export interface RunBlocksTable {
  /** `runs.run_key` of the run that was blocked. */
  run_key: number;
  episode: number;
  blocked_at_ms: number;
  /** The run's last seq when it was blocked: the episode comes after that event. */
  last_seq: number;
  /** `"<ErrorName>: <message>"`, as the run's `reason` said while blocked. */
  reason: string;
  ended_at_ms: number | null;
  /** How the episode ended: `retried` (an engine serving the workflow made the run pending again). */
  ended_by: string | null;
}

/** Every queue name a run was ever created in: what a claim walks to visit each queue. Schema version 7. */
export interface QueuesTable {
  name: string;
}

/**
 * Execution starts of runs in rate-limited queues (one row per claim of such a run), kept for the longest
 * rate-limit period a claim passed: the sliding window that rate limits count. Schema version 7.
 */
export interface QueueStartsTable {
  queue: string;
  queue_key: string | null;
  started_at_ms: number;
  run_key: number;
}

/**
 * Schedules (engine.schedules), keyed by id. Schema version 9. `revision` grows with every applied update: the
 * compare-and-set that makes each fire time start one run across engines.
 */
export interface SchedulesTable {
  id: string;
  workflow: string;
  input: string;
  cron: string;
  timezone: string;
  overlap: string;
  catch_up: string;
  catch_up_limit: number;
  paused: number;
  /** NULL while paused, or when the cron expression has no time left. */
  next_fire_at_ms: number | null;
  buffered_fire_at_ms: number | null;
  last_run_id: string | null;
  last_fire_at_ms: number | null;
  revision: number;
  created_at_ms: number;
  updated_at_ms: number;
}

/** The whole database, for Kysely's query builder. */
export interface Database {
  runs: RunsTable;
  events: EventsTable;
  event_archive: EventArchiveTable;
  signals: SignalsTable;
  workflows: WorkflowsTable;
  lease_holders: LeaseHoldersTable;
  run_blocks: RunBlocksTable;
  queues: QueuesTable;
  queue_starts: QueueStartsTable;
  run_tags: RunTagsTable;
  schedules: SchedulesTable;
}
