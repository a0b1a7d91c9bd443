// Group commit: writes of one event-loop turn share a transaction, yet each is atomic, durable before it resolves,
// and fails alone. Also guards the scheduler's query plans and the progress-only commit path.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EVENT_LOG_FORMAT_VERSION, LeaseLostError, StoreError, type EventRecord, type RunCommit } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommit } from "../src/group-commit.js";
import { SqliteStore } from "../src/index.js";
import { QUERIES } from "../src/statements.js";

let directory: string;
let filename: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "reprise-group-"));
  filename = join(directory, "reprise.db");
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
  rmSync(directory, { recursive: true, force: true });
});

async function open(options: { busyTimeoutMs?: number } = {}): Promise<SqliteStore> {
  const store = await SqliteStore.open({ filename, ...options });
  cleanups.push(() => store.close());
  return store;
}

function rawConnection(): Database.Database {
  const db = new Database(filename);
  cleanups.push(() => {
    db.close();
  });
  return db;
}

function started(id: string): {
  id: string;
  workflow: string;
  input: string;
  startedEvent: EventRecord;
  nowMs: number;
} {
  const startedEvent = encodeEvent(
    { type: "run_started", seq: 1, atMs: 1, workflow: "w", input: id, formatVersion: EVENT_LOG_FORMAT_VERSION },
    "input",
    10_000,
  );
  return { id, workflow: "w", input: '{"json":null}', startedEvent, nowMs: 1 };
}

async function createClaimedRuns(store: SqliteStore, ids: readonly string[]): Promise<void> {
  await Promise.all(ids.map((id) => store.createRun(started(id))));
  const claimed = await store.claimDueRuns({
    owner: "me",
    nowMs: 2,
    leaseMs: 60_000,
    limit: 100,
    workflows: [{ name: "w", version: 1 }],
  });
  expect(claimed.map((run) => run.id).sort()).toEqual([...ids].sort());
}

function timerFired(seq: number): EventRecord {
  return encodeEvent({ type: "timer_fired", seq, atMs: 3 }, "event", 1000);
}

function stepCommit(runId: string, overrides: Partial<RunCommit> = {}): RunCommit {
  return {
    runId,
    owner: "me",
    expectedLastSeq: 1,
    events: [timerFired(2)],
    consumedSignals: [],
    update: { status: "running", release: false },
    nowMs: 3,
    ...overrides,
  };
}

describe("group commit", () => {
  it("writes requested in the same turn share one transaction, and each resolves only once it is durable", async () => {
    const store = await open();
    const reader = rawConnection();
    const lookup = reader.prepare("select id from runs where id = ?");
    const before = store.stats();
    const ids = Array.from({ length: 50 }, (_, i) => `run-${i}`);
    const visibleToAnotherConnection = await Promise.all(
      ids.map((id) => store.createRun(started(id)).then(() => lookup.get(id) !== undefined)),
    );
    expect(visibleToAnotherConnection.every(Boolean)).toBe(true);
    const after = store.stats();
    expect(after.transactions - before.transactions).toBe(1);
    expect(after.writes - before.writes).toBe(50);
  });

  it("one run's lease conflict in a batch does not fail the others", async () => {
    const store = await open();
    await createClaimedRuns(store, ["a", "b", "c"]);
    const before = store.stats();
    const outcomes = await Promise.allSettled([
      store.commit(stepCommit("a")),
      store.commit(stepCommit("b", { owner: "someone-else" })),
      store.commit(stepCommit("c")),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(LeaseLostError);
    expect((await store.readEvents("a")).map((e) => e.seq)).toEqual([1, 2]);
    expect((await store.readEvents("b")).map((e) => e.seq)).toEqual([1]);
    expect((await store.readEvents("c")).map((e) => e.seq)).toEqual([1, 2]);
    const after = store.stats();
    expect(after.transactions - before.transactions).toBe(1);
    expect(after.writes - before.writes).toBe(2);
    expect(after.failedWrites - before.failedWrites).toBe(1);
  });

  it("a write that fails half-way is undone alone: its events are gone, its batchmates' are kept", async () => {
    const store = await open();
    await createClaimedRuns(store, ["kept", "undone"]);
    const outcomes = await Promise.allSettled([
      store.commit(stepCommit("kept")),
      // The events insert fine, then the signal to consume does not exist: the write throws after writing.
      store.commit(stepCommit("undone", { consumedSignals: [{ position: 999, seq: 2 }] })),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected"]);
    expect((await store.readEvents("undone")).length).toBe(1);
    expect((await store.getRun("undone"))?.lastSeq).toBe(1);
    expect((await store.getRun("kept"))?.lastSeq).toBe(2);
  });

  it("a driver error in one write is that write's StoreError only", async () => {
    const store = await open();
    await createClaimedRuns(store, ["fine", "broken"]);
    const outcomes = await Promise.allSettled([
      store.commit(stepCommit("broken", { events: [timerFired(2), timerFired(2)] })), // duplicate (run_id, seq)
      store.commit(stepCommit("fine")),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "fulfilled"]);
    const error = (outcomes[0] as PromiseRejectedResult).reason as Error;
    expect(error).toBeInstanceOf(StoreError);
    expect(error.message).toContain("SQLITE_CONSTRAINT");
    expect((await store.readEvents("broken")).length).toBe(1);
    expect((await store.readEvents("fine")).length).toBe(2);
  });

  it("when the transaction cannot begin, every write of the batch fails, and the next batch succeeds", async () => {
    const store = await open({ busyTimeoutMs: 20 });
    const other = rawConnection();
    other.exec("begin immediate");
    const outcomes = await Promise.allSettled([store.createRun(started("x")), store.createRun(started("y"))]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
      expect(((outcome as PromiseRejectedResult).reason as Error).message).toContain("SQLITE_BUSY");
    }
    other.exec("rollback");
    expect((await store.createRun(started("x"))).created).toBe(true);
    expect(await store.getRun("y")).toBeUndefined();
  });

  it("close() commits the writes already requested", async () => {
    const store = await SqliteStore.open({ filename });
    const pending = store.createRun(started("late"));
    await store.close();
    expect((await pending).created).toBe(true);
    const again = await open();
    expect((await again.getRun("late"))?.status).toBe("pending");
  });

  it("when SQLite rolls the whole transaction back, earlier writes fail and later ones are retried in a new one", async () => {
    const db = rawConnection();
    db.pragma("journal_mode = WAL");
    db.exec("create table t (v integer primary key)");
    const group = new GroupCommit(db);
    const insert = (v: number) => () => db.prepare("insert into t values (?)").run(v);
    const wrap = (error: unknown) => error;
    const outcomes = await Promise.allSettled([
      group.enqueue(insert(1), wrap),
      group.enqueue(() => {
        db.exec("rollback"); // what SQLITE_FULL or SQLITE_IOERR may do to the transaction
        throw new Error("disk trouble");
      }, wrap),
      group.enqueue(insert(3), wrap),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "fulfilled"]);
    expect(((outcomes[0] as PromiseRejectedResult).reason as Error).message).toBe("disk trouble");
    expect(db.prepare("select v from t order by v").pluck().all()).toEqual([3]);
    expect(group.counters).toEqual({ transactions: 1, writes: 1, failedWrites: 2 });
  });

  it("a batch runs each write once; after a throw, it is undone and rerun with the failing write isolated", async () => {
    const db = rawConnection();
    db.pragma("journal_mode = WAL");
    db.exec("create table t (v integer primary key)");
    const group = new GroupCommit(db);
    const runs = new Map<number, number>();
    const insert = (v: number) => () => {
      runs.set(v, (runs.get(v) ?? 0) + 1);
      db.prepare("insert into t values (?)").run(v);
    };
    const wrap = (error: unknown) => error;
    await Promise.all([1, 2, 3].map((v) => group.enqueue(insert(v), wrap)));
    expect([...runs.values()]).toEqual([1, 1, 1]);

    runs.clear();
    const outcomes = await Promise.allSettled([
      group.enqueue(insert(4), wrap),
      group.enqueue(() => {
        insert(5)(); // written, then the write fails: its insert must not survive
        throw new Error("lease lost");
      }, wrap),
      group.enqueue(insert(6), wrap),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(Object.fromEntries(runs)).toEqual({ 4: 2, 5: 2, 6: 1 });
    expect(db.prepare("select v from t order by v").pluck().all()).toEqual([1, 2, 3, 4, 6]);
    expect(group.counters).toEqual({ transactions: 2, writes: 5, failedWrites: 1 });
  });
});

describe("commit paths and query plans", () => {
  it("a commit that only moves a running run forward leaves the row as a full update would", async () => {
    const store = await open();
    await createClaimedRuns(store, ["r"]);
    // Park it sleeping, then claim it again: the row is `running` but still carries the old wait.
    await store.commit(
      stepCommit("r", {
        events: [encodeEvent({ type: "timer_started", seq: 2, atMs: 3, wakeAtMs: 5 }, "event", 1000)],
        update: { status: "sleeping", waitingFor: { kind: "timer" }, wakeAtMs: 5, release: true, wake: { atMs: 5 } },
      }),
    );
    await store.claimDueRuns({
      owner: "me",
      nowMs: 6,
      leaseMs: 60_000,
      limit: 1,
      workflows: [{ name: "w", version: 1 }],
    });
    expect(await store.getRun("r")).toMatchObject({ status: "running", waitingFor: { kind: "timer" }, wakeAtMs: 5 });
    await store.commit(stepCommit("r", { expectedLastSeq: 2, events: [timerFired(3)], nowMs: 7 }));
    const woken = await store.getRun("r");
    expect(woken).toMatchObject({ status: "running", lastSeq: 3, waitingFor: undefined, wakeAtMs: undefined });
    // From now on nothing but the log moves: the cheap path must give the same row.
    const progress = encodeEvent({ type: "timer_fired", seq: 4, atMs: 8 }, "event", 1000);
    await store.commit(stepCommit("r", { expectedLastSeq: 3, events: [progress], nowMs: 8 }));
    expect(await store.getRun("r")).toEqual({ ...woken, lastSeq: 4, updatedAtMs: 8 });
    await expect(store.commit(stepCommit("r", { owner: "other", expectedLastSeq: 4 }))).rejects.toBeInstanceOf(
      LeaseLostError,
    );
  });

  it("a commit that ends a run checks the lease and leaves nothing due, leased or waiting", async () => {
    const store = await open();
    await createClaimedRuns(store, ["done", "stuck"]);
    const completed = encodeEvent({ type: "run_completed", seq: 2, atMs: 9, result: 42 }, "event", 1000);
    const end = stepCommit("done", {
      events: [completed],
      update: { status: "completed", result: '{"json":42}', release: true },
      nowMs: 9,
    });
    await expect(store.commit({ ...end, owner: "other" })).rejects.toBeInstanceOf(LeaseLostError);
    await expect(store.commit({ ...end, expectedLastSeq: 0 })).rejects.toBeInstanceOf(LeaseLostError);
    expect((await store.readEvents("done")).length).toBe(1);
    await store.commit(end);
    await store.commit(
      stepCommit("stuck", { events: [], update: { status: "blocked", reason: "code changed", release: true } }),
    );
    const rows = rawConnection()
      .prepare(
        "select id, status, result, wait_kind, wake_at_ms, due_at_ms, lease_owner, lease_expires_at_ms, reason, " +
          "last_seq, updated_at_ms, finished_at_ms from runs order by id",
      )
      .all();
    expect(rows).toEqual([
      {
        id: "done",
        status: "completed",
        result: '{"json":42}',
        wait_kind: null,
        wake_at_ms: null,
        due_at_ms: null,
        lease_owner: null,
        lease_expires_at_ms: null,
        reason: null,
        last_seq: 2,
        updated_at_ms: 9,
        finished_at_ms: 9,
      },
      {
        id: "stuck",
        status: "blocked",
        result: null,
        wait_kind: null,
        wake_at_ms: null,
        due_at_ms: null,
        lease_owner: null,
        lease_expires_at_ms: null,
        reason: "code changed",
        last_seq: 1,
        updated_at_ms: 3,
        finished_at_ms: null,
      },
    ]);
    expect((await store.readEvents("done")).map((event) => event.type)).toEqual(["run_started", "run_completed"]);
  });

  it("the scheduler's queries walk the due-time index, not every run a workflow ever had", async () => {
    const store = await open();
    const runs = Array.from({ length: 300 }, (_, i) => started(`done-${i}`));
    await Promise.all(runs.map((run) => store.createRun(run)));
    const db = rawConnection();
    // No ANALYZE: like most real stores, the planner has no statistics and would pick the workflow index.
    db.exec("update runs set status = 'completed', due_at_ms = null, finished_at_ms = 1");
    for (const key of ["claimDueRuns", "nextDue"] as const) {
      const sql = QUERIES[key].sql;
      const plan = (
        db.prepare(`explain query plan ${sql}`).all(
          ...sql
            .split("?")
            .slice(1)
            .map(() => null),
        ) as {
          detail: string;
        }[]
      ).map((row) => row.detail);
      expect(
        plan.some((detail) => detail.includes("USING INDEX runs_due")),
        `${key}: ${plan.join("; ")}`,
      ).toBe(true);
      expect(
        plan.some((detail) => detail.includes("TEMP B-TREE FOR ORDER BY")),
        `${key}: ${plan.join("; ")}`,
      ).toBe(false);
    }
  });
});
