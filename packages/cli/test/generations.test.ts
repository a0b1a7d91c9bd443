// Runs that continued as new, through the CLI on a real SQLite file: `runs` and `show` name the generation,
// `show --generation <n>` prints an earlier one from event_archive, and verify replays only the current one.
import { SqliteStore } from "@reprise/store-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTINUED_RUN_START_MS, writeContinuedRun } from "./fixtures/continued-run.js";
import { FIXTURES, runCli, seededDatabase, type SeededDatabase } from "./helpers.js";

let seeded: SeededDatabase;
beforeAll(async () => {
  seeded = await seededDatabase();
  const store = await SqliteStore.open({ filename: seeded.filename });
  try {
    await writeContinuedRun(store, "pager-1", { workflow: "pager", generations: 3 });
  } finally {
    await store.close();
  }
});
afterAll(() => seeded?.cleanup());

const db = () => ["--db", seeded.filename];

describe.concurrent("a run in its third generation", () => {
  it("runs adds a GEN column, and --json has each run's version and generation", async () => {
    const table = await runCli(["runs", ...db()]);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+WORKFLOW\s+GEN\s+STATUS\s+WAITING FOR\s+UPDATED$/);
    expect(
      lines
        .find((line) => line.startsWith("pager-1"))
        ?.split(/\s+/)
        .slice(0, 4),
    ).toEqual(["pager-1", "pager", "3", "pending"]);
    const json = await runCli(["runs", "--json", ...db()]);
    const { runs } = JSON.parse(json.stdout) as { runs: { id: string; version: number; generation: number }[] };
    expect(runs.find((run) => run.id === "pager-1")).toMatchObject({ version: 1, generation: 3 });
    expect(runs.find((run) => run.id === "order-1")).toMatchObject({ version: 1, generation: 1 });
  });

  it("show names the generation and how to read the earlier ones, and times the current one", async () => {
    const { code, stdout } = await runCli(["show", "pager-1", ...db()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pager-1 {2}pager {2}pending {2}generation 3\n {2}version {3}1\n/);
    expect(stdout).toContain("  earlier   generations 1-2 kept; read one with reprise show pager-1 --generation <n>\n");
    expect(stdout).toContain("  input     { page: 3 }\n");
    expect(stdout).toContain(`timeline (offsets from ${new Date(CONTINUED_RUN_START_MS + 121_000).toISOString()})`);
    expect(stdout).toContain("→ { rows: 30 }");
    expect(stdout).not.toContain("continued as new");
  });

  it("show --generation 1 prints that generation's timeline and log, read from the archive", async () => {
    const { code, stdout } = await runCli(["show", "pager-1", "--generation", "1", "--events", ...db()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^pager-1 {2}pager {2}generation 1 of 3\n/);
    expect(stdout).toContain("  input     { page: 1 }\n");
    expect(stdout).toContain("  now       pending in generation 3 (reprise show pager-1)\n");
    expect(stdout).toContain("→ { rows: 10 }");
    expect(stdout).toContain("continued as new → next generation's input { page: 2 }");
    expect(stdout).toMatch(/ {3}3 {2}\S+ {2}run_continued {10}\{ input: \{ page: 2 \} \}\n$/);
  });

  it("show --generation 2 --json has the generation's events, timeline and which generations there are", async () => {
    const { code, stdout } = await runCli(["show", "pager-1", "--generation", "2", "--json", ...db()]);
    expect(code).toBe(0);
    const shown = JSON.parse(stdout) as {
      run: { id: string; generation: number };
      generation: unknown;
      events: { seq: number; type: string; generation?: number }[];
      timeline: { live: boolean; items: { kind: string; status?: string; result?: unknown }[] };
    };
    expect(shown.run).toMatchObject({ id: "pager-1", generation: 3 });
    expect(shown.generation).toEqual({ shown: 2, current: 3, kept: [1, 2] });
    expect(shown.events.map((event) => event.type)).toEqual(["run_started", "step_completed", "run_continued"]);
    expect(shown.events[0]?.generation).toBe(2);
    expect(shown.timeline.live).toBe(false);
    expect(shown.timeline.items.at(-1)).toMatchObject({ kind: "end", status: "continued", result: { page: 3 } });
  });

  it("a generation the run does not have is one line and exit code 1", async () => {
    const later = await runCli(["show", "pager-1", "--generation", "4", ...db()]);
    expect(later.code).toBe(1);
    expect(later.stderr).toBe(
      "error: run pager-1 has no generation 4: it is in generation 3; earlier generations kept: 1, 2\n",
    );
    const single = await runCli(["show", "order-1", "--generation", "2", ...db()]);
    expect(single.code).toBe(1);
    expect(single.stderr).toBe(
      "error: run order-1 has no generation 2: it has one generation (it never continued as new)\n",
    );
    const bad = await runCli(["show", "pager-1", "--generation", "0", ...db()]);
    expect(bad.code).toBe(2);
  });

  it("verify replays only the current generation of a continued run", async () => {
    const { code, stdout } = await runCli(["verify", "--workflows", FIXTURES.pager, "--db", seeded.filename, "--json"]);
    expect(code).toBe(3); // order and nap are not in the pager module
    const report = JSON.parse(stdout) as { problems: { runId: string; kind: string }[]; ok: number };
    expect(report.problems.map((problem) => problem.runId)).not.toContain("pager-1");
    expect(report.problems.every((problem) => problem.kind === "missing-workflow")).toBe(true);
    expect(report.ok).toBe(1);
  });
});
