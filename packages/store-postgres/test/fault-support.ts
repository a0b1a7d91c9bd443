// Shared by the fault tests: worker processes (spawned, watched, killed), connection strings that tag a store's
// backends so only they are terminated, a seeded generator, and the exactly-once checks on a run's log.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeValue, type EventRecord } from "@reprise/core";
import type { LedgerLine } from "./fault-workflows.js";
import { POSTGRES_URL, withClient } from "./postgres-server.js";

const WORKER = join(dirname(fileURLToPath(import.meta.url)), "processes/fault-worker.ts");

/**
 * POSTGRES_URL with an application_name (so `terminateBackends` finds this store's connections and no one
 * else's) and, optionally, server settings for each session (`-c name=value` in the `options` parameter).
 *
 * @example
 * const url = taggedUrl("fault-a", { statement_timeout: "200ms" });
 */
export function taggedUrl(applicationName: string, settings: Record<string, string> = {}): string {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set("application_name", applicationName);
  const options = Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`);
  if (options.length > 0) url.searchParams.set("options", options.join(" "));
  return url.toString();
}

/**
 * Terminates every server backend whose application_name is `applicationName` (pg_terminate_backend); returns how
 * many there were. The connections drop mid-statement or mid-transaction, as a crashed server process would.
 *
 * @example
 * const killed = await terminateBackends("fault-a");
 */
export async function terminateBackends(applicationName: string): Promise<number> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ killed: boolean }>(
      `select pg_terminate_backend(pid) as killed from pg_stat_activity
        where application_name = $1 and pid <> pg_backend_pid()`,
      [applicationName],
    );
    return rows.filter((row) => row.killed).length;
  });
}

/**
 * mulberry32: a tiny seeded generator, so a chaos schedule is reproducible from the seed it prints.
 *
 * @example
 * const random = seeded(42);
 * const delayMs = Math.floor(random() * 100);
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Why a run's log does not record each of `steps` exactly once, in order and by consecutive seqs, or undefined
 * when it does. Events are as the store returns them (`data` is the encoded event).
 *
 * @example
 * expect(exactlyOnceProblem(await store.readEvents("run-1"), ["s1", "s2"])).toBeUndefined();
 */
export function exactlyOnceProblem(events: readonly EventRecord[], steps: readonly string[]): string | undefined {
  const seqs = events.map((event) => event.seq);
  if (seqs.some((seq, index) => seq !== index + 1)) return `seqs are not 1..n: ${seqs.join(",")}`;
  const decoded = events.map((event) => ({ type: event.type, ...(decodeValue(event.data) as { name?: string }) }));
  const completed = decoded.filter((event) => event.type === "step_completed").map((event) => event.name);
  if (JSON.stringify(completed) !== JSON.stringify(steps)) {
    return `step_completed events ${JSON.stringify(completed)}, expected ${JSON.stringify(steps)}`;
  }
  const ends = decoded.filter((event) => /^run_(completed|failed|cancelled)$/.test(event.type)).length;
  if (ends !== 1) return `${ends} run-ending events`;
  return undefined;
}

/**
 * The lines of a ledger file (one per step attempt), or none when no step has run yet.
 *
 * @example
 * const lines = readLedger(ledger).filter((line) => line.runId === "run-1");
 */
export function readLedger(path: string): LedgerLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as LedgerLine);
}

/** What processes/fault-worker.ts takes (see WorkerConfig there). */
export interface WorkerConfig {
  readonly connectionString: string;
  readonly schema: string;
  readonly leaseMs: number;
  readonly pollIntervalMs: number;
  readonly max?: number;
  readonly start?: readonly {
    readonly id: string;
    readonly input: { steps: number; stepMs: number; ledger?: string };
  }[];
}

/** A running worker process and what it said. */
export interface Worker {
  readonly child: ChildProcess;
  /** Resolves when the process has exited (by itself or killed). */
  readonly exited: Promise<void>;
  /** Resolves once the worker's engine is up (and the runs it was told to start exist). */
  readonly ready: Promise<void>;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its JSON lines on stdout so far. */
  messages(): Record<string, unknown>[];
}

/**
 * Starts processes/fault-worker.ts in this node binary with tsx as a loader (not the tsx wrapper, whose own
 * process would take the signals), so SIGKILL and SIGSTOP reach the engine. Kill what it returns in afterEach.
 *
 * @example
 * const worker = spawnWorker({ connectionString, schema, leaseMs: 1_000, pollIntervalMs: 20 });
 * await worker.ready;
 * worker.child.kill("SIGKILL");
 */
export function spawnWorker(config: WorkerConfig): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@reprise/source", WORKER], {
    env: { ...process.env, REPRISE_FAULT_WORKER: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stdout = "";
  const onReady: (() => void)[] = [];
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
    stdout += chunk.toString();
    if (stdout.includes('"ready":true')) for (const resolve of onReady.splice(0)) resolve();
  });
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    onReady.push(resolve);
    void exited.then(() => reject(new Error(`the worker exited before it was ready:\n${output}`)));
  });
  // A worker killed before it was ready is not an unhandled rejection: the test that awaits `ready` sees it.
  ready.catch(() => {});
  const messages = () =>
    stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { child, exited, ready, output: () => output, messages };
}

/**
 * SIGKILLs a worker (unless it already ended) and waits for it to be gone.
 *
 * @example
 * await killWorker(worker);
 */
export async function killWorker(worker: Worker): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) {
    worker.child.kill("SIGCONT"); // a stopped process is killed all the same, but let it not linger stopped
    worker.child.kill("SIGKILL");
  }
  await worker.exited;
}

/**
 * Resolves after `ms`.
 *
 * @example
 * await pause(50);
 */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
