// The cost of a claim with queues on SQLite stays flat however many runs wait: counted in SQL statements, and
// checked in the query plans (each queue is walked in claim order through its index, never sorted).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { QueueLimits } from "@reprise/core";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/index.js";
import { QUEUE_QUERIES } from "../src/queue-claims.js";
import { newRun } from "./new-run.js";

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

async function openStore(): Promise<{ store: SqliteStore; filename: string }> {
  const directory = mkdtempSync(join(tmpdir(), "reprise-queue-cost-"));
  directories.push(directory);
  const filename = join(directory, "reprise.db");
  return { store: await SqliteStore.open({ filename }), filename };
}

async function fill(store: SqliteStore, from: number, count: number): Promise<void> {
  await store.createRuns(
    Array.from({ length: count }, (_, j) => ({
      ...newRun(`q-${from + j}`),
      queue: "jobs",
      queueKey: `k-${(from + j) % 10}`,
      priority: (from + j) % 3,
    })),
  );
}

const SERVED = [{ name: "w", version: 1 }];

describe("claim cost with queued runs", () => {
  it("a claim runs as many statements with 5,050 queued runs as with 50, full queue or not", async () => {
    const { store } = await openStore();
    const open: Record<string, QueueLimits> = { jobs: { concurrency: 1_000, perKeyConcurrency: 100 } };
    const full: Record<string, QueueLimits> = { jobs: { concurrency: 1 } };
    const claim = (queues: Record<string, QueueLimits>) =>
      store.claimDueRuns({ owner: "a", nowMs: 10, leaseMs: 60_000, limit: 1, workflows: SERVED, queues });
    const statementsOf = async (call: () => Promise<unknown>) => {
      const before = store.stats().statements;
      await call();
      return store.stats().statements - before;
    };
    try {
      await fill(store, 0, 50);
      expect((await claim(open)).length).toBe(1);
      const small = { one: await statementsOf(() => claim(open)), full: await statementsOf(() => claim(full)) };
      await fill(store, 50, 5_000);
      const large = { one: await statementsOf(() => claim(open)), full: await statementsOf(() => claim(full)) };
      expect(large).toEqual(small);
      expect(await claim(full)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("a queue's due runs are read through runs_queue_due in claim order, without a sort", async () => {
    const { store, filename } = await openStore();
    await store.close();
    const db = new Database(filename, { readonly: true });
    try {
      const { sql } = QUEUE_QUERIES.queueCandidates;
      const parameters = sql.split("?").length - 1;
      const plan = (
        db.prepare(`explain query plan ${sql}`).all(...Array<number>(parameters).fill(1)) as {
          detail: string;
        }[]
      ).map((row) => row.detail);
      expect(plan.join(" | ")).toContain("USING INDEX runs_queue_due");
      expect(plan.join(" | ")).not.toContain("TEMP B-TREE");
    } finally {
      db.close();
    }
  });
});
