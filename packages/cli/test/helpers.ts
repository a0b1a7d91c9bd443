// Shared by the CLI tests: run the real `reprise` binary in a child process, and seed real SQLite files.
// The child is node itself with tsx as a loader (not the tsx binary, which would add a process in between).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { waitFor } from "@reprise/testing";
import { charge, checkout, fanout, shipping } from "./fixtures/parallel-workflows.js";
import { nap, order } from "./fixtures/workflows-v1.js";

const here = fileURLToPath(new URL(".", import.meta.url));
/** tsx's ESM loader by absolute URL, so that the child finds it whatever its working directory. */
const TSX_LOADER = pathToFileURL(
  join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/loader.mjs"),
).href;
/** The CLI's entry point, run from sources. */
export const BIN = join(here, "../src/bin.ts");
/** Workflow modules the tests pass to --workflows. */
export const FIXTURES = {
  v1: join(here, "fixtures/workflows-v1.ts"),
  v2: join(here, "fixtures/workflows-v2-renamed.ts"),
  v2Patched: join(here, "fixtures/workflows-v2-patched.ts"),
  shop: join(here, "fixtures/shop-workflows.ts"),
  parallel: join(here, "fixtures/parallel-workflows.ts"),
  parallelRenamed: join(here, "fixtures/parallel-workflows-renamed.ts"),
  versioned: join(here, "fixtures/workflows-versioned.ts"),
  v2Only: join(here, "fixtures/workflows-v2-only.ts"),
  clash: join(here, "fixtures/workflows-clash.ts"),
  pager: join(here, "fixtures/pager-workflow.ts"),
} as const;

/** What a finished CLI process printed and returned. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `reprise <args>` without waiting for it. */
export function spawnCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): ChildProcess {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...options.env };
  // The caller's shell must not leak defaults into the command under test.
  for (const name of ["FORCE_COLOR", "REPRISE_DB", "REPRISE_WORKFLOWS", "REPRISE_UI_TOKEN"]) {
    if (options.env?.[name] === undefined) delete env[name];
  }
  return spawn(process.execPath, ["--import", TSX_LOADER, "--conditions=@reprise/source", BIN, ...args], {
    cwd: options.cwd ?? here,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** Runs `reprise <args>` to completion and collects its output. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; stdin?: string } = {},
): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.end(options.stdin ?? "");
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A temporary directory with a Reprise database in it. */
export interface SeededDatabase {
  readonly dir: string;
  readonly filename: string;
  cleanup(): void;
}

/**
 * A database with runs of the v1 fixture workflows: `order-1` and `order-2` waiting for `approve`, `nap-1`
 * sleeping, and `order-3` completed. Built with the real engine, which is closed again before returning.
 */
export async function seededDatabase(): Promise<SeededDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "reprise-cli-"));
  const filename = join(dir, "reprise.db");
  const store = await SqliteStore.open({ filename });
  const engine = createEngine({ store, workflows: [order, nap], pollIntervalMs: 20 });
  try {
    for (const id of ["order-1", "order-2", "order-3"]) await engine.start(order, { orderId: id, cents: 1250 }, { id });
    await engine.start(nap, undefined, { id: "nap-1" });
    // Signal only once order-3 waits, so its history always shows the wait (and its timeout) before the signal.
    await waitFor(async () => (await engine.getRun("order-3"))?.status === "waiting", { message: "order-3 to wait" });
    await engine.signal("order-3", "approve", { by: "ada" });
    await waitFor(async () => (await engine.getRun("order-3"))?.status === "completed", {
      message: "order-3 to complete",
    });
    await waitFor(async () => (await engine.listRuns({ status: ["waiting", "sleeping"] })).length === 3 || undefined, {
      message: "the other runs to park",
    });
  } finally {
    await engine.close();
    await store.close();
  }
  return { dir, filename, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A database with runs of the parallel fixture workflows: `fanout-1` (three branches, each a sub-flow of two
 * steps) waiting for `approve`; `shipping-1` whose race the `shipped` signal won, completed; `shipping-2` still
 * racing; `checkout-1` completed, with its child run `charge-5` started in one branch of an `all`.
 */
export async function parallelDatabase(): Promise<SeededDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "reprise-cli-"));
  const filename = join(dir, "reprise.db");
  const store = await SqliteStore.open({ filename });
  const engine = createEngine({ store, workflows: [fanout, shipping, charge, checkout], pollIntervalMs: 20 });
  const status = async (id: string) => (await engine.getRun(id))?.status;
  try {
    await engine.start(fanout, { ids: [5, 6, 7] }, { id: "fanout-1" });
    await engine.start(shipping, undefined, { id: "shipping-1" });
    await engine.start(shipping, undefined, { id: "shipping-2" });
    await engine.start(checkout, undefined, { id: "checkout-1" });
    // Signal only once shipping-1 waits, so its history shows both branches' commands before the answer.
    await waitFor(async () => (await status("shipping-1")) === "waiting", { message: "shipping-1 to wait" });
    await engine.signal("shipping-1", "shipped", { carrier: "DHL" });
    for (const [id, wanted] of [
      ["shipping-1", "completed"],
      ["shipping-2", "waiting"],
      ["checkout-1", "completed"],
      ["fanout-1", "waiting"],
    ] as const) {
      await waitFor(async () => (await status(id)) === wanted, { message: `${id} to be ${wanted}` });
    }
  } finally {
    await engine.close();
    await store.close();
  }
  return { dir, filename, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
