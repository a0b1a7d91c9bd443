// `@reprise/core/internal`: replay internals for Reprise's own packages (testing, CLI, bench). Unstable: these
// may change in any release without notice; applications use the main entry point.
export {
  Replayer,
  type ReplayState,
  type OpenCommand,
  type OpenCommandKind,
  type OpenCommandOf,
  type NextCommand,
  type WithdrawnCommand,
  type RunOutcome,
} from "./replay.js";
export { describeCommand, describeEvent } from "./describe-commands.js";
export { encodeEvent, decodeEvent } from "./events.js";
export { parkUpdate } from "./wake-set.js";
export { mayBeProgressOnly, toWaitInfo, waitName } from "./stored-waits.js";
export {
  archivedGenerations,
  groupRows,
  importedRunColumns,
  toBlockedEpisode,
  toEventRecord,
  toExportedSignal,
  type BlockedEpisodeRow,
  type SignalRow,
} from "./exported-rows.js";
export {
  admitCandidates,
  hasPerKeyLimits,
  interleave,
  longestPeriodMs,
  queueRoom,
  type QueueUsage,
} from "./queue-admission.js";
export {
  DEFAULT_STARTS_WINDOW_MS,
  assembleQueueStats,
  resolveQueueStatsOptions,
  type QueueKeyCounts,
  type ResolvedQueueStatsOptions,
} from "./queue-stats.js";
export { RUN_SUMMARY_COLUMNS, toRunSummary, type RunSummaryRow } from "./summary-rows.js";
export { scheduleStateArgs, toScheduleRecord, type ScheduleRow } from "./schedule-rows.js";
