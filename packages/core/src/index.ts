// Public surface of @reprise/core: workflow definitions, commands, the engine, the Store contract and errors.
// Internal helpers (work loop, caches) are not exported; replay internals live in `@reprise/core/internal`.
export {
  workflow,
  type WorkflowDefinition,
  type WorkflowFunction,
  type WorkflowInput,
  type WorkflowOutput,
  type WorkflowOptions,
} from "./workflow.js";
export {
  step,
  sleep,
  sleepUntil,
  awaitSignal,
  now,
  random,
  uuid,
  StepCommand,
  SleepCommand,
  AwaitSignalCommand,
  RecordValueCommand,
  isCommand,
  type Command,
  type LeafCommand,
  type StepContext,
  type StepOptions,
  type AwaitSignalOptions,
  type RecordedValueSource,
} from "./commands.js";
export { patched, deprecatePatch, PatchCommand, MAX_PATCH_ID_LENGTH } from "./patches.js";
export { continueAsNew, ContinueAsNewCommand } from "./continue-as-new.js";
export {
  setTags,
  SetTagsCommand,
  mergeTags,
  MAX_TAGS,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  type RunTags,
  type TagChanges,
} from "./tags.js";
export { CANCEL_BATCH_SIZE, RERUN_BATCH_SIZE, type RerunManyResult } from "./bulk-actions.js";
export {
  purgeExpired,
  retentionPeriods,
  type FinishedStatus,
  type RetentionOptions,
  type RetentionPolicy,
} from "./retention.js";
export {
  all,
  allSettled,
  race,
  BranchesCommand,
  MAX_BRANCHES,
  type AllOptions,
  type Branch,
  type BranchResult,
  type Combinator,
  type RaceResult,
  type SettledResult,
} from "./branches.js";
export { child, startChild, ChildHandle, ChildCommand, ChildResultCommand, type ChildOptions } from "./children.js";
export type { DurationInput, DeadlineInput } from "./duration.js";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
export { createEngine, Engine } from "./engine.js";
export type {
  EngineOptions,
  StartOptions,
  SignalOptions,
  ListRunsOptions,
  CountRunsOptions,
  CancelOptions,
  HistoryOptions,
  CancelResult,
} from "./engine-options.js";
export type { EngineStats } from "./execution-context.js";
export { LARGE_HISTORY_EVENTS, type EngineHooks, type RunHookBase } from "./engine-hooks.js";
export { RunHandle } from "./run-handle.js";
export {
  MAX_START_MANY_ITEMS,
  type StartManyItem,
  type StartManyHandles,
  type CheckedStartManyItems,
} from "./start-many.js";
export {
  MAX_CHILDREN_SHOWN,
  MAX_PENDING_SIGNALS_SHOWN,
  type BlockedEpisodeInfo,
  type PendingSignalInfo,
  type RunCorruption,
  type RunInfo,
  type RunValueColumn,
} from "./run-info.js";
export { systemClock, type Clock, type TimerHandle } from "./clock.js";
export { DEFAULT_MAX_PAYLOAD_BYTES, encodeValue, decodeValue } from "./codec.js";
export { MAX_VALUE_DEPTH } from "./value-inspection.js";
export {
  MAX_ERROR_CAUSE_DEPTH,
  MAX_ERROR_NAME_LENGTH,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_STACK_LENGTH,
  MAX_ERROR_FIELDS_BYTES,
  MAX_ERROR_INFO_BYTES,
  toErrorInfo,
  fromErrorInfo,
} from "./error-codec.js";
export { registerErrorClass, type ErrorClass, type RegisterErrorClassOptions } from "./error-registry.js";
export {
  EVENT_LOG_FORMAT_VERSION,
  TERMINAL_EVENT_TYPES,
  type HistoryEvent,
  type EventType,
  type EventRecord,
  type NewEvent,
  type ErrorInfo,
} from "./events.js";
export {
  RUN_STATUSES,
  FINISHED_STATUSES,
  MAX_BLOCKED_EPISODES_KEPT,
  type BlockedEpisodeEnd,
  type BlockedEpisodeRecord,
  type Store,
  type RunStatus,
  type RunRecord,
  type RunOutcomeRecord,
  type FinishedRunRecord,
  type FinishedRunsPage,
  type LeaseHolder,
  type NewRun,
  type RunUpdate,
  type RunCommit,
  type SignalRecord,
  type PendingSignalRecord,
  type NewSignal,
  type ClaimRequest,
  type LeaseStatus,
  type RunFilter,
  type RunSelection,
  type CancelManyRequest,
  type PurgeRequest,
  type WaitInfo,
  type WakeSet,
  type ParkedRunsPage,
  type ParkedRunBlock,
  type ParentCancelPolicy,
  type ServedWorkflow,
  type StoreChange,
  type ChangeSubscription,
  type ScheduleOverlapPolicy,
  type ScheduleCatchUpPolicy,
  type ScheduleState,
  type ScheduleRecord,
  type NewSchedule,
  type ScheduleUpdate,
  type ScheduleUpdateResult,
} from "./store.js";
export { Schedules } from "./schedules.js";
export {
  MAX_SCHEDULE_ID_LENGTH,
  DEFAULT_CATCH_UP_LIMIT,
  MAX_CATCH_UP_LIMIT,
  type ScheduleOptions,
  type SchedulePatch,
  type ScheduleInfo,
} from "./schedule-options.js";
export { MISSED_FIRE_AFTER_MS, scheduledRunId } from "./schedule-plan.js";
export {
  UNFINISHED_STATUSES,
  zeroStatusCounts,
  type RunReader,
  type RunSummary,
  type RunPage,
  type RunPageCursor,
  type RunPageQuery,
  type RunStatusCounts,
  type UnfinishedRunRecord,
  type QueueStatsOptions,
  type QueueStats,
  type QueueKeyStats,
  type QueueStatsReport,
} from "./store-reader.js";
export { type ExportedSignal, type RunExport, type RunExporter, type RunImporter } from "./run-transfer.js";
export {
  RepriseError,
  NonDeterminismError,
  RunNotFoundError,
  RunFinishedError,
  RunIdConflictError,
  RunsAlreadyExistError,
  UnknownWorkflowError,
  PayloadTooLargeError,
  UnencodableValueError,
  ValueTooDeepError,
  InvalidDurationError,
  InvalidArgumentError,
  StepFailedError,
  NonRetryableError,
  CancelledError,
  ChildFailedError,
  ChildCancelledError,
  RunNotBlockedError,
  RunFailedError,
  RunCancelledError,
  CorruptEventError,
  LeaseLostError,
  EngineClosedError,
  StoreError,
  ScheduleNotFoundError,
  ScheduleConflictError,
} from "./errors.js";
export {
  DEFAULT_PRIORITY,
  MAX_PRIORITY,
  MAX_QUEUE_NAME_LENGTH,
  MAX_RATE_PERIOD_MS,
  type QueueOptions,
  type QueueStartOptions,
  type RateLimitOptions,
} from "./queue-options.js";
export { MAX_QUEUE_SCAN, type QueueLimits, type RateLimit } from "./store.js";
export { Scheduler, storeClaimSource, type ClaimSource } from "./scheduler.js";
