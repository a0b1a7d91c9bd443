// The worker's lines about failed and blocked runs: printed by a real worker process, once per run, with the
// fix; and the Store wrapper behind them, which adds no store call to a run that ends well.
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createEngine, type RunCommit, type Store } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { FaultyStore, temporaryStore, waitFor } from "@reprise/testing";
import { afterEach, describe, expect, it } from "vitest";
import { describeRunProblem, reportRunProblems, type RunProblem } from "../src/worker-run-report.js";
import { refund } from "./fixtures/worker-problems.js";
import { order } from "./fixtures/workflows-v1.js";
import { seededDatabase, spawnCli } from "./helpers.js";

const PROBLEMS_FIXTURE = fileURLToPath(new URL("./fixtures/worker-problems.ts", import.meta.url));

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("reprise worker prints one line per failed or blocked run", () => {
  it("names the run, its workflow, the error and the command that helps", async () => {
    const seeded = await seededDatabase();
    cleanups.push(() => seeded.cleanup());
    const worker = spawnCli([
      "worker",
      "--workflows",
      PROBLEMS_FIXTURE,
      "--db",
      seeded.filename,
      "--poll-interval",
      "20",
    ]);
    cleanups.push(() => void (worker.exitCode === null && worker.kill("SIGKILL")));
    let stdout = "";
    let stderr = "";
    worker.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    worker.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stdout.includes("Ctrl-C stops it"), { message: "the worker to start", timeoutMs: 15_000 });

    const store = await SqliteStore.open({ filename: seeded.filename });
    const client = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
    cleanups.push(async () => {
      await client.close();
      await store.close();
    });
    // By definition, not by name: the worker may not have registered its workflows yet when it prints its banner.
    await client.start(refund, { orderId: "1001" }, { id: "refund-1" });
    // order-1 was recorded by v1's code; the worker serves v2, whose first step has another name.
    await client.signal("order-1", "approve", { by: "ada" });
    await waitFor(
      () => stderr.includes("run refund-1") && stderr.includes("run order-1") && stderr.includes("run order-2"),
      {
        message: "both lines",
        timeoutMs: 15_000,
      },
    );
    await waitFor(async () => (await client.getRun("order-1"))?.status === "blocked", { message: "order-1 blocked" });

    const exited = once(worker, "exit");
    worker.kill("SIGTERM");
    await exited;
    const lines = stderr.trimEnd().split("\n");
    // order-2 was recorded by v1 too: the worker's start-up check blocks it without waiting for its signal.
    expect(lines).toHaveLength(3);
    expect(lines.some((line) => line.startsWith("run order-2 (order) blocked: NonDeterminismError"))).toBe(true);
    expect(lines).toContain(
      "run refund-1 (refund) failed: StepFailedError: Step 'charge-back' failed after 1 attempt: " +
        "NonRetryableError: card issuer refused the refund of 1001; see `reprise show refund-1`",
    );
    expect(lines.find((line) => line.startsWith("run order-1 "))).toMatch(
      /^run order-1 \(order\) blocked: NonDeterminismError: .+; deploy code matching its history, or end it without running its code: `reprise cancel order-1 --force`$/,
    );
  });
});

describe("reportRunProblems", () => {
  it("reports a blocked run once while it stays blocked, and again after it moved on and blocked anew", async () => {
    const problems: RunProblem[] = [];
    const fake = {
      commit: async () => undefined,
      getRun: async () => ({ workflow: "order" }),
    } as unknown as Store;
    const store = reportRunProblems(fake, (problem) => problems.push(problem));
    const blocked: RunCommit = {
      runId: "r1",
      owner: "w",
      expectedLastSeq: 3,
      events: [],
      consumedSignals: [],
      update: { status: "blocked", reason: "NonDeterminismError: diverged", release: true },
      nowMs: 0,
    };
    await store.commit(blocked);
    await store.commit(blocked);
    await waitFor(() => problems.length === 1, { message: "the first report" });
    await store.commit({ ...blocked, update: { status: "running", release: false } });
    await store.commit(blocked);
    await waitFor(() => problems.length === 2, { message: "the second report" });
    expect(problems.map(describeRunProblem)).toEqual(
      Array(2).fill(
        "run r1 (order) blocked: NonDeterminismError: diverged; deploy code matching its history, or end it without running its code: " +
          "`reprise cancel r1 --force`",
      ),
    );
  });

  it("adds no store call to a run that completes, and one getRun to a run that fails", async () => {
    const tmp = await temporaryStore();
    const counted = new FaultyStore(tmp.store);
    const problems: RunProblem[] = [];
    const engine = createEngine({
      store: reportRunProblems(counted, (problem) => problems.push(problem)),
      workflows: [order, refund],
    });
    cleanups.push(async () => {
      await engine.close();
      await tmp.cleanup();
    });
    const run = await engine.start(order, { orderId: "1", cents: 1 }, { id: "o-1" });
    await engine.signal("o-1", "approve", { by: "ada" }); // buffered until the run waits for it
    await run.result();
    await engine.whenIdle();
    const getRuns = () => counted.calls.filter((call) => call.method === "getRun").length;
    expect(counted.calls.some((call) => call.method === "commit")).toBe(true);
    expect(getRuns()).toBe(0);

    const failing = await engine.start(refund, { orderId: "2" }, { id: "refund-2" });
    await expect(failing.result()).rejects.toThrow("card issuer refused the refund of 2");
    await waitFor(() => problems.length === 1, { message: "the report" });
    expect(problems[0]).toMatchObject({ runId: "refund-2", workflow: "refund", status: "failed" });
    expect(getRuns()).toBe(1);
  });
});
