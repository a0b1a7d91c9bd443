// The start-up check of parked runs: an engine blocks, at once, the sleeping and waiting runs its code no longer
// replays, instead of days later when their timers fire; runs that replay are left parked (and kept in memory).
import { awaitSignal, sleep, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { VirtualClock, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const v1 = workflow("provision", function* () {
  yield* step("allocate-ip", () => "10.0.0.1");
  yield* sleep({ days: 3 });
  return yield* step("boot", () => "up");
});
const inserted = workflow("provision", function* () {
  yield* step("allocate-ip", () => "10.0.0.1");
  yield* step("attach-volume", () => "vol");
  yield* sleep({ days: 3 });
  return yield* step("boot", () => "up");
});
const approvals = workflow("approvals", function* () {
  return yield* awaitSignal<string>("approve");
});

describe("the start-up check of parked runs", () => {
  it("blocks a sleeping run that diverges at once, without waiting for its timer; other runs stay parked", async () => {
    const f = await fixture();
    const clock = new VirtualClock(Date.UTC(2030, 0, 1));
    const first = f.engine({ workflows: [v1, approvals], clock, pollIntervalMs: Infinity });
    await first.start(v1, undefined, { id: "vm-1" });
    await first.start(approvals, undefined, { id: "ok-1" });
    await waitFor(async () => (await first.getRun("vm-1"))?.status === "sleeping");
    await waitFor(async () => (await first.getRun("ok-1"))?.status === "waiting");
    await first.close();

    const blocked: string[] = [];
    const second = f.engine({
      workflows: [inserted, approvals],
      clock,
      pollIntervalMs: Infinity,
      on: { runBlocked: ({ runId }) => blocked.push(runId) },
    });
    await second.whenIdle();
    const info = await second.getRun("vm-1");
    expect(info?.status).toBe("blocked");
    expect(info?.reason).toMatch(/^NonDeterminismError: .*step 'attach-volume'/);
    expect(info?.blockedEpisodes).toHaveLength(1);
    expect(blocked).toEqual(["vm-1"]);
    expect((await second.getRun("ok-1"))?.status).toBe("waiting");
    // The run that replays was kept in memory by the check: its signal finishes it without another replay.
    const replaysBefore = second.stats().replays;
    await second.signal("ok-1", "approve", "ada");
    await waitFor(async () => (await second.getRun("ok-1"))?.status === "completed");
    expect(second.stats().replays).toBe(replaysBefore);
  });

  it("is off with checkParkedRuns: false: the run blocks only when its timer fires", async () => {
    const f = await fixture();
    const clock = new VirtualClock(Date.UTC(2030, 0, 1));
    const first = f.engine({ workflows: [v1], clock, pollIntervalMs: Infinity });
    await first.start(v1, undefined, { id: "vm-2" });
    await waitFor(async () => (await first.getRun("vm-2"))?.status === "sleeping");
    await first.close();
    const second = f.engine({ workflows: [inserted], clock, pollIntervalMs: Infinity, checkParkedRuns: false });
    await second.whenIdle();
    expect((await second.getRun("vm-2"))?.status).toBe("sleeping");
    await clock.advance({ days: 3 });
    await waitFor(async () => (await second.getRun("vm-2"))?.status === "blocked");
  });
});
