// getRun's `blockedEpisodes`: a run blocked by changed code keeps a durable trace of the episode once fixed code
// resumed it, even though blocking records nothing in its event log.
import { RunNotBlockedError, awaitSignal, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const v1 = workflow("order", function* () {
  yield* step("charge", () => "charged");
  yield* awaitSignal("shipped");
  return yield* step("notify", () => "notified");
});

const renamed = workflow("order", function* () {
  yield* step("charge-card", () => "charged");
  yield* awaitSignal("shipped");
  return yield* step("notify", () => "notified");
});

describe("blocked episodes", () => {
  it("a run blocked by changed code and completed by fixed code shows one closed episode with the reason", async () => {
    const f = await fixture();
    const first = f.engine({ workflows: [v1] });
    await first.start(v1, undefined, { id: "o-1" });
    await waitFor(async () => (await first.getRun("o-1"))?.status === "waiting");
    await first.close();

    // The signal makes the waiting run due: the new code replays it and diverges. The signal waits meanwhile.
    const second = f.engine({ workflows: [renamed] });
    await second.signal("o-1", "shipped", { carrier: "DHL" });
    const blocked = await waitFor(async () => {
      const info = await second.getRun("o-1");
      return info?.status === "blocked" && info;
    });
    expect(blocked.blockedEpisodes).toEqual([
      {
        blockedAtMs: blocked.updatedAtMs,
        lastSeq: 3,
        reason: blocked.reason,
        endedAtMs: undefined,
        endedBy: undefined,
      },
    ]);
    expect(blocked.reason).toMatch(/^NonDeterminismError: Run 'o-1' diverged from its history at seq 2/);
    // Like pendingSignals, only getRun reads the episodes.
    expect((await second.listRuns()).find((run) => run.id === "o-1")?.blockedEpisodes).toBeUndefined();
    await second.close();

    const third = f.engine({ workflows: [v1] });
    expect(await (await third.start(v1, undefined, { id: "o-1" })).result()).toBe("notified");
    const done = await third.getRun("o-1");
    expect(done?.status).toBe("completed");
    expect(done?.blockedEpisodes).toHaveLength(1);
    const [episode] = done?.blockedEpisodes ?? [];
    expect(episode).toMatchObject({
      blockedAtMs: blocked.updatedAtMs,
      lastSeq: 3,
      reason: blocked.reason,
      endedBy: "retried",
    });
    expect(episode?.endedAtMs).toBeGreaterThanOrEqual(blocked.updatedAtMs);
    expect(episode?.endedAtMs).toBeLessThanOrEqual(done?.finishedAtMs ?? 0);
    // The log still holds only what the workflow did.
    expect((await third.history("o-1")).map((event) => event.type)).not.toContain("blocked");
  });

  it("a run cancelled while blocked keeps its episode open until fixed code retries it, then ends cancelled", async () => {
    const f = await fixture();
    const first = f.engine({ workflows: [v1] });
    await first.start(v1, undefined, { id: "o-2" });
    await waitFor(async () => (await first.getRun("o-2"))?.status === "waiting");
    await first.close();

    const second = f.engine({ workflows: [renamed] });
    await second.signal("o-2", "shipped", { carrier: "DHL" });
    await waitFor(async () => (await second.getRun("o-2"))?.status === "blocked");
    const answer = await second.cancel("o-2", { reason: "customer gave up" });
    expect(answer).toMatchObject({ forced: false, blocked: true });
    expect(answer.message).toMatch(/is blocked.*\{ force: true \}/);
    const stillBlocked = await second.getRun("o-2");
    expect(stillBlocked?.status).toBe("blocked");
    expect(stillBlocked?.blockedEpisodes?.map((each) => each.endedAtMs)).toEqual([undefined]);
    await second.close();

    const third = f.engine({ workflows: [v1] });
    const cancelled = await waitFor(async () => {
      const info = await third.getRun("o-2");
      return info?.status === "cancelled" && info;
    });
    expect(cancelled.blockedEpisodes?.map((each) => each.endedBy)).toEqual(["retried"]);
  });

  it("cancel with force ends a blocked run as cancelled at once, running none of its code, and says why", async () => {
    const f = await fixture();
    const calls: string[] = [];
    const compensating = workflow("order", function* () {
      try {
        yield* step("charge", () => "charged");
        yield* awaitSignal("shipped");
      } finally {
        yield* step("refund", () => calls.push("refund"));
      }
    });
    const first = f.engine({ workflows: [compensating] });
    const run = await first.start(compensating, undefined, { id: "o-3" });
    await waitFor(async () => (await first.getRun("o-3"))?.status === "waiting");
    await first.close();

    const second = f.engine({ workflows: [renamed] });
    await second.signal("o-3", "shipped", { carrier: "DHL" });
    await waitFor(async () => (await second.getRun("o-3"))?.status === "blocked");
    const lastSeq = (await second.getRun("o-3"))?.lastSeq ?? 0;
    const answer = await second.cancel("o-3", { force: true, reason: "rolled forward" });
    expect(answer).toMatchObject({ forced: true, blocked: true });
    const info = await second.getRun("o-3");
    expect(info).toMatchObject({ status: "cancelled", reason: "rolled forward", lastSeq: lastSeq + 1 });
    expect(info?.blockedEpisodes?.map((each) => each.endedBy)).toEqual(["force-cancelled"]);
    expect((await second.history("o-3")).at(-1)).toMatchObject({
      type: "run_cancelled",
      reason: "rolled forward",
      forced: true,
    });
    await expect(run.result()).rejects.toThrow(/cancelled: rolled forward/);
    expect(calls).toEqual([]);
    // Force is only for blocked runs; a finished run stays finished.
    await expect(second.cancel("o-3", { force: true })).rejects.toMatchObject({ code: "RUN_FINISHED" });
    const live = await second.start(renamed, undefined, { id: "o-4" });
    await waitFor(async () => (await second.getRun("o-4"))?.status === "waiting");
    await expect(second.cancel("o-4", { force: true })).rejects.toBeInstanceOf(RunNotBlockedError);
    expect((await second.getRun("o-4"))?.cancelRequested).toBe(false);
    await second.cancel("o-4");
    await expect(live.result()).rejects.toThrow(/cancelled/);
  });
});
