// Several engines on one SQLite file, in one process and across real processes: each run executes in one place.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { step, workflow } from "@reprise/core";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";
import { ledgerWorkflow, parallelLedgerWorkflow } from "../processes/workflows.js";

const here = dirname(fileURLToPath(import.meta.url));
const workerScript = join(here, "../processes/worker.ts");

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

/** Runs worker.ts in one node process (tsx as a loader, not a wrapper), so SIGKILL hits the engine itself. */
function spawnWorker(
  filename: string,
  mode: "worker" | "client",
  env: Record<string, string> = {},
  runId?: string,
): ChildProcess {
  const args = ["--import", "tsx", "--conditions=@reprise/source", workerScript, filename, mode];
  if (runId !== undefined) args.push(runId);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return child;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

function ledgerLines(path: string): { step: number; key: string; pid: number }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { step: number; key: string; pid: number });
}

describe("several engines on one file", () => {
  it("two engines in one process execute every run exactly once", async () => {
    const f = await fixture();
    const executions: string[] = [];
    const triple = workflow("triple", function* (n: number) {
      for (const name of ["a", "b", "c"]) {
        yield* step(name, async (ctx) => {
          executions.push(`${ctx.runId}/${name}`);
          await new Promise((resolve) => setImmediate(resolve));
        });
      }
      return n;
    });
    const second = await f.tmp.open();
    const engineA = f.engine({ workflows: [triple], concurrency: 4 });
    const engineB = f.engine({ workflows: [triple], concurrency: 4, store: second });
    const runs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? engineA : engineB).start(triple, i, { id: `t-${i}` })),
    );
    const results = await Promise.all(runs.map((run) => run.result()));
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(executions).toHaveLength(120);
    expect(new Set(executions).size).toBe(120);
    const steps = engineA.stats().stepAttempts + engineB.stats().stepAttempts;
    expect(steps).toBe(120);
  });

  it("a run leased by an engine that died is taken over once its lease expires", async () => {
    const f = await fixture();
    const done = workflow("done", function* () {
      return yield* step("work", () => "finished");
    });
    const client = f.engine({ workflows: [] });
    await client.start(done, undefined, { id: "orphan" });
    const [claimed] = await f.store.claimDueRuns({
      owner: "dead-engine",
      nowMs: Date.now(),
      leaseMs: 400,
      limit: 1,
      workflows: [{ name: "done", version: 1 }],
    });
    expect(claimed?.id).toBe("orphan");
    const claimedAtMs = Date.now();

    const rescuer = f.engine({ workflows: [done] });
    const result = await (await rescuer.start(done, undefined, { id: "orphan" })).result();
    expect(result).toBe("finished");
    const completedAtMs = (await rescuer.getRun("orphan"))?.finishedAtMs ?? 0;
    expect(completedAtMs - claimedAtMs).toBeGreaterThanOrEqual(400);
  });

  it("a worker killed with SIGKILL mid-step is replaced; the step re-runs with the same idempotency key", async () => {
    const f = await fixture();
    const ledger = `${f.tmp.filename}.ledger`;
    const client = f.engine({ workflows: [] });
    await client.start(ledgerWorkflow, { steps: 3, hangOn: 2 }, { id: "crash-1" });

    const doomed = spawnWorker(f.tmp.filename, "worker", { REPRISE_LEDGER: ledger, REPRISE_HANG: "1" });
    const doomedExit = exited(doomed);
    await waitFor(() => ledgerLines(ledger).some((line) => line.step === 2), {
      timeoutMs: 30_000,
      message: "step 2 to start",
    });
    doomed.kill("SIGKILL");
    await doomedExit;

    process.env.REPRISE_LEDGER = ledger;
    const survivor = f.engine({ workflows: [ledgerWorkflow], leaseMs: 1_000 });
    await survivor.signal("crash-1", "go", "after the crash");
    const result = await (await survivor.start(ledgerWorkflow, { steps: 3, hangOn: 2 }, { id: "crash-1" })).result();

    const lines = ledgerLines(ledger);
    expect(lines.map((line) => line.step)).toEqual([1, 2, 2, 3]);
    expect(lines[1]?.key).toBe(lines[2]?.key);
    expect(lines[1]?.pid).not.toBe(lines[2]?.pid);
    expect(result).toEqual({ keys: [lines[0]?.key, lines[1]?.key, lines[3]?.key], greeting: "after the crash" });
  });

  it("a worker SIGKILLed between branch completions: only the unrecorded branch re-runs, with its key", async () => {
    const f = await fixture();
    const ledger = `${f.tmp.filename}.ledger`;
    const client = f.engine({ workflows: [] });
    await client.start(parallelLedgerWorkflow, { branches: 3, hangOn: 3 }, { id: "par-crash-1" });

    const doomed = spawnWorker(f.tmp.filename, "worker", { REPRISE_LEDGER: ledger, REPRISE_HANG: "1" });
    const doomedExit = exited(doomed);
    // Branches 1 and 2 are recorded while branch 3 hangs: the kill falls between branch completions.
    await waitFor(
      async () => (await client.history("par-crash-1")).filter((event) => event.type === "step_completed").length === 2,
      { timeoutMs: 30_000, message: "two branches to be recorded" },
    );
    doomed.kill("SIGKILL");
    await doomedExit;

    process.env.REPRISE_LEDGER = ledger;
    const survivor = f.engine({ workflows: [parallelLedgerWorkflow], leaseMs: 1_000 });
    const handle = await survivor.start(parallelLedgerWorkflow, { branches: 3, hangOn: 3 }, { id: "par-crash-1" });
    const result = await handle.result();

    const lines = ledgerLines(ledger);
    expect(lines.map((line) => line.step).sort()).toEqual([1, 2, 3, 3]);
    const third = lines.filter((line) => line.step === 3);
    expect(third[0]?.key).toBe(third[1]?.key);
    expect(third[0]?.pid).not.toBe(third[1]?.pid);
    expect(result).toEqual([1, 2, 3].map((i) => lines.find((line) => line.step === i)?.key));
  });

  it("starts and signals from another process are picked up by a running engine", async () => {
    const f = await fixture();
    const ledger = `${f.tmp.filename}.ledger`;
    process.env.REPRISE_LEDGER = ledger;
    const engine = f.engine({ workflows: [ledgerWorkflow], pollIntervalMs: 100 });
    const client = spawnWorker(f.tmp.filename, "client", {}, "remote-1");
    expect(await exited(client)).toBe(0);
    const info = await waitFor(
      async () => {
        const run = await engine.getRun("remote-1");
        return run?.status === "completed" && run;
      },
      { timeoutMs: 30_000, message: "the remote run to complete" },
    );
    expect(info.result).toMatchObject({ greeting: "signal from another process" });
    expect(ledgerLines(ledger).every((line) => line.pid === process.pid)).toBe(true);
  });
});
