// Public surface of @reprise/testing: the test engine, crash-safety checks, real temporary stores,
// a virtual clock, step stubs and polling helpers. Everything here drives the production engine.
export { createTestEngine, type TestEngine, type TestEngineOptions } from "./test-engine.js";
export { TestRunHandle, RunNotFinishedError } from "./test-run-handle.js";
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
