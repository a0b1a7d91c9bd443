// Every error class @reprise/core throws or records, each with structured fields and a fix.
// Errors never carry live handles (stores, generators): they must survive being stored and decoded.

/**
 * Base class of every Reprise error. `code` is stable and safe to match on.
 *
 * @example
 * try { await engine.signal("missing", "go", 1); }
 * catch (e) { if (e instanceof RepriseError) console.log(e.code); }
 */
export class RepriseError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The workflow code yielded a command that differs from what the run's history recorded at `seq`.
 * The run becomes `blocked`; nothing new executes until code that matches the history is deployed.
 *
 * @example
 * const info = await engine.getRun("order-1");
 * if (info?.status === "blocked") console.log(info.reason); // NonDeterminismError: ...
 */
export class NonDeterminismError extends RepriseError {
  readonly runId: string;
  readonly seq: number;
  readonly expected: string;
  readonly actual: string;
  constructor(fields: { runId: string; seq: number; expected: string; actual: string }) {
    super(
      "NON_DETERMINISM",
      `Run '${fields.runId}' diverged from its history at seq ${fields.seq}: history has ${fields.expected}, ` +
        `but the workflow code now yields ${fields.actual}. Workflow code must yield the same commands in the same ` +
        `order on every replay: restore the previous code for runs in flight (or branch on data recorded in the ` +
        `history), then restart the engine; the run resumes from where it stopped.`,
    );
    this.runId = fields.runId;
    this.seq = fields.seq;
    this.expected = fields.expected;
    this.actual = fields.actual;
  }
}

/**
 * No run with this id exists in the store.
 *
 * @example
 * await expect(engine.cancel("nope")).rejects.toBeInstanceOf(RunNotFoundError);
 */
export class RunNotFoundError extends RepriseError {
  readonly runId: string;
  constructor(runId: string) {
    super("RUN_NOT_FOUND", `No run with id '${runId}' exists. Check the id (engine.listRuns() shows existing runs).`);
    this.runId = runId;
  }
}

/**
 * The run already finished (`completed`, `failed` or `cancelled`), so it cannot take a signal or a cancellation.
 *
 * @example
 * await expect(engine.signal(doneRunId, "reply", "late")).rejects.toBeInstanceOf(RunFinishedError);
 */
export class RunFinishedError extends RepriseError {
  readonly runId: string;
  readonly status: string;
  constructor(runId: string, status: string, action: string) {
    super(
      "RUN_FINISHED",
      `Cannot ${action} run '${runId}': it already finished with status '${status}'. Start a new run instead.`,
    );
    this.runId = runId;
    this.status = status;
  }
}

/**
 * `start()` was given an id that already belongs to a run of a different workflow.
 *
 * @example
 * await engine.start(order, input, { id: "x" });
 * await expect(engine.start(invoice, input, { id: "x" })).rejects.toBeInstanceOf(RunIdConflictError);
 */
export class RunIdConflictError extends RepriseError {
  readonly runId: string;
  readonly existingWorkflow: string;
  readonly requestedWorkflow: string;
  constructor(runId: string, existingWorkflow: string, requestedWorkflow: string) {
    super(
      "RUN_ID_CONFLICT",
      `Run id '${runId}' already belongs to a run of workflow '${existingWorkflow}', so it cannot start ` +
        `workflow '${requestedWorkflow}'. Choose another id, or include the workflow name in your ids.`,
    );
    this.runId = runId;
    this.existingWorkflow = existingWorkflow;
    this.requestedWorkflow = requestedWorkflow;
  }
}

/**
 * `importRuns` (`reprise copy`) was given runs whose ids the target store already holds; nothing was written.
 * `runIds` lists the first few of them, `count` how many there are.
 *
 * @example
 * await expect(target.importRuns(page.runs)).rejects.toBeInstanceOf(RunsAlreadyExistError);
 */
export class RunsAlreadyExistError extends RepriseError {
  readonly runIds: readonly string[];
  readonly count: number;
  constructor(runIds: readonly string[]) {
    const shown = runIds.slice(0, 5);
    super(
      "RUNS_ALREADY_EXIST",
      `The target store already holds ${runIds.length === 1 ? "run" : `${runIds.length} of these runs, e.g.`} ` +
        `${shown.map((id) => `'${id}'`).join(", ")}, so nothing was copied. Copy into an empty store (a new ` +
        `SQLite file or PostgreSQL schema), or remove those runs from the target first.`,
    );
    this.runIds = shown;
    this.count = runIds.length;
  }
}

/**
 * A workflow was named (e.g. `engine.start("order", ...)`) that no engine on this store has registered.
 *
 * @example
 * await expect(client.start("no-such-workflow", {})).rejects.toBeInstanceOf(UnknownWorkflowError);
 */
export class UnknownWorkflowError extends RepriseError {
  readonly workflow: string;
  constructor(workflow: string) {
    super(
      "UNKNOWN_WORKFLOW",
      `No engine on this store has registered a workflow named '${workflow}'. Pass the workflow definition ` +
        `to start() instead of its name, or start an engine with createEngine({ workflows: [...] }) that includes it.`,
    );
    this.workflow = workflow;
  }
}

/**
 * A value is larger than the engine's `maxPayloadBytes` once encoded.
 *
 * @example
 * await expect(engine.signal(id, "blob", "x".repeat(2_000_000))).rejects.toBeInstanceOf(PayloadTooLargeError);
 */
export class PayloadTooLargeError extends RepriseError {
  readonly what: string;
  readonly sizeBytes: number;
  readonly limitBytes: number;
  constructor(what: string, sizeBytes: number, limitBytes: number) {
    super(
      "PAYLOAD_TOO_LARGE",
      `${what} is ${sizeBytes} bytes once encoded, over the limit of ${limitBytes} bytes. Store large data ` +
        `elsewhere (a file, an object store) and pass a reference, or raise createEngine({ maxPayloadBytes }).`,
    );
    this.what = what;
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** How to fix a value the codec refuses, unless the problem calls for another fix. */
const PLAIN_DATA_FIX =
  "Return plain data (objects, arrays, strings, numbers, booleans, null, undefined, Date, BigInt, Map, Set, " +
  "Error, RegExp, URL).";

/**
 * A value contains something the codec cannot store (a function, a symbol, a circular reference, a string that is
 * not well-formed Unicode, an Invalid Date, a Promise, ...; docs/concepts.md lists them).
 *
 * @example
 * yield* step("bad", () => ({ callback: () => 1 })); // the workflow receives a StepFailedError caused by this
 */
export class UnencodableValueError extends RepriseError {
  readonly what: string;
  /** Where in the value the problem is, e.g. `value.items.3.callback` (only a prefix for very deep paths). */
  readonly path: string;
  constructor(what: string, path: string, problem: string, fix: string = PLAIN_DATA_FIX) {
    super("UNENCODABLE_VALUE", `${what} cannot be stored: ${problem} at ${path}. ${fix}`);
    this.what = what;
    this.path = path;
  }
}

/**
 * A value nests more than `maxDepth` levels of objects, arrays, Maps and Sets (`MAX_VALUE_DEPTH`). Deeper values
 * would overflow the stack while being encoded or decoded, so they are refused like any other unstorable value.
 *
 * @example
 * let deep: unknown = 1;
 * for (let i = 0; i < 1000; i++) deep = [deep];
 * await expect(engine.start(echo, deep)).rejects.toBeInstanceOf(ValueTooDeepError);
 */
export class ValueTooDeepError extends UnencodableValueError {
  readonly maxDepth: number;
  constructor(what: string, pathPrefix: string, maxDepth: number) {
    super(
      what,
      pathPrefix,
      `a value nested more than ${maxDepth} levels deep`,
      `Flatten the structure (e.g. a list of records with parent ids instead of a tree), or store it as a string ` +
        `(JSON.stringify) and parse it where it is used.`,
    );
    this.maxDepth = maxDepth;
  }
}

/**
 * A duration or deadline given to `sleep`, `sleepUntil` or a timeout is not a valid time.
 *
 * @example
 * try { yield* sleep(Number.NaN); } catch (e) { console.log(e instanceof InvalidDurationError); }
 */
export class InvalidDurationError extends RepriseError {
  constructor(what: string, input: unknown, problem: string) {
    super(
      "INVALID_DURATION",
      `${what} got ${describeInput(input)}: ${problem}. Use milliseconds (a finite number), a luxon Duration, ` +
        `an object like { minutes: 5 }, or an ISO-8601 duration such as "PT5M".`,
    );
  }
}

/**
 * An argument to an engine method or a command has the wrong shape (an empty name, a bad id, an option out of range).
 *
 * @example
 * await expect(engine.signal(id, "", 1)).rejects.toBeInstanceOf(InvalidArgumentError);
 */
export class InvalidArgumentError extends RepriseError {
  constructor(message: string) {
    super("INVALID_ARGUMENT", message);
  }
}

/**
 * Thrown into the workflow at `yield*` when a step failed on its last allowed attempt (or with a
 * non-retryable error). `cause` is the original error as stored and decoded; its name and message
 * are part of this error's message.
 *
 * @example
 * try { yield* step("charge", charge); }
 * catch (e) { if (e instanceof StepFailedError) yield* step("refund", refund); }
 */
export class StepFailedError extends RepriseError {
  readonly stepName: string;
  readonly attempts: number;
  constructor(stepName: string, attempts: number, cause: Error) {
    super(
      "STEP_FAILED",
      `Step '${stepName}' failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${cause.name}: ${cause.message}`,
      { cause },
    );
    this.stepName = stepName;
    this.attempts = attempts;
  }
}

/**
 * Throw this from a step function to fail the step at once, without further retries.
 *
 * @example
 * yield* step("charge", async () => {
 *   if (card.expired) throw new NonRetryableError("card expired");
 *   return gateway.charge(card);
 * });
 */
export class NonRetryableError extends RepriseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NON_RETRYABLE", message, options);
  }
}

/**
 * Thrown into the workflow at its current `yield*` when the run is cancelled, so `finally` blocks
 * can run compensating steps. The run ends `cancelled` whatever the workflow does next.
 *
 * @example
 * try { yield* awaitSignal("approved"); }
 * finally { yield* step("release-stock", release); }
 */
export class CancelledError extends RepriseError {
  readonly reason: string | undefined;
  /** Set when only a branch was cancelled (it lost a race, or a sibling failed in an `all`): its path. */
  readonly branch: string | undefined;
  constructor(reason?: string, options: { branch?: string } = {}) {
    const what = options.branch === undefined ? "The run" : `Branch ${options.branch}`;
    super("CANCELLED", reason === undefined ? `${what} was cancelled.` : `${what} was cancelled: ${reason}`);
    this.reason = reason;
    this.branch = options.branch;
  }
}

/**
 * Thrown by `engine.cancel(id, { force: true })` for a run that is not blocked: force ends only runs whose code
 * cannot run; any other run acts on a plain cancellation (its `finally` blocks run).
 *
 * @example
 * await engine.cancel("order-1", { force: true }).catch((e) => e instanceof RunNotBlockedError && engine.cancel("order-1"));
 */
export class RunNotBlockedError extends RepriseError {
  readonly runId: string;
  readonly status: string;
  constructor(runId: string, status: string) {
    super(
      "RUN_NOT_BLOCKED",
      `Run '${runId}' is ${status}, not blocked: { force: true } only ends blocked runs, without running their code. ` +
        `Cancel it without force: it then runs its finally blocks and ends cancelled.`,
    );
    this.runId = runId;
    this.status = status;
  }
}

/**
 * Thrown at `yield* child(...)` (or `yield* handle.result()`) when the child run failed; `cause` is the child's
 * error, as its run recorded it.
 *
 * @example
 * try { yield* child(charge, order); } catch (e) { if (e instanceof ChildFailedError) console.log(e.childId, e.cause); }
 */
export class ChildFailedError extends RepriseError {
  readonly childId: string;
  readonly workflow: string;
  constructor(childId: string, workflow: string, cause: Error) {
    super("CHILD_FAILED", `Child run '${childId}' (workflow '${workflow}') failed: ${cause.name}: ${cause.message}`, {
      cause,
    });
    this.childId = childId;
    this.workflow = workflow;
  }
}

/**
 * Thrown at `yield* child(...)` (or `yield* handle.result()`) when the child run was cancelled.
 *
 * @example
 * try { yield* child(charge, order); } catch (e) { if (e instanceof ChildCancelledError) console.log(e.reason); }
 */
export class ChildCancelledError extends RepriseError {
  readonly childId: string;
  readonly workflow: string;
  readonly reason: string | undefined;
  constructor(childId: string, workflow: string, reason: string | undefined) {
    super(
      "CHILD_CANCELLED",
      `Child run '${childId}' (workflow '${workflow}') was cancelled${reason === undefined ? "" : `: ${reason}`}.`,
    );
    this.childId = childId;
    this.workflow = workflow;
    this.reason = reason;
  }
}

/**
 * `RunHandle.result()` rejects with this when the run failed; `cause` is the workflow's error.
 *
 * @example
 * await expect(run.result()).rejects.toBeInstanceOf(RunFailedError);
 */
export class RunFailedError extends RepriseError {
  readonly runId: string;
  constructor(runId: string, cause: Error) {
    super("RUN_FAILED", `Run '${runId}' failed: ${cause.name}: ${cause.message}`, { cause });
    this.runId = runId;
  }
}

/**
 * `RunHandle.result()` rejects with this when the run was cancelled.
 *
 * @example
 * await engine.cancel(run.id, { reason: "customer changed their mind" });
 * await expect(run.result()).rejects.toBeInstanceOf(RunCancelledError);
 */
export class RunCancelledError extends RepriseError {
  readonly runId: string;
  readonly reason: string | undefined;
  constructor(runId: string, reason: string | undefined) {
    super("RUN_CANCELLED", `Run '${runId}' was cancelled${reason === undefined ? "" : `: ${reason}`}.`);
    this.runId = runId;
    this.reason = reason;
  }
}

/**
 * A stored event cannot be decoded or is not a valid event. Only the run it belongs to is blocked.
 * With `column`, what cannot be decoded is a value of the run's row instead (its stored `input`, `result` or
 * `error`): `getRun` and `result()` throw it for that run, and `listRuns` lists the run with a `corrupt` marker.
 *
 * @example
 * const info = await engine.getRun(id); // status "blocked", reason "CorruptEventError: ..."
 */
export class CorruptEventError extends RepriseError {
  readonly runId: string;
  /** The corrupt event; for a corrupt row value, the run's last event (0 if unknown). */
  readonly seq: number;
  /** Set when a value of the run's row is unreadable: "input", "result" or "error" (columns of the runs table). */
  readonly column: string | undefined;
  constructor(runId: string, seq: number, problem: string, options?: { cause?: unknown; column?: string }) {
    super(
      "CORRUPT_EVENT",
      options?.column === undefined
        ? `Event ${seq} of run '${runId}' is corrupt (${problem}). Only this run is blocked; restore the store from ` +
            `a backup and restart the engine, and the run resumes from its log.`
        : `Run '${runId}' cannot be read: its stored ${options.column} (column runs.${options.column}) is corrupt ` +
            `(${problem}). Only this run is affected, and its event log is stored apart; restore the store from a ` +
            `backup taken before the damage (listRuns() still lists the run, marked corrupt).`,
      options,
    );
    this.runId = runId;
    this.seq = seq;
    this.column = options?.column;
  }
}

/**
 * Another engine took over the run (this engine's lease expired), or another writer appended the
 * same sequence number first. The engine drops its in-memory copy of the run; nothing is recorded twice.
 *
 * @example
 * // Raised by Store.commit; engines handle it, stores must raise it.
 * throw new LeaseLostError("order-1", "engine-a");
 */
export class LeaseLostError extends RepriseError {
  readonly runId: string;
  constructor(runId: string, owner: string) {
    super(
      "LEASE_LOST",
      `Engine '${owner}' no longer holds the lease on run '${runId}' (it expired or another engine claimed the ` +
        `run), so its write was refused. Another engine continues the run; raise leaseMs if steps block the event loop.`,
    );
    this.runId = runId;
  }
}

/**
 * The engine was closed; the call cannot proceed.
 *
 * @example
 * await engine.close();
 * await expect(engine.start(greet, "Ada")).rejects.toBeInstanceOf(EngineClosedError);
 */
export class EngineClosedError extends RepriseError {
  constructor(action: string) {
    super("ENGINE_CLOSED", `Cannot ${action}: the engine is closed. Create a new engine with createEngine().`);
  }
}

/**
 * The store is not usable: it was written by a newer version of Reprise, or it failed to open.
 *
 * @example
 * await expect(SqliteStore.open({ filename: "not-a-db.txt" })).rejects.toBeInstanceOf(StoreError);
 */
export class StoreError extends RepriseError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORE_ERROR", message, options);
  }
}

/**
 * No schedule with this id exists (pause, resume, trigger, update or delete of an unknown id).
 *
 * @example
 * await expect(engine.schedules.pause("nope")).rejects.toBeInstanceOf(ScheduleNotFoundError);
 */
export class ScheduleNotFoundError extends RepriseError {
  readonly scheduleId: string;
  constructor(scheduleId: string) {
    super(
      "SCHEDULE_NOT_FOUND",
      `No schedule with id '${scheduleId}' exists. Check the id (engine.schedules.list() or \`reprise schedules\` ` +
        `shows existing schedules).`,
    );
    this.scheduleId = scheduleId;
  }
}

/**
 * `schedules.create()` was given the id of a schedule that exists with other settings. Creating the same schedule
 * again (same workflow, input, cron, time zone and policies) is not an error: it returns the stored one.
 *
 * @example
 * await expect(engine.schedules.create({ ...nightly, cron: "0 4 * * *" })).rejects.toBeInstanceOf(ScheduleConflictError);
 */
export class ScheduleConflictError extends RepriseError {
  readonly scheduleId: string;
  readonly differences: readonly string[];
  constructor(scheduleId: string, differences: readonly string[]) {
    super(
      "SCHEDULE_CONFLICT",
      `A schedule with id '${scheduleId}' already exists with a different ${differences.join(", ")}. To change it, ` +
        `call engine.schedules.update('${scheduleId}', { ... }); to replace it, delete it first; or choose another id.`,
    );
    this.scheduleId = scheduleId;
    this.differences = differences;
  }
}

function describeInput(input: unknown): string {
  if (typeof input === "string") return JSON.stringify(input);
  if (typeof input === "number") return String(input);
  try {
    return JSON.stringify(input) ?? String(input);
  } catch {
    return String(input);
  }
}
