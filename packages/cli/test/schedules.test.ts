// `reprise schedules` in child processes against a real SQLite file: the list with next fire times (text and
// --json), and pause, resume, trigger and delete; an unknown id is one line on stderr and a failure exit code.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nap, order } from "./fixtures/workflows-v1.js";
import { runCli } from "./helpers.js";

let dir: string;
let filename: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-cli-schedules-"));
  filename = join(dir, "reprise.db");
  const store = await SqliteStore.open({ filename });
  // The workflows are registered (an engine served them), so that schedules can name them.
  const engine = createEngine({ store, workflows: [order, nap], pollIntervalMs: 20 });
  try {
    await engine.schedules.create({ id: "nightly-nap", workflow: nap, cron: "0 3 * * *", timezone: "Europe/Berlin" });
    await engine.schedules.create({
      id: "hourly-order",
      workflow: order,
      input: { orderId: "auto", cents: 100 },
      cron: "0 * * * *",
      overlap: "bufferOne",
    });
  } finally {
    await engine.close();
    await store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const db = () => ["--db", filename];

describe("reprise schedules", () => {
  it("lists schedules in order of id with their next fire times", async () => {
    const { code, stdout } = await runCli(["schedules", ...db()]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+WORKFLOW\s+CRON\s+TIME ZONE\s+NEXT FIRE\s+OVERLAP\/CATCH-UP\s+LAST RUN$/);
    expect(lines[1]).toMatch(
      /^hourly-order\s+order\s+0 \* \* \* \*\s+UTC\s+\d{4}-\d\d-\d\dT\d\d:00:00\.000Z \(in .*\)\s+bufferOne\/latest\s+-$/,
    );
    expect(lines[2]).toMatch(/^nightly-nap\s+nap\s+0 3 \* \* \*\s+Europe\/Berlin\s+\d{4}-.*\s+skip\/latest\s+-$/);
    const json = await runCli(["schedules", "list", "--json", ...db()]);
    const { schedules } = JSON.parse(json.stdout) as { schedules: { id: string; nextFireAtMs?: number }[] };
    expect(schedules.map((s) => s.id)).toEqual(["hourly-order", "nightly-nap"]);
    expect(schedules.every((s) => typeof s.nextFireAtMs === "number" && s.nextFireAtMs > Date.now())).toBe(true);
  });

  it("pauses, resumes, triggers and deletes a schedule", async () => {
    const paused = await runCli(["schedules", "pause", "nightly-nap", ...db()]);
    expect(paused).toMatchObject({ code: 0, stdout: "schedule nightly-nap paused\n" });
    const listed = await runCli(["schedules", "--json", ...db()]);
    const afterPause = (JSON.parse(listed.stdout) as { schedules: { id: string; paused: boolean }[] }).schedules;
    expect(afterPause.find((s) => s.id === "nightly-nap")?.paused).toBe(true);

    const resumed = await runCli(["schedules", "resume", "nightly-nap", ...db()]);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/^schedule nightly-nap resumed; next fire \d{4}-.*Z\n$/);

    const triggered = await runCli(["schedules", "trigger", "nightly-nap", "--json", ...db()]);
    expect(triggered.code).toBe(0);
    const { runId } = JSON.parse(triggered.stdout) as { runId: string };
    expect(runId).toMatch(/^nightly-nap@manual-\d{4}-.*Z$/);
    const runs = await runCli(["runs", "--json", ...db()]);
    expect((JSON.parse(runs.stdout) as { runs: { id: string; status: string }[] }).runs).toEqual([
      expect.objectContaining({ id: runId, status: "pending" }),
    ]);

    const deleted = await runCli(["schedules", "delete", "nightly-nap", ...db()]);
    expect(deleted).toMatchObject({ code: 0, stdout: "schedule nightly-nap deleted; runs it started are kept\n" });
    const remaining = await runCli(["schedules", "--json", ...db()]);
    expect((JSON.parse(remaining.stdout) as { schedules: { id: string }[] }).schedules.map((s) => s.id)).toEqual([
      "hourly-order",
    ]);
  });

  it("an unknown id is one line on stderr that says how to find the ids", async () => {
    const { code, stderr } = await runCli(["schedules", "pause", "no-such-schedule", ...db()]);
    expect(code).toBe(1);
    expect(stderr.trimEnd().split("\n")).toEqual([
      expect.stringMatching(/^error: No schedule with id 'no-such-schedule' exists\. .*reprise schedules/),
    ]);
  });
});
