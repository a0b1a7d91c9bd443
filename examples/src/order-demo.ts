// `pnpm demo`: starts, or resumes after Ctrl-C or a crash, the order run "order-1001" against ./reprise.db.
// Owns the process side: paths, env knobs, SIGINT/SIGTERM, and the narration around the workflow.
import { createEngine, type HistoryEvent, type RunInfo } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { demoPaths, shownPath } from "./db-path.js";
import { Ledger } from "./ledger.js";
import { clockTime, Narrator } from "./narrator.js";
import {
  createOrderWorkflow,
  DEMO_ORDER,
  DEMO_RUN_ID,
  SHIPPED_SIGNAL,
  type OrderResult,
  type Shipment,
} from "./order-workflow.js";
import { RunWatcher } from "./run-watcher.js";

const SHIP_COMMAND = `pnpm --filter @reprise/examples ship ${DEMO_RUN_ID}`;

/** Knobs for tests and the impatient; every one is optional. */
function readConfig() {
  return {
    /** The durable sleep before the follow-up message. */
    sleepMs: msFromEnv("DEMO_SLEEP_MS", 5_000),
    /** How long the run waits for the 'shipped' signal. */
    shipTimeoutMs: msFromEnv("DEMO_SHIP_TIMEOUT_MS", 60_000),
    /** When set, the demo sends the 'shipped' signal itself this long after the run starts waiting. */
    autoShipMs: process.env.DEMO_AUTO_SHIP_MS ? msFromEnv("DEMO_AUTO_SHIP_MS", 0) : undefined,
  };
}

async function main(): Promise<number> {
  const config = readConfig();
  const paths = demoPaths();
  const db = shownPath(paths, paths.db);
  const ledgerFile = shownPath(paths, paths.ledger);
  const freshStart = `rm -f ${db} ${db}-wal ${db}-shm ${ledgerFile}`;
  const say = new Narrator();
  say.line(`Reprise demo: an order-fulfilment workflow, durable in ${db} (side effects are logged to ${ledgerFile})`);

  const store = await SqliteStore.open({ filename: paths.db });
  const { before, history } = await readRun(store);
  if (before !== undefined && ["completed", "failed", "cancelled", "blocked"].includes(before.status)) {
    describeFinishedRun(say, before);
    say.line(`To start fresh, delete the database and the ledger:  ${freshStart}`);
    await store.close();
    return before.status === "completed" ? 0 : 1;
  }

  const ledger = new Ledger(paths.ledger);
  if (before === undefined) {
    ledger.reset(DEMO_RUN_ID);
    say.line(`starting a new run for order ${DEMO_ORDER.orderId} (${DEMO_ORDER.items.length} items)`, DEMO_RUN_ID);
  } else {
    describeResume(say, before, history);
  }

  const order = createOrderWorkflow({
    ledger,
    progress: say,
    shipTimeoutMs: config.shipTimeoutMs,
    followUpDelayMs: config.sleepMs,
  });
  // From here on Ctrl-C shuts down gracefully; a second Ctrl-C takes the default action and quits at once.
  const interrupted = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  const engine = createEngine({ store, workflows: [order] });
  let autoShip: NodeJS.Timeout | undefined;
  const watcher = new RunWatcher({
    engine,
    runId: DEMO_RUN_ID,
    say,
    afterSeq: before?.lastSeq ?? 0,
    onSignalWait: (name, timeoutAtMs) => {
      const until = timeoutAtMs === undefined ? "" : ` (it gives up at ${clockTime(timeoutAtMs)})`;
      say.line(`waiting for the '${name}' signal${until} — in a second terminal run: ${SHIP_COMMAND}`, DEMO_RUN_ID);
      if (config.autoShipMs !== undefined && name === SHIPPED_SIGNAL) autoShip = scheduleAutoShip(config.autoShipMs);
    },
  });

  function scheduleAutoShip(delayMs: number): NodeJS.Timeout {
    return setTimeout(() => {
      const shipment: Shipment = { carrier: "DHL" };
      // A fixed signal id makes a resend (say, after a restart) a harmless duplicate.
      engine.signal(DEMO_RUN_ID, SHIPPED_SIGNAL, shipment, { id: `auto-ship-${DEMO_RUN_ID}` }).then(
        () => say.line(`DEMO_AUTO_SHIP_MS is set: sent '${SHIPPED_SIGNAL}' ${JSON.stringify(shipment)}`, DEMO_RUN_ID),
        (error: unknown) => say.line(`DEMO_AUTO_SHIP_MS is set, but sending failed: ${String(error)}`, DEMO_RUN_ID),
      );
    }, delayMs);
  }

  const run = await engine.start(order, DEMO_ORDER, { id: DEMO_RUN_ID });
  watcher.start();
  const outcome = await Promise.race([
    run.result().then(
      (result) => ({ kind: "completed", result }) as const,
      (error: unknown) => ({ kind: "failed", error }) as const,
    ),
    interrupted.then((signal) => ({ kind: "interrupted", signal }) as const),
  ]);

  clearTimeout(autoShip);
  await watcher.stop(outcome.kind !== "interrupted");
  if (outcome.kind === "interrupted") {
    say.line("interrupted — run `pnpm demo` again to resume where it stopped");
  } else if (outcome.kind === "completed") {
    describeResult(say, "completed", outcome.result);
    summariseLedger(say, ledger, ledgerFile);
    say.line(`Run \`pnpm demo\` again to see that a finished run stays finished; to start over: ${freshStart}`);
  } else {
    say.line(`failed: ${String(outcome.error)}`, DEMO_RUN_ID);
  }
  await engine.close();
  await store.close();
  // A handled interruption exits 0: nothing went wrong, and pnpm would otherwise print a failure banner.
  return outcome.kind === "failed" ? 1 : 0;
}

/** The run as a previous demo left it, read through a client-only engine before any work resumes. */
async function readRun(store: SqliteStore): Promise<{ before: RunInfo | undefined; history: HistoryEvent[] }> {
  const client = createEngine({ store, workflows: [] });
  try {
    const before = await client.getRun(DEMO_RUN_ID);
    return { before, history: before === undefined ? [] : await client.history(DEMO_RUN_ID) };
  } finally {
    await client.close();
  }
}

function describeResume(say: Narrator, before: RunInfo, history: HistoryEvent[]): void {
  const wait = before.waitingFor;
  const where =
    wait?.kind === "signal"
      ? `waiting for the '${wait.name}' signal`
      : wait?.kind === "retry"
        ? `between two attempts of step '${wait.step}'`
        : wait?.kind === "timer"
          ? "sleeping on a durable timer"
          : `status '${before.status}'`;
  say.line(`resuming the run where the last demo left it (${where}; ${before.lastSeq} events in its log)`, DEMO_RUN_ID);
  const done = history.flatMap((e) => (e.type === "step_completed" ? [`'${e.name}' (attempt ${e.attempt})`] : []));
  if (done.length > 0) say.line(`recorded results, not run again: ${done.join(", ")}`, DEMO_RUN_ID);
  if (before.status === "running" || before.status === "pending") {
    say.line(
      "if the last demo was killed mid-step, it still holds the run's lease for up to 5 s; then the run continues",
      DEMO_RUN_ID,
    );
  }
}

function describeFinishedRun(say: Narrator, run: RunInfo): void {
  const when = run.finishedAtMs === undefined ? "" : ` at ${clockTime(run.finishedAtMs)}`;
  const headline = `this run already ${run.status === "blocked" ? "is blocked" : `${run.status}${when}`}, in an earlier demo`;
  if (run.status === "completed") return describeResult(say, headline, run.result);
  say.line(headline, DEMO_RUN_ID);
  if (run.error !== undefined) say.line(`error: ${run.error.message}`, DEMO_RUN_ID);
  if (run.reason !== undefined) say.line(`reason: ${run.reason}`, DEMO_RUN_ID);
}

function describeResult(say: Narrator, headline: string, value: unknown): void {
  const result = value as OrderResult;
  const shipped = result.carrier === null ? "not shipped in time" : `shipped with ${result.carrier}`;
  say.line(`${headline}: ${result.amount} charged as ${result.chargeId}, ${shipped}`, DEMO_RUN_ID);
  say.line(`result: ${JSON.stringify(result)}`, DEMO_RUN_ID);
}

function summariseLedger(say: Narrator, ledger: Ledger, file: string): void {
  const entries = ledger.read().filter((entry) => entry.runId === DEMO_RUN_ID);
  const count = (step: string): number => entries.filter((entry) => entry.step === step).length;
  const keys = [...new Set(entries.filter((e) => e.step === "charge").map((e) => e.idempotencyKey))];
  say.line(
    `${file}: reserve ran ${count("reserve")}×, charge ${count("charge")}× (idempotency key${keys.length > 1 ? "s" : ""} ` +
      `${keys.join(", ")}), follow-up ${count("follow-up")}×`,
  );
}

/** A bad setting in the environment: reported as one line, without a stack trace. */
class SettingError extends Error {}

/** A non-negative integer number of milliseconds from the environment, or `fallback` when unset. */
function msFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new SettingError(`${name} must be a whole number of milliseconds, got '${raw}'`);
  }
  return ms;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof SettingError ? error.message : error);
    process.exit(1);
  },
);
