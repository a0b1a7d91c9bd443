// `reprise worker`: executes runs until SIGTERM, then shuts down gracefully; the live status line on a terminal.
// The worker runs as a child process on a real file; the status line is checked in-process with a fake terminal.
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { waitFor } from "@reprise/testing";
import { afterEach, describe, expect, it } from "vitest";
import type { CliIo } from "../src/index.js";
import { startWorkerStatus } from "../src/worker-status.js";
import { order } from "./fixtures/workflows-v1.js";
import { FIXTURES, seededDatabase, spawnCli } from "./helpers.js";

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("reprise worker", () => {
  it("creates the database, executes runs started elsewhere, and stops on SIGTERM with exit code 0", async () => {
    const dir = mkdtempSync(join(tmpdir(), "reprise-worker-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const filename = join(dir, "fresh.db");
    const worker = spawnCli(["worker", "--workflows", FIXTURES.v1, "--db", filename, "--poll-interval", "20"]);
    cleanups.push(() => void (worker.exitCode === null && worker.kill("SIGKILL")));
    let stdout = "";
    let stderr = "";
    worker.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    worker.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stdout.includes("Ctrl-C stops it"), { message: "the worker to start", timeoutMs: 15_000 });
    expect(stdout).toMatch(/^reprise worker \(pid \d+\) serving nap, order on .*fresh\.db; Ctrl-C stops it\n$/);

    const store = await SqliteStore.open({ filename });
    const client = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
    cleanups.push(async () => {
      await client.close();
      await store.close();
    });
    const run = await client.start(order, { orderId: "w", cents: 5 }, { id: "order-w" });
    await waitFor(async () => (await client.getRun(run.id))?.status === "waiting", { message: "the run to wait" });
    await client.signal(run.id, "approve", { by: "worker test" });
    const done = await waitFor(
      async () => {
        const info = await client.getRun(run.id);
        return info?.status === "completed" && info;
      },
      { message: "the run to complete" },
    );
    expect(done.result).toEqual({ reservationId: "R-w", chargeId: "C-w", cents: 5, approvedBy: "worker test" });

    const exited = once(worker, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    worker.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stdout).toContain(
      "SIGTERM: stopping; running steps may finish (up to the shutdown grace), then leases are released\n",
    );
    expect(stdout).toMatch(/stopped \(2 step attempts in this worker\)\n$/);
    expect(stderr).toBe("");
  });
});

describe("the worker's status line", () => {
  it("is drawn in place on a terminal with the counts per status", async () => {
    const seeded = await seededDatabase();
    cleanups.push(() => seeded.cleanup());
    const store = await SqliteStore.open({ filename: seeded.filename });
    const engine = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
    cleanups.push(async () => {
      await engine.close();
      await store.close();
    });
    let written = "";
    const io: CliIo = {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (written += text), isTTY: true, columns: 200 },
      env: { NO_COLOR: "1" },
      cwd: seeded.dir,
      readStdin: async () => "",
    };
    const status = startWorkerStatus(io, engine, store, ["order", "nap"]);
    // The counts are read asynchronously (the store may be a server); the first line follows at once.
    await waitFor(() => written.includes("step attempts here"), { message: "the status line" });
    status.stop();
    expect(written).toBe(
      "\r\u001b[2Kreprise worker order, nap · 0 active · 2 waiting · 1 sleeping · 1 completed · 0 failed · 0 blocked · " +
        "0 step attempts here\r\u001b[2K",
    );
  });

  it("prints nothing when stderr is not a terminal", () => {
    let written = "";
    const io = {
      stderr: { write: (text: string) => (written += text), isTTY: false },
    } as unknown as CliIo;
    startWorkerStatus(io, undefined as never, undefined as never, []).stop();
    expect(written).toBe("");
  });
});
