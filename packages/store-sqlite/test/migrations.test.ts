// Upgrading a store file written by an older schema: every run and event survives, and the engine carries on.
// fixtures/schema-v1.db and schema-v2.db were written by schema versions 1 and 2 with the same three real runs in
// them (one completed, one waiting for 'approve', one sleeping with an 'approve' signal already in its inbox).
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { awaitSignal, createEngine, sleep, step, workflow } from "@reprise/core";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION, SqliteStore } from "../src/index.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/schema-v1.db", import.meta.url));
const FIXTURE_V2 = fileURLToPath(new URL("./fixtures/schema-v2.db", import.meta.url));

/** The workflow that wrote the fixture, unchanged: the upgraded runs must replay against it. */
const order = workflow("order", function* (input: { id: string; total: number }) {
  const reserved = yield* step("reserve", () => ({ sku: input.id, at: new Date(0) }));
  yield* sleep({ milliseconds: 50 });
  const approval = yield* awaitSignal<{ by: string }>("approve");
  return { reserved, approval, total: input.total };
});

let directory: string;
let filename: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "reprise-migrate-"));
  filename = join(directory, "reprise.db");
  copyFileSync(FIXTURE, filename);
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function schemaOf(file: string): { version: number; events: string } {
  const db = new Database(file, { readonly: true });
  try {
    const version = db.pragma("user_version", { simple: true }) as number;
    const { sql } = db.prepare("select sql from sqlite_schema where name = 'events'").get() as { sql: string };
    return { version, events: sql };
  } finally {
    db.close();
  }
}

describe("schema migrations", () => {
  it("the fixture really is a version 1 store", () => {
    const { version, events } = schemaOf(FIXTURE);
    expect(version).toBe(1);
    expect(events).toContain('primary key ("run_id", "seq")');
  });

  it("version 1 → latest keeps every run and event, keyed by run_key in creation order", async () => {
    const store = await SqliteStore.open({ filename });
    try {
      expect(store.diagnostics().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect((await store.getRun("order-done"))?.status).toBe("completed");
      expect((await store.getRun("order-waiting"))?.waitingFor).toEqual({ kind: "signal", name: "approve" });
      expect((await store.getRun("order-sleeping"))?.status).toBe("sleeping");
      expect((await store.readEvents("order-done")).map((e) => e.type)).toEqual([
        "run_started",
        "step_completed",
        "timer_started",
        "timer_fired",
        "signal_wait_started",
        "signal_received",
        "run_completed",
      ]);
      expect((await store.readEvents("order-waiting")).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect((await store.readEvents("order-sleeping", 1)).map((e) => e.type)).toEqual([
        "step_completed",
        "timer_started",
      ]);
    } finally {
      await store.close();
    }
    const db = new Database(filename, { readonly: true });
    const keys = db.prepare("select id from runs order by run_key").all() as { id: string }[];
    const indexes = db.prepare("select name from sqlite_schema where type = 'index' and tbl_name = 'runs'").all();
    const integrity = db.pragma("integrity_check", { simple: true });
    db.close();
    expect(keys.map((row) => row.id)).toEqual(["order-done", "order-waiting", "order-sleeping"]);
    expect(indexes.map((row) => (row as { name: string }).name).sort()).toEqual([
      "runs_created",
      "runs_due",
      "runs_due_unqueued",
      "runs_finished",
      "runs_id",
      "runs_parent",
      "runs_queue_cancelled",
      "runs_queue_due",
      "runs_queue_next",
      "runs_queue_running",
      "runs_status_created",
      "runs_status_finished",
      "runs_workflow_created",
    ]);
    expect(integrity).toBe("ok");
    expect(schemaOf(filename).events).toContain('primary key ("run_key", "seq")');
  });

  it("runs started before the upgrade finish after it: a waiting run takes its signal, a sleeping one wakes", async () => {
    const store = await SqliteStore.open({ filename });
    const engine = createEngine({ store, workflows: [order] });
    try {
      await engine.signal("order-waiting", "approve", { by: "bo" });
      // start() with an existing id hands back that run. The sleeping run's timer is long past, and its signal
      // arrived before the upgrade.
      const waiting = await engine.start(order, { id: "b", total: 20 }, { id: "order-waiting" });
      const sleeping = await engine.start(order, { id: "c", total: 30 }, { id: "order-sleeping" });
      const [afterSignal, afterSleep] = await Promise.all([waiting.result(), sleeping.result()]);
      expect(afterSignal).toEqual({
        reserved: { sku: "b", at: new Date(0) },
        approval: { by: "bo" },
        total: 20,
      });
      expect(afterSleep).toEqual({ reserved: { sku: "c", at: new Date(0) }, approval: { by: "early" }, total: 30 });
      expect(engine.stats().stepAttempts).toBe(0);
    } finally {
      await engine.close();
      await store.close();
    }
  });

  it("opening the upgraded file again migrates nothing", async () => {
    await (await SqliteStore.open({ filename })).close();
    const before = schemaOf(filename);
    const store = await SqliteStore.open({ filename });
    expect((await store.readEvents("order-done")).length).toBe(7);
    await store.close();
    expect(schemaOf(filename)).toEqual(before);
  });
});

/** The columns of version 4's `run_blocks`, the episodes during which runs were blocked. */
const RUN_BLOCKS_COLUMNS = ["run_key", "episode", "blocked_at_ms", "last_seq", "reason", "ended_at_ms", "ended_by"];

/** The columns of `table`, and whether the file has it at all. */
function columnsOf(file: string, table: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`select name from pragma_table_info('${table}')`).all() as { name: string }[]).map(
      (c) => c.name,
    );
  } finally {
    db.close();
  }
}

describe("schema migrations from version 2", () => {
  beforeEach(() => {
    copyFileSync(FIXTURE_V2, filename);
  });

  it("the fixture really is a version 2 store", () => {
    expect(schemaOf(FIXTURE_V2).version).toBe(2);
    expect(columnsOf(FIXTURE_V2, "runs")).not.toContain("finished_seq");
    expect(columnsOf(FIXTURE_V2, "lease_holders")).toEqual([]);
  });

  it("version 2 → latest keeps every run and event and adds the order of run endings and the lease holders", async () => {
    const store = await SqliteStore.open({ filename });
    try {
      expect(store.diagnostics().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect((await store.getRun("order-done"))?.status).toBe("completed");
      expect((await store.getRun("order-waiting"))?.waitingFor).toEqual({ kind: "signal", name: "approve" });
      expect((await store.getRun("order-sleeping"))?.status).toBe("sleeping");
      // Every run from before versions (schema 6) started on version 1 and is in its first generation.
      expect(await store.getRun("order-sleeping")).toMatchObject({ version: 1, generation: 1 });
      expect((await store.readEvents("order-done")).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect((await store.readEvents("order-done", 0, 1)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      // A run that ended before the upgrade has no position: a waiter reads its outcome directly.
      expect(await store.finishedRunsSince(0, 10)).toEqual({ runs: [], cursor: 0 });
      expect(await store.leaseHoldersOn("any-host")).toEqual([]);
    } finally {
      await store.close();
    }
    expect(columnsOf(filename, "runs")).toContain("finished_seq");
    expect(columnsOf(filename, "lease_holders")).toEqual([
      "owner",
      "host",
      "machine_id",
      "boot_id",
      "pid_namespace",
      "pid",
      "registered_at_ms",
    ]);
    expect(columnsOf(filename, "run_blocks")).toEqual(RUN_BLOCKS_COLUMNS);
    const db = new Database(filename, { readonly: true });
    const integrity = db.pragma("integrity_check", { simple: true });
    db.close();
    expect(integrity).toBe("ok");
  });

  it("runs started before the upgrade finish after it, and their endings get positions in order", async () => {
    const store = await SqliteStore.open({ filename });
    const engine = createEngine({ store, workflows: [order] });
    try {
      await engine.signal("order-waiting", "approve", { by: "bo" });
      const waiting = await engine.start(order, { id: "b", total: 20 }, { id: "order-waiting" });
      const sleeping = await engine.start(order, { id: "c", total: 30 }, { id: "order-sleeping" });
      expect(await waiting.result()).toEqual({
        reserved: { sku: "b", at: new Date(0) },
        approval: { by: "bo" },
        total: 20,
      });
      expect(await sleeping.result()).toEqual({
        reserved: { sku: "c", at: new Date(0) },
        approval: { by: "early" },
        total: 30,
      });
      const page = await store.finishedRunsSince(0, 10);
      expect(page.runs.map((run) => run.runId).sort()).toEqual(["order-sleeping", "order-waiting"]);
      expect(page.runs.map((run) => run.position)).toEqual([1, 2]);
      expect(page.cursor).toBe(2);
      expect(engine.stats().stepAttempts).toBe(0);
    } finally {
      await engine.close();
      await store.close();
    }
  });
});

describe("schema migrations from version 3", () => {
  /**
   * A version 3 store with a blocked run: the version 2 fixture upgraded, then taken back to version 3 (version 4
   * only adds `run_blocks`), with 'order-waiting' blocked the way a version 3 store recorded it (no episode).
   */
  beforeEach(async () => {
    copyFileSync(FIXTURE_V2, filename);
    await (await SqliteStore.open({ filename })).close();
    const db = new Database(filename);
    db.exec("drop table run_blocks");
    // Version 7's columns, tables and indexes (queues), taken back.
    const queueIndexes = ["runs_queue_due", "runs_queue_next", "runs_queue_running", "runs_queue_cancelled"];
    for (const index of [...queueIndexes, "runs_due_unqueued"]) {
      db.exec(`drop index ${index}`);
    }
    db.exec("drop table queues");
    db.exec("drop table queue_starts");
    for (const column of ["queue", "queue_key", "priority"]) db.exec(`alter table runs drop column ${column}`);
    // Version 8's column, table and index, taken back too.
    db.exec("drop index runs_status_finished");
    db.exec("drop table run_tags");
    db.exec("alter table runs drop column tags");
    // Version 9's table.
    db.exec("drop table schedules");
    // Version 6's columns and tables, and version 5's columns and index, taken back too.
    db.exec("alter table runs drop column version");
    db.exec("alter table runs drop column generation");
    db.exec("drop table event_archive");
    db.exec("create table workflows_v5 (name text primary key not null, last_seen_at_ms integer not null)");
    db.exec("insert into workflows_v5 select name, max(last_seen_at_ms) from workflows group by name");
    db.exec("drop table workflows");
    db.exec("alter table workflows_v5 rename to workflows");
    db.exec("drop index runs_parent");
    for (const column of ["wake_signals", "wake_children", "parent_id", "cancel_with_parent"]) {
      db.exec(`alter table runs drop column ${column}`);
    }
    db.prepare(
      "update runs set status = 'blocked', reason = 'NonDeterminismError: diverged', due_at_ms = null, " +
        "wait_kind = null, wait_name = null where id = 'order-waiting'",
    ).run();
    db.pragma("user_version = 3");
    db.close();
  });

  it("version 3 → latest adds the blocked episodes; a run blocked before the upgrade has none, and its retry adds none", async () => {
    expect(schemaOf(filename).version).toBe(3);
    expect(columnsOf(filename, "run_blocks")).toEqual([]);
    const store = await SqliteStore.open({ filename });
    try {
      expect(store.diagnostics().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect((await store.getRun("order-waiting"))?.status).toBe("blocked");
      expect(await store.blockedEpisodes("order-waiting")).toEqual([]);
      expect(await store.retryBlockedRuns([{ name: "order", version: 1 }], Date.UTC(2030, 0, 1))).toBe(1);
      expect((await store.getRun("order-waiting"))?.status).toBe("pending");
      expect(await store.blockedEpisodes("order-waiting")).toEqual([]);
    } finally {
      await store.close();
    }
    expect(columnsOf(filename, "run_blocks")).toEqual(RUN_BLOCKS_COLUMNS);
    expect(schemaOf(filename).version).toBe(LATEST_SCHEMA_VERSION);
  });

  it("a new store has the blocked episodes table from the start", async () => {
    const fresh = join(directory, "fresh.db");
    await (await SqliteStore.open({ filename: fresh })).close();
    expect(schemaOf(fresh).version).toBe(LATEST_SCHEMA_VERSION);
    expect(columnsOf(fresh, "run_blocks")).toEqual(RUN_BLOCKS_COLUMNS);
  });
});

describe("schema migrations from version 6", () => {
  beforeEach(async () => {
    copyFileSync(FIXTURE_V2, filename);
    await (await SqliteStore.open({ filename })).close();
    const db = new Database(filename);
    // Versions 7 to 9 taken back: queues, tags, schedules.
    db.exec("drop table schedules");
    db.exec("drop index runs_status_finished");
    db.exec("drop table run_tags");
    db.exec("alter table runs drop column tags");
    for (const index of db
      .prepare("select name from sqlite_schema where type = 'index' and sql like '%queue%'")
      .all()) {
      db.exec(`drop index ${(index as { name: string }).name}`);
    }
    db.exec("drop table queues");
    db.exec("drop table queue_starts");
    for (const column of ["queue", "queue_key", "priority"]) db.exec(`alter table runs drop column ${column}`);
    db.pragma("user_version = 6");
    db.close();
  });

  it("version 6 → latest adds queues, tags and the schedules table, empty, and keeps every run", async () => {
    expect(columnsOf(filename, "schedules")).toEqual([]);
    const runsBefore = runIdsOf(filename);
    const store = await SqliteStore.open({ filename });
    try {
      expect(store.diagnostics().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      expect(await store.listSchedules(undefined, 10)).toEqual([]);
      const { created } = await store.createSchedule({
        id: "nightly",
        workflow: "order",
        input: "{}",
        cron: "0 3 * * *",
        timezone: "UTC",
        overlap: "skip",
        catchUp: "latest",
        catchUpLimit: 100,
        paused: false,
        nextFireAtMs: Date.UTC(2030, 0, 1, 3),
        nowMs: Date.UTC(2030, 0, 1),
      });
      expect(created).toBe(true);
    } finally {
      await store.close();
    }
    expect(columnsOf(filename, "schedules")).toContain("next_fire_at_ms");
    expect(runIdsOf(filename)).toEqual(runsBefore);
    expect(runsBefore.length).toBeGreaterThan(0);
  });
});

function runIdsOf(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("select id from runs order by run_key").all() as { id: string }[]).map((row) => row.id);
  } finally {
    db.close();
  }
}
