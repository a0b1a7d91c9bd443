// `reprise verify`: replays unfinished runs against new code without executing or writing anything.
// Histories come from the real engine running the v1 fixture; the checks use v2 (a renamed step) and others.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createEngine, step, workflow } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { waitFor } from "@reprise/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReader, verifyRuns, type AnyWorkflow, type VerifyReport } from "../src/index.js";
import { order as renamedOrder } from "./fixtures/workflows-v2-renamed.js";
import { nap, order } from "./fixtures/workflows-v1.js";
import { FIXTURES, parallelDatabase, runCli, seededDatabase, type SeededDatabase } from "./helpers.js";

let seeded: SeededDatabase;
beforeAll(async () => {
  seeded = await seededDatabase();
});
afterAll(() => seeded.cleanup());

const fingerprint = (filename: string) => createHash("sha256").update(readFileSync(filename)).digest("hex");

async function verifyInProcess(filename: string, workflows: readonly AnyWorkflow[]): Promise<VerifyReport> {
  const opened = await openReader(filename, process.cwd());
  try {
    return await verifyRuns(opened.reader, workflows);
  } finally {
    await opened.close();
  }
}

describe("reprise verify", () => {
  it("passes (exit 0) when the code is unchanged", async () => {
    const { code, stdout } = await runCli(["verify", "--workflows", FIXTURES.v1, "--db", seeded.filename]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^checked 3 unfinished runs in .* against .*workflows-v1\.ts in \d+ ms\n/);
    expect(stdout).toContain("✓ every unfinished run replays with the new code (3 ok)");
  });

  it("passes when the change is behind patched(): runs recorded before it replay on the old path", async () => {
    const { code, stdout } = await runCli(["verify", "--workflows", FIXTURES.v2Patched, "--db", seeded.filename]);
    expect(code).toBe(0);
    expect(stdout).toContain("✓ every unfinished run replays with the new code (3 ok)");
    // Both orders waited for approval before the patch point: they take the old path.
    expect(stdout).toContain(
      "✓ patch 'hold-stock': 2 runs (order-1, order-2) take the old path, 0 runs the new one; " +
        "runs that have not reached it take the new one",
    );
  });

  it("reports a renamed step with the first divergent seq, what history holds and what the code yields (exit 3)", async () => {
    const before = fingerprint(seeded.filename);
    const text = await runCli(["verify", "--workflows", FIXTURES.v2, "--db", seeded.filename]);
    expect(text.code).toBe(3);
    expect(text.stdout).toContain(
      "✗ 'order' diverges at seq 2: history has step_completed 'reserve', the new code yields step 'reserve-stock' " +
        "(2 runs: order-1, order-2)",
    );
    const json = await runCli(["verify", "--workflows", FIXTURES.v2, "--db", seeded.filename, "--json"]);
    expect(json.code).toBe(3);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report).toMatchObject({ checked: 3, ok: 1, unblocked: [], warnings: [] });
    expect(report.problems).toEqual([
      {
        kind: "diverged",
        runId: "order-1",
        workflow: "order",
        status: "waiting",
        seq: 2,
        history: "step_completed 'reserve'",
        code: "step 'reserve-stock'",
      },
      expect.objectContaining({ kind: "diverged", runId: "order-2", seq: 2 }),
    ]);
    expect(fingerprint(seeded.filename)).toBe(before);
  });

  it("reports runs whose workflow the module does not export", async () => {
    const { code, stdout } = await runCli(["verify", "--workflows", FIXTURES.shop, "--db", seeded.filename, "--json"]);
    expect(code).toBe(3);
    const report = JSON.parse(stdout) as VerifyReport;
    expect(report.problems.map((p) => [p.kind, p.runId])).toEqual([
      ["missing-workflow", "order-1"],
      ["missing-workflow", "order-2"],
      ["missing-workflow", "nap-1"],
    ]);
  });

  it("says runs of a workflow missing from the module would wait unserved, not that they would block", async () => {
    const { code, stdout } = await runCli(["verify", "--workflows", FIXTURES.shop, "--db", seeded.filename]);
    expect(code).toBe(3);
    expect(stdout).not.toContain("blocked");
    expect(stdout).toContain(
      "✗ 'order' is not exported by the module, so no worker running it would serve these runs (2 runs: order-1, order-2)",
    );
    expect(stdout.trimEnd().split("\n").at(-1)).toBe(
      "3 run(s) would wait unserved (their workflow is not in the module); 0 replay cleanly. Before deploying, " +
        "keep exporting those workflows, serve them from another worker, or cancel those runs.",
    );
  });

  it("says what the new code threw when it ends the workflow early", async () => {
    const throwing = workflow("order", function* () {
      yield* step("reserve", () => "unused");
      throw new TypeError("order.items is undefined");
    });
    const report = await verifyInProcess(seeded.filename, [throwing, nap]);
    expect(report.problems[0]).toMatchObject({
      kind: "diverged",
      runId: "order-1",
      seq: 3,
      history: "signal_wait_started 'approve'",
      code: "the end of the workflow (run failed)",
      thrown: "TypeError: order.items is undefined",
    });
  });

  it("lists blocked runs that the new code lets continue", async () => {
    const store = await SqliteStore.open({ filename: seeded.filename });
    const engine = createEngine({ store, workflows: [renamedOrder, nap], pollIntervalMs: 20 });
    try {
      // The engine's start-up check replays the runs v1 recorded with the renamed step, and blocks them.
      await engine.whenIdle();
      await waitFor(async () => (await engine.getRun("order-2"))?.status === "blocked", {
        message: "order-2 to block",
      });
    } finally {
      await engine.close();
      await store.close();
    }
    const report = await verifyInProcess(seeded.filename, [order, nap]);
    expect(report.unblocked).toEqual(["order-1", "order-2"]);
    expect(report.problems).toEqual([]);
  });
});

describe("reprise verify with parallel branches", () => {
  let parallel: SeededDatabase;
  beforeAll(async () => {
    parallel = await parallelDatabase();
  }, 30_000);
  afterAll(() => parallel?.cleanup());

  it("passes when the branches' code is unchanged", async () => {
    const { code, stdout } = await runCli(["verify", "--workflows", FIXTURES.parallel, "--db", parallel.filename]);
    expect(code).toBe(0);
    expect(stdout).toContain("✓ every unfinished run replays with the new code (2 ok)");
  });

  it("names the branch in which a renamed branch step diverges (exit 3)", async () => {
    const text = await runCli(["verify", "--workflows", FIXTURES.parallelRenamed, "--db", parallel.filename]);
    expect(text.code).toBe(3);
    // Which save step comes first in the log depends on which fetch finished first; its branch must match it.
    const line =
      /✗ 'fanout' diverges at seq (\d+): history has step_started 'save-(\d)' at all\[\d\], the new code yields all\[(\d)\] > step 'store-(\d)' \(1 run: fanout-1\)/.exec(
        text.stdout,
      );
    expect(line, text.stdout).not.toBeNull();
    const [, , saved, branch, stored] = line as RegExpExecArray;
    const ids = [5, 6, 7];
    expect(saved).toBe(stored);
    expect(ids[Number(branch)]).toBe(Number(stored));
    const json = await runCli(["verify", "--workflows", FIXTURES.parallelRenamed, "--db", parallel.filename, "--json"]);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report).toMatchObject({ checked: 2, ok: 1 });
    expect(report.problems).toEqual([
      {
        kind: "diverged",
        runId: "fanout-1",
        workflow: "fanout",
        status: "waiting",
        seq: expect.any(Number) as number,
        history: `step_started 'save-${stored}' at all[${branch}]`,
        code: `all[${branch}] > step 'store-${stored}'`,
        branch: `all[${branch}]`,
      },
    ]);
  });
});

describe("loading workflow modules", () => {
  it("refuses workflows built on another copy of @reprise/core, naming both copies", async () => {
    const project = join(seeded.dir, "other-project");
    const fakeCore = join(project, "node_modules/@reprise/core");
    mkdirSync(fakeCore, { recursive: true });
    writeFileSync(
      join(fakeCore, "package.json"),
      JSON.stringify({ name: "@reprise/core", type: "module", exports: "./index.js" }),
    );
    writeFileSync(join(fakeCore, "index.js"), "export const workflow = (name, fn) => ({ name, fn });\n");
    writeFileSync(
      join(project, "workflows.mjs"),
      'import { workflow } from "@reprise/core";\nexport const order = workflow("order", function* () {});\n',
    );
    const { code, stderr } = await runCli(["verify", "--workflows", "workflows.mjs", "--db", seeded.filename], {
      cwd: project,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^error: workflows\.mjs uses another copy of @reprise\/core \(.*other-project\/node_modules\/@reprise\/core\/index\.js\) than the reprise CLI \(.*\/packages\/core\/src\/index\.ts\); install @reprise\/cli in the same project/,
    );
  });

  it("refuses a module that exports no workflow definitions", async () => {
    const module = join(seeded.dir, "empty.mjs");
    writeFileSync(module, "export const answer = 42;\n");
    const { code, stderr } = await runCli(["verify", "--workflows", module, "--db", seeded.filename]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `error: ${module} exports no workflow definitions; export the values returned by workflow() from @reprise/core\n`,
    );
  });
});
