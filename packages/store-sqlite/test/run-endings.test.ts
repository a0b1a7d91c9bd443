// The order of run endings in SqliteStore: the write that ends a run takes the next position in the same statement,
// in commit order within a group commit, and both queries on that order walk the runs_finished index.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeValue, type NewRun, type RunCommit } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/index.js";
import { QUERIES } from "../src/statements.js";
import { newRun } from "./new-run.js";

let directory: string;
let filename: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "reprise-endings-"));
  filename = join(directory, "reprise.db");
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
  rmSync(directory, { recursive: true, force: true });
});

async function open(): Promise<SqliteStore> {
  const store = await SqliteStore.open({ filename });
  cleanups.push(() => store.close());
  return store;
}

function claimedRun(id: string): NewRun {
  return { ...newRun(id), lease: { owner: "me", leaseMs: 60_000 } };
}

function completion(runId: string): RunCommit {
  return {
    runId,
    owner: "me",
    expectedLastSeq: 1,
    events: [encodeEvent({ type: "run_completed", seq: 2, atMs: 2, result: runId }, "event", 1_000)],
    consumedSignals: [],
    update: { status: "completed", result: encodeValue(runId, "result", 1_000), release: true },
    nowMs: 2,
  };
}

/** The plan SQLite chooses for `sql`, with every parameter bound to null. */
function plan(db: Database.Database, sql: string): string[] {
  const parameters = sql
    .split("?")
    .slice(1)
    .map(() => null);
  return (db.prepare(`explain query plan ${sql}`).all(...parameters) as { detail: string }[]).map((row) => row.detail);
}

describe("the order of run endings", () => {
  it("ending a run takes its position in the same statement: the end commit costs what it did", async () => {
    const store = await open();
    await store.createRuns(["a", "b"].map(claimedRun));
    const before = store.stats().statements;
    await store.commit(completion("a"));
    // The guarded update (which assigns the position) and the event insert: no statement was added.
    expect(store.stats().statements - before).toBe(2);
    expect((await store.finishedRunsSince(0, 10)).runs).toEqual([
      { runId: "a", position: 1, outcome: { status: "completed", result: encodeValue("a", "result", 1_000) } },
    ]);
  });

  it("runs ended in one group commit get positions in the order their writes were requested", async () => {
    const store = await open();
    const ids = Array.from({ length: 20 }, (_, i) => `run-${(i * 7) % 20}`);
    await store.createRuns(ids.map(claimedRun));
    const before = store.stats().transactions;
    await Promise.all(ids.map((id) => store.commit(completion(id))));
    expect(store.stats().transactions - before).toBe(1);
    const page = await store.finishedRunsSince(0, 100);
    expect(page.runs.map((run) => run.runId)).toEqual(ids);
    expect(page.runs.map((run) => run.position)).toEqual(ids.map((_, i) => i + 1));
  });

  it("the position lookup, the page and the 'now' query walk the runs_finished index", async () => {
    const store = await open();
    await store.createRuns(Array.from({ length: 300 }, (_, i) => claimedRun(`run-${i}`)));
    const db = new Database(filename);
    cleanups.push(() => {
      db.close();
    });
    for (const key of ["updateRun", "finishedRunsSince", "latestFinishedSeq"] as const) {
      const steps = plan(db, QUERIES[key].sql);
      expect(
        steps.some((detail) => detail.includes("runs_finished")),
        `${key}: ${steps.join("; ")}`,
      ).toBe(true);
      expect(
        steps.some((detail) => /^SCAN runs\b|TEMP B-TREE/.test(detail)),
        `${key}: ${steps.join("; ")}`,
      ).toBe(false);
    }
  });
});
