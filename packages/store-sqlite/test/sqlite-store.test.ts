// The SQLite store on real files: durable settings, schema shape, refusal of foreign files, lease-guarded writes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeaseLostError, StoreError, EVENT_LOG_FORMAT_VERSION, type EventRecord } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/index.js";

let directory: string;
let filename: string;
const opened: SqliteStore[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "reprise-store-"));
  filename = join(directory, "reprise.db");
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(directory, { recursive: true, force: true });
});

async function open(options: { synchronous?: "full" | "normal"; busyTimeoutMs?: number } = {}): Promise<SqliteStore> {
  const store = await SqliteStore.open({ filename, ...options });
  opened.push(store);
  return store;
}

function startedEvent(): EventRecord {
  return encodeEvent(
    { type: "run_started", seq: 1, atMs: 1, workflow: "w", input: null, formatVersion: EVENT_LOG_FORMAT_VERSION },
    "input",
    10_000,
  );
}

async function createClaimedRun(store: SqliteStore, id = "r1"): Promise<void> {
  await store.createRun({ id, workflow: "w", input: '{"json":null}', startedEvent: startedEvent(), nowMs: 1 });
  const claimed = await store.claimDueRuns({
    owner: "me",
    nowMs: 2,
    leaseMs: 60_000,
    limit: 10,
    workflows: [{ name: "w", version: 1 }],
  });
  expect(claimed.map((run) => run.id)).toContain(id);
}

describe("SqliteStore", () => {
  it("opens in WAL mode with synchronous=FULL by default, NORMAL on request", async () => {
    expect((await open()).diagnostics()).toEqual({
      journalMode: "wal",
      synchronous: "full",
      busyTimeoutMs: 5000,
      schemaVersion: 9,
    });
    expect((await open({ synchronous: "normal", busyTimeoutMs: 10 })).diagnostics()).toMatchObject({
      synchronous: "normal",
      busyTimeoutMs: 10,
    });
  });

  it("stores events WITHOUT ROWID, keyed by (run_key, seq)", async () => {
    await open();
    const raw = new Database(filename, { readonly: true });
    const { sql } = raw.prepare("select sql from sqlite_schema where name = 'events'").get() as { sql: string };
    raw.close();
    expect(sql.toLowerCase()).toContain("without rowid");
    expect(sql).toContain('primary key ("run_key", "seq")');
  });

  it("refuses a SQLite file that belongs to another application", async () => {
    const raw = new Database(filename);
    raw.exec("create table customers (id integer primary key)");
    raw.close();
    await expect(open()).rejects.toThrow(/is a SQLite database but not a Reprise store/);
  });

  it("refuses a file that is not a database, with SQLite's own code", async () => {
    writeFileSync(filename, "this is not a database, just some text that is long enough to have a header".repeat(20));
    const error = await open().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toContain("SQLITE_NOTADB");
  });

  it("refuses a store written by a newer schema version", async () => {
    await open();
    await opened.pop()?.close();
    const raw = new Database(filename);
    raw.pragma("user_version = 99");
    raw.close();
    await expect(open()).rejects.toThrow(/schema version 99, newer than this version/);
  });

  it("reopening an existing store keeps its data and does not migrate twice", async () => {
    const store = await open();
    await store.createRun({ id: "keep", workflow: "w", input: '{"json":1}', startedEvent: startedEvent(), nowMs: 1 });
    await store.close();
    opened.pop();
    const again = await open();
    expect((await again.getRun("keep"))?.input).toBe('{"json":1}');
    expect((await again.readEvents("keep")).map((e) => e.type)).toEqual(["run_started"]);
  });

  it("refuses commits from an engine that does not hold the lease, writing nothing", async () => {
    const store = await open();
    await createClaimedRun(store);
    const event = encodeEvent({ type: "timer_fired", seq: 2, atMs: 3 }, "e", 1000);
    const commit = {
      runId: "r1",
      owner: "someone-else",
      expectedLastSeq: 1,
      events: [event],
      consumedSignals: [],
      update: { status: "running" as const, release: false },
      nowMs: 3,
    };
    await expect(store.commit(commit)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(store.commit({ ...commit, owner: "me", expectedLastSeq: 5 })).rejects.toBeInstanceOf(LeaseLostError);
    expect((await store.readEvents("r1")).length).toBe(1);
    await store.commit({ ...commit, owner: "me" });
    expect((await store.readEvents("r1")).map((e) => e.seq)).toEqual([1, 2]);
    expect((await store.getRun("r1"))?.lastSeq).toBe(2);
  });

  it("a commit that fails half-way leaves nothing behind", async () => {
    const store = await open();
    await createClaimedRun(store);
    const good = encodeEvent({ type: "timer_fired", seq: 2, atMs: 3 }, "e", 1000);
    await expect(
      store.commit({
        runId: "r1",
        owner: "me",
        expectedLastSeq: 1,
        events: [good],
        consumedSignals: [{ position: 12345, seq: 2 }], // no such signal: the whole transaction rolls back
        update: { status: "running", release: false },
        nowMs: 3,
      }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    expect((await store.readEvents("r1")).length).toBe(1);
    expect((await store.getRun("r1"))?.lastSeq).toBe(1);
  });

  it("a write waits for another connection's write lock up to busyTimeoutMs, then fails with SQLITE_BUSY", async () => {
    const store = await open({ busyTimeoutMs: 50 });
    const other = new Database(filename);
    other.exec("begin immediate");
    const error = await store.registerWorkflows([{ name: "w", version: 1 }], 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toContain("SQLITE_BUSY");
    other.exec("commit");
    other.close();
    await store.registerWorkflows([{ name: "w", version: 1 }], 1);
    expect(await store.workflowLastSeenAtMs("w")).toBe(1);
  });

  it("a closed store says so", async () => {
    const store = await open();
    await store.close();
    await expect(store.getRun("x")).rejects.toThrow(/the store '.*' is closed/);
  });
});
