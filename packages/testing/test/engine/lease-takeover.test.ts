// A worker process killed with SIGKILL: an engine on the same machine takes its leases over at once, because the
// dead process's pid is provably gone; a live worker's leases are never touched. Real processes, real pids.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, afterEach } from "vitest";
import { FaultyStore, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";
import { ledgerWorkflow } from "../processes/workflows.js";

const workerScript = join(dirname(fileURLToPath(import.meta.url)), "../processes/worker.ts");
/** The facts the takeover rule needs (Linux); elsewhere leases only expire, and this test would just wait. */
const CAN_PROVE_DEATH = existsSync("/proc/sys/kernel/random/boot_id") && existsSync("/proc/self/ns/pid");
/** Ten minutes: within the test, only the takeover rule can explain another engine running the step. */
const LONG_LEASE_MS = 600_000;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

function spawnWorker(filename: string, ledger: string): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=@reprise/source", workerScript, filename, "worker"],
    {
      env: { ...process.env, REPRISE_LEDGER: ledger, REPRISE_HANG: "1", REPRISE_LEASE_MS: String(LONG_LEASE_MS) },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  children.push(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, exited };
}

function ledgerLines(path: string): { step: number; key: string; pid: number }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as { step: number; key: string; pid: number });
}

describe("lease takeover on the same machine", () => {
  it.skipIf(!CAN_PROVE_DEATH)(
    "leaves a live worker's lease alone, and once it is SIGKILLed a new engine runs its step at once",
    { timeout: 60_000 },
    async () => {
      const f = await fixture();
      const ledger = `${f.tmp.filename}.ledger`;
      const client = f.engine({ workflows: [] });
      await client.start(ledgerWorkflow, { steps: 3, hangOn: 2 }, { id: "held" });
      const worker = spawnWorker(f.tmp.filename, ledger);
      await waitFor(() => ledgerLines(ledger).some((line) => line.step === 2), {
        timeoutMs: 30_000,
        message: "the worker to enter step 2",
      });
      const workerPid = ledgerLines(ledger)[0]?.pid;
      expect(workerPid).toBe(worker.child.pid);
      process.env.REPRISE_LEDGER = ledger;

      // The worker is alive and hangs inside step 2: an engine starting up next to it must not take the run.
      const watching = new FaultyStore(f.store);
      const bystander = f.engine({ workflows: [ledgerWorkflow], store: watching, leaseMs: LONG_LEASE_MS });
      await waitFor(() => watching.calls.some((call) => call.method === "leaseHoldersOn" && call.outcome === "ok"), {
        message: "the bystander's look at the lease holders",
      });
      await bystander.whenIdle();
      const holders = watching.calls.find((call) => call.method === "leaseHoldersOn")?.result as { pid: number }[];
      expect(holders.map((holder) => holder.pid)).toContain(workerPid);
      expect(watching.calls.filter((call) => call.method === "expireLeasesOf")).toEqual([]);
      expect((await client.getRun("held"))?.status).toBe("running");
      expect(ledgerLines(ledger).map((line) => line.step)).toEqual([1, 2]);
      await bystander.close();

      worker.child.kill("SIGKILL");
      await worker.exited;

      // Restarted at once, with a ten-minute lease of its own: it proves the holder dead and runs step 2 again.
      const restarted = f.engine({ workflows: [ledgerWorkflow], leaseMs: LONG_LEASE_MS });
      await restarted.signal("held", "go", "after the kill");
      const result = await (await restarted.start(ledgerWorkflow, { steps: 3, hangOn: 2 }, { id: "held" })).result();
      const lines = ledgerLines(ledger);
      expect(lines.map((line) => line.step)).toEqual([1, 2, 2, 3]);
      expect(lines[1]?.key).toBe(lines[2]?.key);
      expect(lines[2]?.pid).toBe(process.pid);
      expect(result).toEqual({ keys: [lines[0]?.key, lines[1]?.key, lines[3]?.key], greeting: "after the kill" });
    },
  );
});
