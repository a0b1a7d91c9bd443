// `reprise copy`: every run moves with its history, inbox and timers (SQLite to PostgreSQL and back), runs in
// flight go on in the target, and a target holding any of the runs, or a source run an engine holds, is refused.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type RunExport } from "@reprise/core";
import { PostgresStore } from "@reprise/store-postgres";
import { SqliteStore } from "@reprise/store-sqlite";
import { waitFor } from "@reprise/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
} from "../../store-postgres/test/postgres-server.js";
import { nap, order } from "./fixtures/workflows-v1.js";
import { copyRuns } from "../src/copy-runs.js";
import { CopyInterruptedError } from "../src/errors.js";
import { runCli, seededDatabase, type SeededDatabase } from "./helpers.js";

/** Every run of a store, whole. */
async function exportAll(store: { exportRuns: SqliteStore["exportRuns"] }): Promise<RunExport[]> {
  const runs: RunExport[] = [];
  let page = await store.exportRuns(undefined, 100);
  runs.push(...page.runs);
  while (page.next !== undefined) {
    page = await store.exportRuns(page.next, 100);
    runs.push(...page.runs);
  }
  return runs;
}

describe("copyRuns", () => {
  it("says how many runs the target holds when a page fails part-way, and the first page's error as it is", async () => {
    const seeded = await seededDatabase();
    const source = await SqliteStore.open({ filename: seeded.filename });
    const target = await SqliteStore.open({ filename: ":memory:" });
    try {
      let imports = 0;
      const failing = {
        existingRunIds: (ids: readonly string[]) => target.existingRunIds(ids),
        importRuns: async (runs: readonly RunExport[]) => {
          imports += 1;
          if (imports === 3) throw new Error("connection reset");
          await target.importRuns(runs);
        },
      };
      const error: unknown = await copyRuns(source, failing, { batch: 1 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CopyInterruptedError);
      expect(error).toMatchObject({ copied: 2 });
      expect((error as Error).message).toMatch(
        /stopped after 2 runs: connection reset\. The target holds those 2 runs/,
      );
      expect(await target.listRuns({ limit: 10 })).toHaveLength(2);
      imports = 2;
      const first: unknown = await copyRuns(source, failing, { batch: 10 }).catch((caught: unknown) => caught);
      expect(first).toMatchObject({ message: "connection reset" });
      expect(first).not.toBeInstanceOf(CopyInterruptedError);
    } finally {
      await source.close();
      await target.close();
      seeded.cleanup();
    }
  }, 60_000);
});

describe("reprise copy between SQLite files", () => {
  let seeded: SeededDatabase;
  let dir: string;
  beforeAll(async () => {
    seeded = await seededDatabase();
    dir = mkdtempSync(join(tmpdir(), "reprise-copy-"));
  }, 60_000);
  afterAll(() => {
    seeded.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses --from and --to naming one file", async () => {
    const { code, stderr } = await runCli(["copy", "--from", seeded.filename, "--to", seeded.filename]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/both name .*; copy into another file or schema/);
  });

  it("refuses a source run that an engine still holds, copying nothing", async () => {
    const source = join(dir, "held.db");
    const target = join(dir, "held-target.db");
    const store = await SqliteStore.open({ filename: source });
    const engine = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
    await engine.start(order, { orderId: "o", cents: 1 }, { id: "held-1" });
    await engine.close();
    await store.claimDueRuns({
      owner: "engine-elsewhere",
      nowMs: Date.now(),
      leaseMs: 600_000,
      limit: 10,
      workflows: [{ name: "order", version: 1 }],
    });
    await store.close();
    const { code, stderr } = await runCli(["copy", "--from", source, "--to", target]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/1 run\(s\) of .* are held by a running engine \(e\.g\. 'held-1' by engine-elsewhere/);
    expect(existsSync(target)).toBe(false);
  });

  it("copies into a new file, and refuses to copy the same runs again", async () => {
    // A schedule, paused by an operator: it arrives with its settings and state.
    const store = await SqliteStore.open({ filename: seeded.filename });
    const client = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
    await client.schedules.create({ id: "hourly-nap", workflow: nap, cron: "0 * * * *", timezone: "Europe/Berlin" });
    await client.schedules.pause("hourly-nap");
    await client.close();
    await store.close();
    const target = join(dir, "copy.db");
    const first = await runCli(["copy", "--from", seeded.filename, "--to", target, "--json"]);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ runs: 4, unfinished: 3, signals: 1, schedules: 1 });
    const copied = await SqliteStore.open({ filename: target });
    expect(await copied.getSchedule("hourly-nap")).toMatchObject({
      workflow: "nap",
      cron: "0 * * * *",
      timezone: "Europe/Berlin",
      paused: true,
    });
    await copied.close();
    const again = await runCli(["copy", "--from", seeded.filename, "--to", target]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds 4 of the 4 runs .*nothing was copied/);
  });
});

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "reprise copy to and from PostgreSQL", () => {
  let seeded: SeededDatabase;
  let dir: string;
  const schema = freshSchemaName();
  const url = `${POSTGRES_URL}?schema=${schema}`;
  beforeAll(async () => {
    requirePostgres();
    seeded = await seededDatabase();
    dir = mkdtempSync(join(tmpdir(), "reprise-copy-"));
  }, 60_000);
  afterAll(async () => {
    seeded.cleanup();
    rmSync(dir, { recursive: true, force: true });
    await dropSchema(schema);
  });

  it("moves every run from a SQLite file to PostgreSQL, and the runs in flight finish there", async () => {
    const copied = await runCli(["copy", "--from", seeded.filename, "--to", url]);
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(
      /copied 4 runs \(\d+ events, 1 signals\) and 0 schedules from .* to postgres:.*\(schema /,
    );
    expect(copied.stdout).toMatch(/3 of them are not finished: start workers on the target/);

    const source = await SqliteStore.open({ filename: seeded.filename });
    const target = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    try {
      expect(await exportAll(target)).toEqual(await exportAll(source));
      const engine = createEngine({ store: target, workflows: [order, nap], pollIntervalMs: 20 });
      try {
        await engine.signal("order-1", "approve", { by: "grace" });
        await waitFor(async () => (await engine.getRun("order-1"))?.status === "completed", {
          message: "order-1 to complete on PostgreSQL",
        });
        const history = await engine.history("order-1");
        expect(history.map((event) => event.type)).toContain("signal_received");
        expect((await engine.getRun("nap-1"))?.status).toBe("sleeping");
        expect((await engine.getRun("order-3"))?.status).toBe("completed");
      } finally {
        await engine.close();
      }
    } finally {
      await source.close();
      await target.close();
    }
  }, 60_000);

  it("moves the runs back from PostgreSQL into a new SQLite file unchanged", async () => {
    const file = join(dir, "back.db");
    const copied = await runCli(["copy", "--from", url, "--to", file, "--json"]);
    expect(copied.code).toBe(0);
    const source = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    const target = await SqliteStore.open({ filename: file });
    try {
      expect(await exportAll(target)).toEqual(await exportAll(source));
    } finally {
      await source.close();
      await target.close();
    }
  });
});
