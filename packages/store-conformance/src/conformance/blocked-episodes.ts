// Conformance: blocked episodes (blockedEpisodes), opened by the commit that blocks a run, closed by its retry.
// Checks the kept history through the Store interface only; never assumes how a store lays it out.
import { MAX_BLOCKED_EPISODES_KEPT, type EventRecord } from "@reprise/core";
import { describe, expect, it } from "vitest";
import {
  encoded,
  expectCode,
  Harness,
  records,
  OTHER_WORKFLOW,
  OWNER_A,
  OWNER_B,
  T0,
  WORKFLOW,
  type ConformanceContext,
  served,
} from "./harness.js";

export function describeBlockedEpisodes(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  describe("blockedEpisodes", () => {
    it("a commit that blocks a run opens an episode, which stays open while the run is blocked", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.recordStep("r1", T0 + 1);
      expect(await harness.store.blockedEpisodes("r1")).toEqual([]);
      await harness.block("r1", T0 + 5);
      const open = [{ blockedAtMs: T0 + 5, lastSeq: 2, reason: "NonDeterminismError: conformance" }];
      expect(await harness.store.blockedEpisodes("r1")).toEqual(open);
      // A cancellation requested meanwhile does not end the episode: the run is still blocked.
      await harness.store.requestCancel("r1", "give up", T0 + 6);
      expect(await harness.store.retryBlockedRuns(served(OTHER_WORKFLOW), T0 + 7)).toBe(0);
      expect(await harness.store.blockedEpisodes("r1")).toEqual(open);
      expect(await harness.store.blockedEpisodes("no-such-run")).toEqual([]);
    });

    it("retryBlockedRuns closes the episode of each run it makes pending; a new block opens another", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.createClaimed("other", { workflow: OTHER_WORKFLOW });
      await harness.block("r1", T0 + 5);
      await harness.block("other", T0 + 5);
      expect(await harness.store.retryBlockedRuns(served(WORKFLOW), T0 + 100)).toBe(1);
      const closed = {
        blockedAtMs: T0 + 5,
        lastSeq: 1,
        reason: "NonDeterminismError: conformance",
        endedAtMs: T0 + 100,
        endedBy: "retried",
      };
      expect(await harness.store.blockedEpisodes("r1")).toEqual([closed]);
      expect((await harness.store.blockedEpisodes("other"))[0]?.endedAtMs).toBeUndefined();

      expect(await harness.claimIds(OWNER_B, T0 + 100, { workflows: [WORKFLOW] })).toEqual(["r1"]);
      await harness.block("r1", T0 + 200, OWNER_B);
      expect(await harness.store.blockedEpisodes("r1")).toEqual([
        closed,
        { blockedAtMs: T0 + 200, lastSeq: 1, reason: "NonDeterminismError: conformance" },
      ]);
      // Retrying again closes only the open one.
      expect(await harness.store.retryBlockedRuns(served(WORKFLOW), T0 + 300)).toBe(1);
      const episodes = await harness.store.blockedEpisodes("r1");
      expect(episodes.map((episode) => episode.endedAtMs)).toEqual([T0 + 100, T0 + 300]);
    });

    it("a blocking commit that loses its lease opens no episode", async () => {
      const harness = h();
      await harness.createClaimed("r1", { owner: OWNER_A });
      await expectCode(harness.block("r1", T0 + 5, OWNER_B), "LEASE_LOST");
      expect(await harness.store.blockedEpisodes("r1")).toEqual([]);
    });

    it(`keeps the newest ${MAX_BLOCKED_EPISODES_KEPT} episodes of a run blocked again and again`, async () => {
      const harness = h();
      await harness.createClaimed("r1");
      const times = MAX_BLOCKED_EPISODES_KEPT + 3;
      for (let i = 1; i <= times; i += 1) {
        await harness.block("r1", T0 + i * 10);
        await harness.store.retryBlockedRuns(served(WORKFLOW), T0 + i * 10 + 1);
        if (i < times) expect(await harness.claimIds(OWNER_A, T0 + i * 10 + 2)).toEqual(["r1"]);
      }
      const episodes = await harness.store.blockedEpisodes("r1");
      expect(episodes).toHaveLength(MAX_BLOCKED_EPISODES_KEPT);
      expect(episodes[0]?.blockedAtMs).toBe(T0 + 4 * 10);
      expect(episodes.at(-1)).toEqual({
        blockedAtMs: T0 + times * 10,
        lastSeq: 1,
        reason: "NonDeterminismError: conformance",
        endedAtMs: T0 + times * 10 + 1,
        endedBy: "retried",
      });
    });
  });

  describe("forceCancelBlocked", () => {
    const forced = (lastSeq: number, atMs: number) =>
      records(lastSeq, [{ type: "run_cancelled", reason: "by force", forced: true }], atMs)[0] as EventRecord;

    it("ends a blocked run as cancelled in one write: event, outcome, episode, children, waiting parent", async () => {
      const harness = h();
      await harness.createClaimed("parent");
      await harness.commit("parent", {
        update: { status: "running", release: false },
        nowMs: T0 + 1,
        startChildren: [harness.childRun("kid", "parent", T0 + 1)],
      });
      await harness.park("parent", T0 + 2, { children: ["kid"] });
      await harness.claim(OWNER_B, T0 + 3, { workflows: [WORKFLOW] });
      await harness.commit("kid", {
        owner: OWNER_B,
        update: { status: "running", release: false },
        nowMs: T0 + 3,
        startChildren: [harness.childRun("grandkid", "kid", T0 + 3)],
      });
      await harness.block("kid", T0 + 4, OWNER_B);
      const before = await harness.run("kid");
      await harness.store.forceCancelBlocked("kid", forced(before.lastSeq, T0 + 5), "by force", T0 + 5);
      expect(await harness.run("kid")).toMatchObject({
        status: "cancelled",
        reason: "by force",
        lastSeq: before.lastSeq + 1,
        finishedAtMs: T0 + 5,
      });
      expect((await harness.store.readEvents("kid")).at(-1)?.type).toBe("run_cancelled");
      expect((await harness.store.blockedEpisodes("kid")).map((each) => each.endedBy)).toEqual(["force-cancelled"]);
      expect((await harness.run("grandkid")).cancelRequested).toBe(true);
      expect((await harness.store.finishedRunsSince(0, 10)).runs.map((run) => run.runId)).toEqual(["kid"]);
      expect(await harness.claimIds(OWNER_A, T0 + 6)).toContain("parent");
    });

    it("refuses unknown, finished and unblocked runs and a stale event, changing nothing", async () => {
      const harness = h();
      await expectCode(harness.store.forceCancelBlocked("nope", forced(1, T0), undefined, T0), "RUN_NOT_FOUND");
      await harness.createClaimed("done");
      await harness.complete("done", T0 + 1);
      await expectCode(harness.store.forceCancelBlocked("done", forced(2, T0 + 2), undefined, T0 + 2), "RUN_FINISHED");
      await harness.createClaimed("running");
      await expectCode(
        harness.store.forceCancelBlocked("running", forced(1, T0 + 2), undefined, T0 + 2),
        "RUN_NOT_BLOCKED",
      );
      expect((await harness.run("running")).status).toBe("running");
      await harness.createClaimed("blocked");
      await harness.block("blocked", T0 + 3);
      await expectCode(harness.store.forceCancelBlocked("blocked", forced(5, T0 + 4), undefined, T0 + 4), "LEASE_LOST");
      expect((await harness.run("blocked")).status).toBe("blocked");
      expect(await harness.store.readEvents("blocked")).toHaveLength(1);
    });
  });

  describe("parkedRuns and blockParkedRun", () => {
    it("pages through the parked, unleased runs of the given workflows in creation order", async () => {
      const harness = h();
      for (const id of ["p1", "p2", "p3"]) await harness.createClaimed(id);
      await harness.parkSleeping("p1", T0 + 1, T0 + 100);
      await harness.parkWaiting("p2", T0 + 1, "go");
      await harness.createClaimed("other", { workflow: OTHER_WORKFLOW });
      await harness.parkSleeping("other", T0 + 1, T0 + 100);
      // p3 stays running (leased): not parked.
      const first = await harness.store.parkedRuns(served(WORKFLOW), 0, 1);
      expect(first.runs.map((run) => run.id)).toEqual(["p1"]);
      const second = await harness.store.parkedRuns(served(WORKFLOW), first.cursor, 10);
      expect(second.runs.map((run) => run.id)).toEqual(["p2"]);
      const done = await harness.store.parkedRuns(served(WORKFLOW), second.cursor, 10);
      expect(done).toEqual({ runs: [], cursor: second.cursor });
      expect((await harness.store.parkedRuns(served(OTHER_WORKFLOW), 0, 10)).runs.map((run) => run.id)).toEqual([
        "other",
      ]);
    });

    it("blocks a run only while it is parked at the expected seq, opening an episode", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.parkSleeping("r1", T0 + 1, T0 + 100);
      const block = { reason: "NonDeterminismError: x", error: encoded({ name: "NonDeterminismError", message: "x" }) };
      expect(await harness.store.blockParkedRun({ runId: "r1", expectedLastSeq: 1, ...block, nowMs: T0 + 2 })).toBe(
        false,
      );
      expect(await harness.store.blockParkedRun({ runId: "r1", expectedLastSeq: 2, ...block, nowMs: T0 + 2 })).toBe(
        true,
      );
      expect(await harness.run("r1")).toMatchObject({ status: "blocked", reason: "NonDeterminismError: x" });
      expect(await harness.store.blockedEpisodes("r1")).toEqual([
        { blockedAtMs: T0 + 2, lastSeq: 2, reason: "NonDeterminismError: x" },
      ]);
      expect(await harness.claimIds(OWNER_B, T0 + 1000)).toEqual([]);
      await harness.createClaimed("held");
      expect(await harness.store.blockParkedRun({ runId: "held", expectedLastSeq: 1, ...block, nowMs: T0 + 3 })).toBe(
        false,
      );
      expect((await harness.run("held")).status).toBe("running");
    });
  });
}
