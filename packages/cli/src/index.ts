// Public surface of @reprise/cli: the CLI as a function, the web inspector as a mountable handler, and the
// pre-deploy replay check as a library call. Commands and formatting helpers stay internal.
export { main } from "./main.js";
export { processIo, type CliIo, type CliStream } from "./cli-io.js";
export { EXIT_CODES, CliError, UsageError, type ExitCode } from "./errors.js";
export { createInspectorHandler, type InspectorHandler, type InspectorOptions } from "./inspector/handler.js";
export {
  startInspectorServer,
  type InspectorServer,
  type InspectorServerOptions,
} from "./inspector/inspector-server.js";
export { DEFAULT_INSPECTOR_SERVER_LIMITS, type InspectorServerLimits } from "./inspector/server-limits.js";
export {
  verifyRuns,
  type VerifyReport,
  type VerifyProblem,
  type VerifyWarning,
  type VerifyPatch,
  type VerifyVersionCount,
} from "./verify-runs.js";
export {
  openClient,
  openReader,
  openWorkerStore,
  parseDbOption,
  requireDatabase,
  DEFAULT_POSTGRES_SCHEMA,
  type Client,
  type OpenedReader,
  type StoreTarget,
} from "./database.js";
export { loadWorkflows, type LoadedWorkflows } from "./load-workflows.js";
export { WorkflowCatalog, type AnyWorkflow } from "./workflow-catalog.js";
export {
  buildTimeline,
  type Timeline,
  type TimelineItem,
  type TimelineAttempt,
  type TimelineRun,
  type TimelineLane,
  type WithdrawnBy,
} from "./timeline.js";
export { lanesFromLog, lanesFromReplay, type BranchLanes, type EventPlace } from "./branch-lanes.js";
