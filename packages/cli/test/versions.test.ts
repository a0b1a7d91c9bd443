// Versioned definitions through the CLI on real SQLite files: verify replays each run with the code of its own
// version, start picks the highest version (or --workflow-version), runs shows and filters versions, and a
// worker serves every version a module exports.
import { once } from "node:events";
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { waitFor } from "@reprise/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifyReport } from "../src/index.js";
import { FIXTURES, runCli, seededDatabase, spawnCli, type SeededDatabase } from "./helpers.js";

describe("reprise verify with versioned definitions", () => {
  let seeded: SeededDatabase;
  beforeAll(async () => {
    seeded = await seededDatabase();
  });
  afterAll(() => seeded?.cleanup());

  it("passes when the changed code is a new version next to the one the runs started on", async () => {
    const { code, stdout } = await runCli(["verify", "--workflows", FIXTURES.versioned, "--db", seeded.filename]);
    expect(code).toBe(0);
    expect(stdout).toContain("unfinished runs per version: 'nap' v1 1; 'order' v1 2, v2 0\n");
    expect(stdout).toContain("✓ every unfinished run replays with the new code (3 ok)");
    const json = await runCli(["verify", "--workflows", FIXTURES.versioned, "--db", seeded.filename, "--json"]);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.problems).toEqual([]);
    expect(report.versions).toEqual([
      { workflow: "nap", version: 1, runs: 1, exported: true },
      { workflow: "order", version: 1, runs: 2, exported: true },
      { workflow: "order", version: 2, runs: 0, exported: true },
    ]);
  });

  it("fails naming version 1 when the module exports only the changed version 2 (exit 3)", async () => {
    const { code, stdout } = await runCli(["verify", "--workflows", FIXTURES.v2Only, "--db", seeded.filename]);
    expect(code).toBe(3);
    expect(stdout).toContain(
      "✗ version 1 of workflow 'order' is not exported by the module, so no worker running it would serve these " +
        "runs; keep that definition registered (workflow('order', fn, { version: 1 })) next to the new one " +
        "(2 runs: order-1, order-2)",
    );
    // Not a divergence: version 2's code is never tried on runs of version 1.
    expect(stdout).not.toContain("diverges");
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(
      "2 run(s) would wait unserved (the version they started on is not in the module); 1 replay cleanly. " +
        "Before deploying, keep exporting the definitions of those versions next to the new one until their runs finish.",
    );
    const json = await runCli(["verify", "--workflows", FIXTURES.v2Only, "--db", seeded.filename, "--json"]);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.problems).toEqual([
      { kind: "missing-workflow", runId: "order-1", workflow: "order", status: "waiting", version: 1 },
      { kind: "missing-workflow", runId: "order-2", workflow: "order", status: "waiting", version: 1 },
    ]);
    expect(report.versions).toContainEqual({ workflow: "order", version: 1, runs: 2, exported: false });
  });

  it("refuses a module with two different definitions of one name and version (exit 2)", async () => {
    const { code, stderr } = await runCli(["verify", "--workflows", FIXTURES.clash, "--db", seeded.filename]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: ${FIXTURES.clash} exports two different definitions of version 2 of workflow 'order' (one as ` +
        `'orderAgain'); give each definition that shares a name its own version: workflow('order', fn, { version: 3 })\n`,
    );
  });
});

describe("starting and listing runs of several versions", () => {
  let seeded: SeededDatabase;
  beforeAll(async () => {
    seeded = await seededDatabase();
  });
  afterAll(() => seeded?.cleanup());
  const db = () => ["--db", seeded.filename];
  const versionOf = async (id: string) => {
    const { stdout } = await runCli(["show", id, "--json", ...db()]);
    return (JSON.parse(stdout) as { run: { version: number } }).run.version;
  };

  it("start picks the highest version the module exports, or the one --workflow-version names", async () => {
    const latest = await runCli([
      "start",
      "order",
      "{}",
      "--id",
      "order-9",
      "--workflows",
      FIXTURES.versioned,
      ...db(),
    ]);
    expect(latest.code).toBe(0);
    // The note says that no worker serves version 2 yet: true, none runs here.
    expect(latest.stdout).toMatch(
      /^started order run order-9 \(version 2, status pending\)\nnote: No running engine serves version 2 of workflow 'order'/,
    );
    const older = await runCli(
      ["start", "order", "{}", "--id", "order-8", "--workflows", FIXTURES.versioned, "--workflow-version", "1"].concat(
        db(),
        "--json",
      ),
    );
    expect(JSON.parse(older.stdout)).toMatchObject({ runId: "order-8", version: 1, created: true });
    const missing = await runCli([
      "start",
      "order",
      "--workflows",
      FIXTURES.versioned,
      "--workflow-version",
      "3",
      ...db(),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `error: ${FIXTURES.versioned} does not export version 3 of workflow 'order'; it exports versions 1, 2\n`,
    );
  });

  it("start by name picks the highest version a worker has served on the database", async () => {
    const store = await SqliteStore.open({ filename: seeded.filename });
    try {
      await store.registerWorkflows([{ name: "order", version: 2 }], Date.now());
    } finally {
      await store.close();
    }
    expect((await runCli(["start", "order", "{}", "--id", "order-7", ...db()])).code).toBe(0);
    expect(await versionOf("order-7")).toBe(2);
    expect((await runCli(["start", "nap", "--id", "nap-7", ...db()])).code).toBe(0);
    expect(await versionOf("nap-7")).toBe(1);
  });

  it("rerun starts on the version of the run it repeats", async () => {
    const { code, stdout } = await runCli(["rerun", "order-8", "--json", ...db()]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ runId: "order-8-rerun-1", version: 1, rerunOf: "order-8" });
  });

  it("runs shows each run's version once versions differ, and --workflow-version filters by it", async () => {
    const { code, stdout } = await runCli(["runs", "--workflow", "order", ...db()]);
    expect(code).toBe(0);
    const cells = stdout
      .trimEnd()
      .split("\n")
      .slice(1)
      .map((line) => line.split(/\s+/).slice(0, 2));
    expect(cells).toEqual(
      expect.arrayContaining([
        ["order-9", "order@2"],
        ["order-8", "order@1"],
        ["order-1", "order@1"],
      ]),
    );
    const filtered = await runCli(["runs", "--workflow-version", "2", "--json", ...db()]);
    const { runs } = JSON.parse(filtered.stdout) as { runs: { id: string; version: number; generation: number }[] };
    expect(runs.map(({ id, version, generation }) => [id, version, generation]).sort()).toEqual([
      ["order-7", 2, 1],
      ["order-9", 2, 1],
    ]);
    const none = await runCli(["runs", "--workflow-version", "5", ...db()]);
    expect(none.stdout).toBe(`no runs with version 5 in ${seeded.filename}\n`);
    const bad = await runCli(["runs", "--workflow-version", "0", ...db()]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--workflow-version must be a whole number from 1 to 2147483647 (got '0')");
  });

  it("show names the run's version", async () => {
    const { stdout } = await runCli(["show", "order-9", ...db()]);
    expect(stdout).toMatch(/^order-9 {2}order {2}pending\n {2}version {3}2\n/);
  });
});

describe("reprise worker with several versions", () => {
  let seeded: SeededDatabase;
  beforeAll(async () => {
    seeded = await seededDatabase();
  });
  afterAll(() => seeded?.cleanup());

  it("serves every version the module exports: runs of version 1 finish on version 1's code", async () => {
    const worker = spawnCli([
      "worker",
      "--workflows",
      FIXTURES.versioned,
      "--db",
      seeded.filename,
      "--poll-interval",
      "20",
    ]);
    let stdout = "";
    let stderr = "";
    worker.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    worker.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const store = await SqliteStore.open({ filename: seeded.filename });
    const client = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
    try {
      await waitFor(() => stdout.includes("Ctrl-C stops it"), { message: "the worker to start", timeoutMs: 15_000 });
      expect(stdout).toMatch(/serving nap, order \(versions 1, 2\) on /);
      // Version 2 renamed the first step: replayed with it, order-1 would block instead of completing.
      await client.signal("order-1", "approve", { by: "ada" });
      const done = await waitFor(
        async () => {
          const info = await client.getRun("order-1");
          return (info?.status === "completed" || info?.status === "blocked") && info;
        },
        { message: "order-1 to finish" },
      );
      expect(done).toMatchObject({ status: "completed", version: 1 });
    } finally {
      const exited = once(worker, "exit");
      worker.kill("SIGTERM");
      await exited;
      await client.close();
      await store.close();
    }
    expect(stderr).toBe("");
  });
});
