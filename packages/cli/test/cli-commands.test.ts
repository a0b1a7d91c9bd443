// The reprise binary in child processes against a real database: output, --json, exit codes and one-line errors.
// Each test spawns the real binary (node + tsx loader) on a seeded SQLite file; read-only checks run concurrently.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, runCli, seededDatabase, type SeededDatabase } from "./helpers.js";

let seeded: SeededDatabase;
beforeAll(async () => {
  seeded = await seededDatabase();
});
afterAll(() => seeded.cleanup());

const db = () => ["--db", seeded.filename];

/** An error is exactly one line on stderr, without a stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
}

describe.concurrent("reading runs", () => {
  it("runs --json lists every run with its status, newest first", async () => {
    const { code, stdout } = await runCli(["runs", "--json", ...db()]);
    expect(code).toBe(0);
    const { runs } = JSON.parse(stdout) as { runs: { id: string; status: string; waitingFor?: unknown }[] };
    expect(Object.fromEntries(runs.map((run) => [run.id, run.status]))).toEqual({
      "order-1": "waiting",
      "order-2": "waiting",
      "order-3": "completed",
      "nap-1": "sleeping",
    });
    expect(runs.find((run) => run.id === "order-1")?.waitingFor).toEqual({ kind: "signal", name: "approve" });
  });

  it("runs prints a table filtered by status", async () => {
    const { code, stdout } = await runCli(["runs", "--status", "waiting,sleeping", ...db()]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+WORKFLOW\s+STATUS\s+WAITING FOR\s+UPDATED$/);
    expect(lines.slice(1, 4).map((line) => line.split(/\s+/).slice(0, 3))).toEqual(
      expect.arrayContaining([
        ["order-1", "order", "waiting"],
        ["order-2", "order", "waiting"],
        ["nap-1", "nap", "sleeping"],
      ]),
    );
    // The last line counts the runs the filters match.
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe("(3 matching runs)");
    expect(stdout).toContain("signal 'approve' (timeout ");
  });

  it("show prints the outcome, the timeline and, with --events, the log", async () => {
    const { code, stdout } = await runCli(["show", "order-3", "--events", ...db()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^order-3 {2}order {2}completed\n/);
    expect(stdout).toContain(
      "result    { reservationId: 'R-order-3', chargeId: 'C-order-3', cents: 1250, approvedBy: 'ada' }",
    );
    expect(stdout).toMatch(/step 'reserve' completed in ≤\S+ → \{ reservationId: 'R-order-3' \}/);
    expect(stdout).toMatch(/wait for signal 'approve' \(timeout at \+1h 00m\); received at \+/);
    expect(stdout).toContain("signal 'approve' received ← { by: 'ada' }");
    expect(stdout).toMatch(/ {3}6 {2}\S+ {2}run_completed/);
  });

  it("show --json has the run, its timeline and its decoded events", async () => {
    const { code, stdout } = await runCli(["show", "order-1", "--json", ...db()]);
    expect(code).toBe(0);
    const shown = JSON.parse(stdout) as {
      run: { status: string; input: unknown };
      timeline: { items: { kind: string; name?: string; outcome?: string }[] };
      events: { seq: number; type: string }[];
    };
    expect(shown.run).toMatchObject({ status: "waiting", input: { orderId: "order-1", cents: 1250 } });
    expect(shown.timeline.items).toMatchObject([
      { kind: "step", name: "reserve", outcome: "completed" },
      { kind: "wait", name: "approve", outcome: "waiting" },
    ]);
    expect(shown.events.map((event) => event.type)).toEqual(["run_started", "step_completed", "signal_wait_started"]);
  });

  it("an unknown run id is one line and exit code 1", async () => {
    const { code, stderr } = await runCli(["show", "no-such-run", ...db()]);
    expect(code).toBe(1);
    expectOneLineError(stderr, /no run with id 'no-such-run' in .*reprise\.db; list runs with: reprise runs$/);
  });
});

describe.concurrent("acting on runs", () => {
  it("signal with malformed JSON names the position and changes nothing (exit 2)", async () => {
    const { code, stderr } = await runCli(["signal", "order-1", "approve", '{"by": }', ...db()]);
    expect(code).toBe(2);
    expectOneLineError(stderr, /the payload is not valid JSON: unexpected "}" at line 1, column 8\./);
  });

  it("signal --file stores the payload once; a resend with the same --id is reported as a duplicate", async () => {
    const payloadFile = join(seeded.dir, "payload.json");
    writeFileSync(payloadFile, '{\n  "by": "grace"\n}\n');
    const first = await runCli([
      "signal",
      "order-1",
      "approve",
      "--file",
      payloadFile,
      "--id",
      "sig-1",
      "--json",
      ...db(),
    ]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      runId: "order-1",
      name: "approve",
      signalId: "sig-1",
      duplicate: false,
    });
    const again = await runCli(["signal", "order-1", "approve", "--file", payloadFile, "--id", "sig-1", ...db()]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe("signal id 'sig-1' was already sent to order-1; nothing new stored\n");
  });

  it("signal reads the payload from stdin with --file -", async () => {
    const { code, stdout } = await runCli(["signal", "order-2", "approve", "--file", "-", ...db()], {
      stdin: '{"by": "stdin"}',
    });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^sent signal 'approve' to order-2 \(signal id [0-9a-f-]{36}\)\n$/);
  });

  it("cancel marks the run; cancelling a finished run is one line and exit code 1", async () => {
    const cancelled = await runCli(["cancel", "nap-1", "--reason", "not needed", "--json", ...db()]);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toEqual({
      runId: "nap-1",
      cancelRequested: true,
      forced: false,
      status: "sleeping",
    });
    const finished = await runCli(["cancel", "order-3", ...db()]);
    expect(finished.code).toBe(1);
    expectOneLineError(finished.stderr, /Cannot cancel run 'order-3': it already finished with status 'completed'/);
  });

  it("start creates a pending run from the module's definition; an unknown workflow is a usage error", async () => {
    const started = await runCli([
      "start",
      "order",
      '{"orderId":"9","cents":1}',
      "--id",
      "order-9",
      "--workflows",
      FIXTURES.v1,
      "--json",
      ...db(),
    ]);
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toEqual({
      runId: "order-9",
      workflow: "order",
      version: 1,
      status: "pending",
      created: true,
    });
    const unknown = await runCli(["start", "refund", "--workflows", FIXTURES.v1, ...db()]);
    expect(unknown.code).toBe(2);
    expectOneLineError(unknown.stderr, /unknown workflow 'refund': .*workflows-v1\.ts exports 'nap', 'order'$/);
  });
});

describe.concurrent("databases that cannot be used", () => {
  it("a missing database is one line, exit code 1, and is not created", async () => {
    const missing = join(seeded.dir, "missing.db");
    const { code, stdout, stderr } = await runCli(["runs", "--db", missing]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expectOneLineError(stderr, new RegExp(`^error: no database at ${missing}; pass --db <file>`));
    expect(existsSync(missing)).toBe(false);
  });

  it("a file that is not SQLite, and a SQLite file that is not a Reprise store, are named as such", async () => {
    const text = join(seeded.dir, "notes.db");
    writeFileSync(text, "these are my notes, not a database ".repeat(10));
    const other = join(seeded.dir, "other.db");
    const foreign = new Database(other);
    foreign.exec("create table customers (id integer primary key)");
    foreign.close();
    const [notSqlite, notReprise] = await Promise.all([
      runCli(["show", "x", "--db", text]),
      runCli(["runs", "--db", other]),
    ]);
    expect(notSqlite.code).toBe(1);
    expectOneLineError(notSqlite.stderr, /notes\.db is not a SQLite database, so not a Reprise store; check --db$/);
    expect(notReprise.code).toBe(1);
    expectOneLineError(
      notReprise.stderr,
      /other\.db is a SQLite database but not a Reprise store \(it has other tables\)/,
    );
    expect(readFileSync(text, "utf8")).toMatch(/^these are my notes/);
  });

  it("--verbose adds the stack trace", async () => {
    const { code, stderr } = await runCli(["runs", "--db", join(seeded.dir, "missing.db"), "--verbose"]);
    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toMatch(/^error: no database at /);
    expect(stderr).toMatch(/\n {4}at requireDatabase \(/);
  });

  it("ui refuses a non-loopback host without a token (exit 2)", async () => {
    const { code, stderr } = await runCli(["ui", "--host", "0.0.0.0", "--port", "0", ...db()]);
    expect(code).toBe(2);
    expectOneLineError(stderr, /listening on 0\.0\.0\.0 exposes your runs beyond this machine; give an access token/);
  });
});
