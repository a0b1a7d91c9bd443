// The examples of docs/schedules.md, run as written: only the file location, the clock and the imports differ
// (the page uses the real clock and a file in the working directory).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, step, workflow } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { describe, expect, it } from "vitest";
import { createTestEngine } from "../../src/index.js";
import { VirtualClock } from "../../src/virtual-clock.js";

const report = workflow("report", function* (input: { format: string }) {
  return yield* step("render", () => `report as ${input.format}`);
});

describe("docs/schedules.md", () => {
  it("the opening example, then Managing schedules", async () => {
    const directory = mkdtempSync(join(tmpdir(), "reprise-schedules-doc-"));
    const clock = new VirtualClock(Date.parse("2026-12-01T15:00:00Z"));
    const store = await SqliteStore.open({ filename: join(directory, "reprise.db") });
    const engine = createEngine({ store, workflows: [report], clock, pollIntervalMs: Infinity });
    try {
      await engine.schedules.create({
        id: "nightly-report",
        workflow: report,
        input: { format: "pdf" },
        cron: "0 3 * * *", // 03:00 every day
        timezone: "Europe/Berlin",
        overlap: "skip",
        catchUp: "latest",
      });
      const lines: string[] = [];
      for (const schedule of await engine.schedules.list()) {
        lines.push(`${schedule.id} ${new Date(schedule.nextFireAtMs ?? 0).toISOString()}`);
      }
      expect(lines).toEqual(["nightly-report 2026-12-02T02:00:00.000Z"]);

      const nightly = await engine.schedules.get("nightly-report");
      expect(nightly?.cron).toBe("0 3 * * *");
      const page = await engine.schedules.list({ limit: 50 });
      const next = await engine.schedules.list({ after: page.at(-1)?.id, limit: 50 });
      expect(next).toEqual([]);
      await engine.schedules.pause("nightly-report");
      expect((await engine.schedules.get("nightly-report"))?.nextFireAtMs).toBeUndefined();
      await engine.schedules.resume("nightly-report");
      const run = await engine.schedules.trigger("nightly-report");
      expect(await run.result()).toBe("report as pdf");
      await engine.schedules.update("nightly-report", { cron: "30 4 * * *", input: { format: "html" } });
      expect((await engine.schedules.get("nightly-report"))?.nextFireAtMs).toBe(Date.parse("2026-12-02T03:30:00Z"));
      await engine.schedules.delete("nightly-report");
      expect(await engine.getRun(run.id)).toMatchObject({ status: "completed" });
    } finally {
      await engine.close();
      await store.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("Testing schedules on a virtual clock: a year, then catch-up after a restart", async () => {
    const t = await createTestEngine({ workflows: [report], startAt: Date.parse("2030-01-01T00:00:00Z") });
    try {
      await t.engine.schedules.create({
        id: "nightly-report",
        workflow: report,
        input: { format: "pdf" },
        cron: "0 3 * * *",
        timezone: "Europe/Berlin",
      });
      await t.advance({ days: 365 });
      expect(await t.listRuns({ limit: 1_000 })).toHaveLength(365);

      await t.engine.close();
      await t.clock.advance({ days: 3 }); // no engine runs: three fire times are missed
      await t.restart(); // catchUp "latest": one run, for the newest of them
      expect(await t.listRuns({ limit: 1_000 })).toHaveLength(366);
    } finally {
      await t.close();
    }
  }, 60_000);
});
