// Public surface of @reprise/testing: the test engine, crash-safety checks, fault injection, golden histories,
// real temporary stores and a virtual clock. The store conformance suite is "@reprise/testing/conformance".
export { createTestEngine, type TestEngine, type TestEngineOptions, type TestRunHandles } from "./test-engine.js";
export { TestRunHandle, RunNotFinishedError } from "./test-run-handle.js";
export {
  NondeterministicCallError,
  MissingChildWorkflowError,
  type NondeterministicCall,
  type DeterministicReplacement,
} from "./errors.js";
export {
  checkCrashSafety,
  CrashSafetyError,
  type CrashSafetyOptions,
  type CrashSafetyReport,
  type CrashSafetySignal,
  type ValueOrArbitrary,
} from "./crash-safety.js";
export { CrashingStore, CrashLog, SimulatedCrash, type CrashRecord, type CrashTiming } from "./crash-store.js";
export { instrumentWorkflow, type StepStub, type StepCall, type InstrumentOptions } from "./instrument-workflow.js";
export { seededRandom } from "./seeded-random.js";
export { temporaryStore, type TemporaryStore } from "./temporary-store.js";
export { VirtualClock } from "./virtual-clock.js";
export { waitFor } from "./wait-for.js";
export {
  replayHistory,
  recordHistory,
  decodeHistory,
  HistoryFormatError,
  HISTORY_FORMAT,
  HISTORY_FORMAT_VERSION,
  type RecordedHistory,
  type RecordedEvent,
  type ReplayedState,
  type PendingCommand,
  type HistorySource,
} from "./replay-history.js";
export {
  FaultyStore,
  InjectedFaultError,
  FAULTABLE_METHODS,
  type FaultPlan,
  type StoreCall,
  type StoreMethod,
} from "./faulty-store.js";
