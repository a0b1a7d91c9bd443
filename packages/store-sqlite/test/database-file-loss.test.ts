// The database file (or its -wal) deleted or replaced under an open store: nothing is acknowledged from then on,
// every write and read fails with DatabaseFileLostError, and the check costs one pair of stats per transaction.
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreError } from "@reprise/core";
import Database from "better-sqlite3";
import { newRun } from "./new-run.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DatabaseFileLostError, SqliteStore } from "../src/index.js";

let directory: string;
let filename: string;
const opened: SqliteStore[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "reprise-file-loss-"));
  filename = join(directory, "reprise.db");
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  rmSync(directory, { recursive: true, force: true });
});

/** Checks the WAL after every commit too (the database file always is), so the first write after a loss fails. */
async function open(name = filename, fileCheckIntervalMs = 0): Promise<SqliteStore> {
  const store = await SqliteStore.open({ filename: name, fileCheckIntervalMs });
  opened.push(store);
  return store;
}

async function rejection(promise: Promise<unknown>): Promise<DatabaseFileLostError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DatabaseFileLostError);
  return error as DatabaseFileLostError;
}

function runIdsIn(name: string): string[] {
  const db = new Database(name, { readonly: true });
  try {
    return (db.prepare("select id from runs order by id").all() as { id: string }[]).map((row) => row.id);
  } finally {
    db.close();
  }
}

describe("a database file deleted or replaced under an open store", () => {
  it("deleted: the next write is refused with a StoreError that says what happened, and so is every later call", async () => {
    const store = await open();
    await store.createRun(newRun("before"));
    rmSync(filename);

    const error = await rejection(store.createRun(newRun("after-1")));
    expect(error).toBeInstanceOf(StoreError);
    expect(error.code).toBe("STORE_ERROR");
    expect(error).toMatchObject({ filename, path: filename, file: "database", problem: "deleted" });
    expect(error.message).toContain(`The database file ${filename} was deleted while this store had it open`);
    expect(error.message).toMatch(/nothing written since \d{4}-\d\d-\d\dT[\d:.]+Z is durable/);
    expect(error.message).toContain("Stop every process using it, then put the right file back");
    // Lost for good: later writes (queued together or one by one) and reads fail the same way, without SQL.
    const statementsBefore = store.stats().statements;
    const later = await Promise.allSettled([store.createRun(newRun("after-2")), store.createRun(newRun("after-3"))]);
    expect(later.map((outcome) => (outcome as PromiseRejectedResult).reason as unknown)).toEqual([error, error]);
    await expect(store.requestCancel("before", undefined, 2)).rejects.toBe(error);
    await expect(store.getRun("before")).rejects.toBe(error);
    await expect(store.listRuns({ limit: 10 })).rejects.toBe(error);
    expect(store.stats().statements).toBe(statementsBefore);
  });

  it("deleted: every write of the batch that found out is refused, none is acknowledged", async () => {
    const store = await open();
    await store.createRun(newRun("before"));
    rmSync(filename);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => store.createRun(newRun(`batch-${index}`))),
    );
    expect(outcomes.every((outcome) => outcome.status === "rejected")).toBe(true);
    expect(new Set(outcomes.map((outcome) => (outcome as PromiseRejectedResult).reason as unknown)).size).toBe(1);
    expect(store.stats().writes).toBe(1);
  });

  it("replaced by another SQLite file (rename over it): refused as 'replaced', and nothing more is read", async () => {
    const store = await open();
    await store.createRun(newRun("mine"));
    const other = join(directory, "other.db");
    const foreign = new Database(other);
    foreign.exec("create table notes (text text); insert into notes values ('not Reprise')");
    foreign.close();
    renameSync(other, filename);

    const error = await rejection(store.createRun(newRun("lost")));
    expect(error).toMatchObject({ file: "database", problem: "replaced", path: filename });
    expect(error.message).toContain(`The database file ${filename} was replaced by another file while this store`);
    expect(error.message).toContain("is in the file now at that path");
    await expect(store.getRun("mine")).rejects.toBe(error);
  });

  it("its -wal deleted: refused, and what was committed is first copied into the database file", async () => {
    const store = await open();
    await Promise.all(["a", "b", "c"].map((id) => store.createRun(newRun(id))));
    rmSync(`${filename}-wal`);

    const error = await rejection(store.createRun(newRun("d")));
    expect(error).toMatchObject({ file: "wal", problem: "deleted", path: `${filename}-wal` });
    expect(error.message).toContain(`The write-ahead log ${filename}-wal was deleted while this store had it open`);
    expect(error.message).toContain("nothing acknowledged is lost");
    await store.close();
    // Everything acknowledged is in the database file itself (d was refused, though it may have landed too).
    expect(runIdsIn(filename)).toEqual(expect.arrayContaining(["a", "b", "c"]));
  });

  it("costs one check (two stat calls) per committed transaction, not per write; none for :memory:", async () => {
    const store = await open();
    expect(store.stats().fileChecks).toBe(0);
    await Promise.all(Array.from({ length: 100 }, (_, index) => store.createRun(newRun(`r-${index}`))));
    expect(store.stats()).toMatchObject({ transactions: 1, writes: 100, fileChecks: 1 });
    for (let index = 0; index < 5; index++) await store.createRun(newRun(`s-${index}`));
    expect(store.stats()).toMatchObject({ transactions: 6, fileChecks: 6 });
    // Reads never stat.
    for (let index = 0; index < 10; index++) await store.getRun(`r-${index}`);
    expect(store.stats().fileChecks).toBe(6);

    const memory = await open(":memory:");
    await memory.createRun(newRun("m"));
    expect(memory.stats()).toMatchObject({ transactions: 1, fileChecks: 0 });
  });

  it("checks the database file after every commit, and its WAL at most every fileCheckIntervalMs", async () => {
    const hourly = await open(filename, 3_600_000);
    for (let index = 0; index < 5; index++) await hourly.createRun(newRun(`h-${index}`));
    expect(hourly.stats()).toMatchObject({ transactions: 5, fileChecks: 5 });
    // The WAL was checked by the first commit only: its loss waits for the next full check...
    rmSync(`${filename}-wal`);
    await hourly.createRun(newRun("after-wal-loss"));
    // ...while the database file is checked by every commit, whatever the interval.
    rmSync(filename);
    const error = await rejection(hourly.createRun(newRun("after-db-loss")));
    expect(error).toMatchObject({ file: "database", problem: "deleted" });
    await expect(SqliteStore.open({ filename: join(directory, "x.db"), fileCheckIntervalMs: -1 })).rejects.toThrow(
      "SqliteStore.open({ fileCheckIntervalMs }) must be an integer ≥ 0 (got -1); the default is 100.",
    );
  });

  it("a store that stays in place keeps working: the check finds nothing to report", async () => {
    const store = await open();
    for (let index = 0; index < 3; index++) await store.createRun(newRun(`ok-${index}`));
    await store.close();
    expect(runIdsIn(filename)).toEqual(["ok-0", "ok-1", "ok-2"]);
  });
});
