// Conformance: blocked episodes (blockedEpisodes), opened by the commit that blocks a run, closed by its retry.
// Checks the kept history through the Store interface only; never assumes how a store lays it out.
import { MAX_BLOCKED_EPISODES_KEPT } from "@reprise/core";
import { describe, expect, it } from "vitest";
import {
  expectCode,
  Harness,
  OTHER_WORKFLOW,
  OWNER_A,
  OWNER_B,
  T0,
  WORKFLOW,
  type ConformanceContext,
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
      expect(await harness.store.retryBlockedRuns([OTHER_WORKFLOW], T0 + 7)).toBe(0);
      expect(await harness.store.blockedEpisodes("r1")).toEqual(open);
      expect(await harness.store.blockedEpisodes("no-such-run")).toEqual([]);
    });

    it("retryBlockedRuns closes the episode of each run it makes pending; a new block opens another", async () => {
      const harness = h();
      await harness.createClaimed("r1");
      await harness.createClaimed("other", { workflow: OTHER_WORKFLOW });
      await harness.block("r1", T0 + 5);
      await harness.block("other", T0 + 5);
      expect(await harness.store.retryBlockedRuns([WORKFLOW], T0 + 100)).toBe(1);
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
      expect(await harness.store.retryBlockedRuns([WORKFLOW], T0 + 300)).toBe(1);
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
        await harness.store.retryBlockedRuns([WORKFLOW], T0 + i * 10 + 1);
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
}
