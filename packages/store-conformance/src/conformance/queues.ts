// Conformance: queues (ClaimRequest in core's store.ts): claim order by priority, concurrency, per-key and rate
// limits counted inside the claim, delayed starts, nextDueAtMs with limits, setPriority. Store methods only.
import type { QueueLimits, RunRecord, Store } from "@reprise/core";
import { describe, expect, it } from "vitest";
import {
  Harness,
  LONG_LEASE_MS,
  OTHER_WORKFLOW,
  OWNER_A,
  OWNER_B,
  startedRecord,
  T0,
  WORKFLOW,
  served,
  type ConformanceContext,
} from "./harness.js";

/** Creates a run in a queue (pending, due at `nowMs` or at `dueAtMs`). */
async function createQueued(
  store: Store,
  id: string,
  options: { queue?: string; key?: string; priority?: number; nowMs?: number; dueAtMs?: number } = {},
): Promise<{ created: boolean; run: RunRecord }> {
  const nowMs = options.nowMs ?? T0;
  const started = startedRecord(WORKFLOW, { id }, nowMs);
  return store.createRun({
    id,
    workflow: WORKFLOW,
    input: started.input,
    startedEvent: started.event,
    nowMs,
    queue: options.queue ?? "jobs",
    queueKey: options.key,
    priority: options.priority,
    dueAtMs: options.dueAtMs,
  });
}

/** Claims with queue limits; returns the ids claimed, in claim order. */
async function claimQueued(
  store: Store,
  owner: string,
  nowMs: number,
  queues: Record<string, QueueLimits> | undefined,
  limit = 100,
): Promise<string[]> {
  const runs = await store.claimDueRuns({
    owner,
    nowMs,
    leaseMs: LONG_LEASE_MS,
    limit,
    workflows: served(WORKFLOW),
    queues,
  });
  return runs.map((run) => run.id);
}

export function describeQueues(ctx: ConformanceContext): void {
  const store = () => ctx.target().store;
  const h = () => new Harness(ctx.target().store);

  describe("queues: runs and their records", () => {
    it("a run created in a queue records its queue, key and priority; listRuns filters by queue", async () => {
      const { created, run } = await createQueued(store(), "q1", { queue: "imports", key: "acme", priority: 10 });
      expect(created).toBe(true);
      expect(run).toMatchObject({ status: "pending", queue: "imports", queueKey: "acme", priority: 10 });
      expect(await store().getRun("q1")).toMatchObject({ queue: "imports", queueKey: "acme", priority: 10 });
      await createQueued(store(), "q2", { queue: "email" });
      await h().create("plain");
      expect((await store().getRun("plain"))?.queue).toBeUndefined();
      expect((await store().getRun("q2"))?.priority).toBe(0);
      expect((await store().listRuns({ queue: "imports", limit: 10 })).map((r) => r.id)).toEqual(["q1"]);
    });

    it("a delayed run is pending and due at dueAtMs, not before; its id still de-duplicates", async () => {
      await createQueued(store(), "later", { dueAtMs: T0 + 5_000 });
      const started = startedRecord(WORKFLOW, "plain", T0);
      await store().createRun({
        id: "plain-later",
        workflow: WORKFLOW,
        input: started.input,
        startedEvent: started.event,
        nowMs: T0,
        dueAtMs: T0 + 3_000,
      });
      expect(await store().nextDueAtMs(served(WORKFLOW))).toBe(T0 + 3_000);
      expect(await claimQueued(store(), OWNER_A, T0 + 2_999, {})).toEqual([]);
      expect(await claimQueued(store(), OWNER_A, T0 + 3_000, {})).toEqual(["plain-later"]);
      expect(await store().nextDueAtMs(served(WORKFLOW), { queues: {}, nowMs: T0 + 3_000 })).toBe(T0 + 5_000);
      const again = await createQueued(store(), "later", { dueAtMs: T0 + 1 });
      expect(again.created).toBe(false);
      expect(await claimQueued(store(), OWNER_A, T0 + 4_999, {})).toEqual([]);
      expect(await claimQueued(store(), OWNER_A, T0 + 5_000, {})).toEqual(["later"]);
    });
  });

  describe("queues: claim order", () => {
    it("due runs of a queue are claimed lower priority first, equal priorities first in first out", async () => {
      await createQueued(store(), "p10-old", { priority: 10, nowMs: T0 });
      await createQueued(store(), "p1", { priority: 1, nowMs: T0 + 2 });
      await createQueued(store(), "p10-new", { priority: 10, nowMs: T0 + 1 });
      await createQueued(store(), "p10-same-time", { priority: 10, nowMs: T0 + 1 });
      await createQueued(store(), "p-neg", { priority: -5, nowMs: T0 + 3 });
      const order: string[] = [];
      for (let i = 0; i < 5; i += 1) order.push(...(await claimQueued(store(), OWNER_A, T0 + 10, {}, 1)));
      expect(order).toEqual(["p-neg", "p1", "p10-old", "p10-new", "p10-same-time"]);
    });

    it("a queue the claim has no limits for is still ordered by priority, and not limited", async () => {
      for (let i = 0; i < 4; i += 1) await createQueued(store(), `r${i}`, { priority: 4 - i });
      expect((await claimQueued(store(), OWNER_A, T0, { other: { concurrency: 1 } }, 3)).sort()).toEqual([
        "r1",
        "r2",
        "r3",
      ]);
      expect(await claimQueued(store(), OWNER_A, T0, undefined)).toEqual(["r0"]);
    });

    it("runs without a queue and each queue take turns when a claim cannot take everything due", async () => {
      for (let i = 0; i < 3; i += 1) await h().create(`plain-${i}`, { nowMs: T0 - 10 + i });
      for (let i = 0; i < 3; i += 1) await createQueued(store(), `a-${i}`, { queue: "a", nowMs: T0 + i });
      for (let i = 0; i < 3; i += 1) await createQueued(store(), `b-${i}`, { queue: "b", nowMs: T0 + i });
      const ids = await claimQueued(store(), OWNER_A, T0 + 10, {}, 3);
      expect(ids.sort()).toEqual(["a-0", "b-0", "plain-0"]);
    });

    it("setPriority reorders queued runs and skips finished, unqueued and unknown runs", async () => {
      await createQueued(store(), "first", { nowMs: T0 });
      await createQueued(store(), "second", { nowMs: T0 + 1 });
      await h().create("plain", { workflow: OTHER_WORKFLOW });
      expect((await store().setPriority(["second", "plain", "nope"], -1, T0 + 2)).sort()).toEqual(["second"]);
      expect((await store().getRun("second"))?.priority).toBe(-1);
      expect((await store().getRun("plain"))?.priority).toBe(0);
      expect(await claimQueued(store(), OWNER_A, T0 + 3, {}, 1)).toEqual(["second"]);
      await h().complete("second", T0 + 4);
      expect(await store().setPriority(["second"], 5, T0 + 5)).toEqual([]);
      expect((await store().getRun("second"))?.priority).toBe(-1);
    });
  });

  describe("queues: limits", () => {
    it("concurrency counts the queue's running runs across owners; a parked run frees its slot", async () => {
      const limits = { jobs: { concurrency: 2 } };
      for (let i = 0; i < 5; i += 1) await createQueued(store(), `j${i}`, { nowMs: T0 + i });
      expect(await claimQueued(store(), OWNER_A, T0 + 10, limits)).toEqual(["j0", "j1"]);
      expect(await claimQueued(store(), OWNER_B, T0 + 10, limits)).toEqual([]);
      expect(await store().nextDueAtMs(served(WORKFLOW), { queues: limits, nowMs: T0 + 10 })).toBeUndefined();
      await h().parkSleeping("j0", T0 + 11, T0 + 1_000);
      expect(await claimQueued(store(), OWNER_B, T0 + 12, limits)).toEqual(["j2"]);
      await h().complete("j1", T0 + 13);
      expect(await claimQueued(store(), OWNER_B, T0 + 14, limits)).toEqual(["j3"]);
      // The sleeper is due again, but both slots are taken: it waits like any queued run.
      expect(await claimQueued(store(), OWNER_A, T0 + 1_000, limits)).toEqual([]);
    });

    it("perKeyConcurrency steps over runs of a key at its limit so that other keys get their turn", async () => {
      const limits = { jobs: { concurrency: 10, perKeyConcurrency: 1 } };
      for (let i = 0; i < 4; i += 1) await createQueued(store(), `acme-${i}`, { key: "acme", nowMs: T0 + i });
      await createQueued(store(), "globex-0", { key: "globex", nowMs: T0 + 10 });
      await createQueued(store(), "nokey-0", { nowMs: T0 + 11 });
      expect((await claimQueued(store(), OWNER_A, T0 + 20, limits)).sort()).toEqual(["acme-0", "globex-0", "nokey-0"]);
      expect(await claimQueued(store(), OWNER_B, T0 + 20, limits)).toEqual([]);
      await h().complete("acme-0", T0 + 21);
      expect(await claimQueued(store(), OWNER_B, T0 + 22, limits)).toEqual(["acme-1"]);
    });

    it("a rate limit counts starts in a sliding window; nextDueAtMs says when the window admits again", async () => {
      const limits = { jobs: { rateLimit: { limit: 2, periodMs: 1_000 } } };
      for (let i = 0; i < 5; i += 1) await createQueued(store(), `e${i}`, { nowMs: T0 + i });
      expect(await claimQueued(store(), OWNER_A, T0 + 10, limits)).toEqual(["e0", "e1"]);
      await h().complete("e0", T0 + 11);
      await h().complete("e1", T0 + 12);
      expect(await claimQueued(store(), OWNER_A, T0 + 500, limits)).toEqual([]);
      expect(await store().nextDueAtMs(served(WORKFLOW), { queues: limits, nowMs: T0 + 500 })).toBe(T0 + 1_010);
      expect(await claimQueued(store(), OWNER_B, T0 + 1_009, limits)).toEqual([]);
      expect(await claimQueued(store(), OWNER_B, T0 + 1_010, limits)).toEqual(["e2", "e3"]);
    });

    it("a run due again after a sleep is a new start: it waits for the rate limit like a new run", async () => {
      const limits = { jobs: { rateLimit: { limit: 2, periodMs: 1_000 } } };
      await createQueued(store(), "sleeper", { nowMs: T0 });
      expect(await claimQueued(store(), OWNER_A, T0, limits)).toEqual(["sleeper"]);
      await h().parkSleeping("sleeper", T0 + 1, T0 + 10);
      await createQueued(store(), "other", { nowMs: T0 + 5 });
      expect(await claimQueued(store(), OWNER_A, T0 + 5, limits)).toEqual(["other"]);
      expect(await claimQueued(store(), OWNER_B, T0 + 10, limits)).toEqual([]);
      expect(await store().nextDueAtMs(served(WORKFLOW), { queues: limits, nowMs: T0 + 10 })).toBe(T0 + 1_000);
      expect(await claimQueued(store(), OWNER_B, T0 + 1_000, limits)).toEqual(["sleeper"]);
    });

    it("a run whose cancellation was requested is taken past the queue's limits and records no start", async () => {
      const limits = { jobs: { concurrency: 1, rateLimit: { limit: 1, periodMs: 1_000 } } };
      await createQueued(store(), "busy", { nowMs: T0 });
      await createQueued(store(), "waiting", { nowMs: T0 + 1 });
      await createQueued(store(), "next", { nowMs: T0 + 2 });
      expect(await claimQueued(store(), OWNER_A, T0 + 10, limits)).toEqual(["busy"]);
      await store().requestCancel("waiting", "not needed", T0 + 11);
      expect(await store().nextDueAtMs(served(WORKFLOW), { queues: limits, nowMs: T0 + 12 })).toBeLessThanOrEqual(
        T0 + 12,
      );
      expect(await claimQueued(store(), OWNER_B, T0 + 12, limits)).toEqual(["waiting"]);
      await h().complete("busy", T0 + 13);
      await h().complete("waiting", T0 + 14, "cancelled", OWNER_B);
      // The window (T0 + 11, T0 + 1,011] would hold a start of the cancelled run's claim at T0 + 12, if it made one.
      expect(await claimQueued(store(), OWNER_B, T0 + 1_011, limits)).toEqual(["next"]);
    });

    it("a per-key rate limit counts each key's starts apart", async () => {
      const limits = { jobs: { perKeyRateLimit: { limit: 1, periodMs: 1_000 } } };
      await createQueued(store(), "a1", { key: "a", nowMs: T0 });
      await createQueued(store(), "a2", { key: "a", nowMs: T0 + 1 });
      await createQueued(store(), "b1", { key: "b", nowMs: T0 + 2 });
      expect((await claimQueued(store(), OWNER_A, T0 + 10, limits)).sort()).toEqual(["a1", "b1"]);
      await h().complete("a1", T0 + 11);
      expect(await claimQueued(store(), OWNER_A, T0 + 500, limits)).toEqual([]);
      expect(await claimQueued(store(), OWNER_A, T0 + 1_010, limits)).toEqual(["a2"]);
    });

    it("concurrent claims on several handles never take more than the limit together", async () => {
      const reopen = ctx.target().reopen;
      const handles: Store[] = [store()];
      if (reopen !== undefined) handles.push(await reopen(), await reopen());
      {
        const limits = { jobs: { concurrency: 3, perKeyConcurrency: 2 } };
        for (let i = 0; i < 20; i += 1) await createQueued(store(), `c${i}`, { key: `k${i % 2}`, nowMs: T0 + i });
        const claimed = await Promise.all(
          [0, 1, 2, 3, 4, 5].map((i) =>
            claimQueued(handles[i % handles.length] as Store, `owner-${i}`, T0 + 100, limits, 2),
          ),
        );
        const ids = claimed.flat();
        expect(ids).toHaveLength(3);
        expect(new Set(ids).size).toBe(3);
      }
    });
  });
}
