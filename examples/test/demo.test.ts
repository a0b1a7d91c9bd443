// End-to-end test of `pnpm demo`: runs the real demo as a child process, SIGKILLs it after the charge,
// starts it again, and checks in the database and the ledger that finished steps were not repeated.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterEach, expect, it } from "vitest";
import { demoPaths } from "../src/db-path.js";
import { Ledger } from "../src/ledger.js";
import { DEMO_RUN_ID, type OrderResult } from "../src/order-workflow.js";

const examplesDir = fileURLToPath(new URL("..", import.meta.url));
const tsx = path.join(examplesDir, "node_modules/.bin/tsx");
const demoScript = path.join(examplesDir, "src/order-demo.ts");

interface Demo {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

const started: Demo[] = [];
let dir: string | undefined;

afterEach(async () => {
  for (const demo of started.splice(0)) {
    if (demo.child.exitCode === null && demo.child.signalCode === null) killGroup(demo.child);
    await demo.exited;
  }
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Starts the demo in its own process group (tsx runs the script in a grandchild, which must die too). */
function startDemo(db: string, env: Record<string, string> = {}): Demo {
  const child = spawn(tsx, ["--conditions=@reprise/source", demoScript], {
    cwd: path.dirname(db),
    env: { ...process.env, INIT_CWD: "", REPRISE_DB: db, DEMO_SLEEP_MS: "200", ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const demo = { child, exited, output: () => output };
  started.push(demo);
  return demo;
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-(child.pid as number), "SIGKILL");
  } catch {
    // already gone
  }
}

async function poll(what: string, demo: Demo, ready: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}. Demo output:\n${demo.output()}`);
    if (demo.child.exitCode !== null) throw new Error(`The demo exited before ${what}:\n${demo.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it("resumes after SIGKILL without repeating finished steps", { timeout: 60_000 }, async () => {
  dir = await mkdtemp(path.join(tmpdir(), "reprise-demo-"));
  const paths = demoPaths({ REPRISE_DB: path.join(dir, "reprise.db") });
  const ledger = new Ledger(paths.ledger);
  const charged = (): boolean => ledger.read().some((e) => e.step === "charge" && !e.outcome.startsWith("FAILED"));

  const first = startDemo(paths.db);
  await poll("the charge to succeed", first, charged);
  killGroup(first.child);
  await first.exited;

  const second = startDemo(paths.db, { DEMO_AUTO_SHIP_MS: "100" });
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`The resumed demo did not finish:\n${second.output()}`)), 45_000).unref(),
  );
  expect(await Promise.race([second.exited, timeout]), second.output()).toBe(0);
  expect(second.output()).toContain("resuming the run");

  const store = await SqliteStore.open({ filename: paths.db });
  const engine = createEngine({ store, workflows: [] });
  try {
    const run = await engine.getRun<OrderResult>(DEMO_RUN_ID);
    expect(run?.status).toBe("completed");
    expect(run?.result).toMatchObject({ orderId: "1001", amount: "€57.50", carrier: "DHL" });
    expect(run?.result?.chargeId).toMatch(/^ch_/);
  } finally {
    await engine.close();
    await store.close();
  }

  const entries = ledger.read();
  const of = (step: string) => entries.filter((e) => e.step === step);
  expect(of("reserve")).toHaveLength(1);
  const charges = of("charge");
  // Attempts 1 and 2 time out; attempt 3 succeeds (and reruns if the kill beat its commit: at least once).
  expect(charges.slice(0, 2).map((e) => e.outcome)).toEqual(["FAILED gateway timeout", "FAILED gateway timeout"]);
  expect(charges.length).toBeGreaterThanOrEqual(3);
  expect(new Set(charges.map((e) => e.idempotencyKey)).size).toBe(1);
  expect(of("follow-up")).toHaveLength(1);
  expect(of("follow-up")[0]?.outcome).toContain("shipped with DHL");
});
