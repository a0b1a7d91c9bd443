// Conformance: the order of run endings (finishedRunsSince), which result() waiters poll instead of reading each run.
// Positions are a change sequence assigned when an ending commits; the tests never look at times.
import { describe, expect, it } from "vitest";
import { encoded, Harness, OWNER_A, T0, type ConformanceContext } from "./harness.js";

export function describeFinishedRuns(ctx: ConformanceContext): void {
  const h = () => new Harness(ctx.target().store);

  /** Ends a held run `failed`. */
  const fail = (harness: Harness, runId: string, nowMs: number) =>
    harness.commit(runId, {
      events: [{ type: "run_failed", error: { name: "Error", message: "boom" } }],
      update: { status: "failed", error: encoded({ name: "Error", message: "boom" }), release: true },
      nowMs,
    });

  /** Ends a held run `cancelled`. */
  const cancel = (harness: Harness, runId: string, nowMs: number) =>
    harness.commit(runId, {
      events: [{ type: "run_cancelled", reason: "stop" }],
      update: { status: "cancelled", reason: "stop", release: true },
      nowMs,
    });

  describe("finishedRunsSince", () => {
    it("lists runs in the order they ended, with their outcomes, and pages with the cursor it returns", async () => {
      const harness = h();
      for (const id of ["first", "second", "third"]) await harness.createClaimed(id);
      await harness.complete("second", T0 + 1, { n: 2 });
      await fail(harness, "first", T0 + 2);
      await cancel(harness, "third", T0 + 3);

      const all = await harness.store.finishedRunsSince(0, 10);
      expect(all.runs.map((run) => run.runId)).toEqual(["second", "first", "third"]);
      for (const run of all.runs) expect(run.outcome).toEqual(await harness.store.getRunOutcome(run.runId));
      expect(all.runs[0]?.outcome).toEqual({ status: "completed", result: encoded({ n: 2 }) });
      const positions = all.runs.map((run) => run.position);
      expect(positions.every((position, i) => i === 0 || position > (positions[i - 1] as number))).toBe(true);
      expect(positions[0]).toBeGreaterThan(0);
      expect(all.cursor).toBe(positions[2]);

      const page1 = await harness.store.finishedRunsSince(0, 2);
      expect(page1.runs.map((run) => run.runId)).toEqual(["second", "first"]);
      expect(page1.cursor).toBe(positions[1]);
      const page2 = await harness.store.finishedRunsSince(page1.cursor, 2);
      expect(page2.runs.map((run) => run.runId)).toEqual(["third"]);
      expect(await harness.store.finishedRunsSince(page2.cursor, 2)).toEqual({ runs: [], cursor: page2.cursor });
    });

    it("never lists a run that has not ended: pending, running, parked or blocked", async () => {
      const harness = h();
      for (const id of ["running", "sleeping", "waiting", "blocked"]) await harness.createClaimed(id);
      await harness.create("pending");
      await harness.recordStep("running", T0 + 1);
      await harness.parkSleeping("sleeping", T0 + 1, T0 + 100);
      await harness.parkWaiting("waiting", T0 + 1, "approve");
      await harness.block("blocked", T0 + 1);
      await harness.store.requestCancel("waiting", "asked", T0 + 2);
      expect(await harness.store.finishedRunsSince(0, 10)).toEqual({ runs: [], cursor: 0 });
    });

    it("with limit 0 says where now is: a run that ends afterwards comes after that cursor, earlier ones do not", async () => {
      const harness = h();
      expect(await harness.store.finishedRunsSince(0, 0)).toEqual({ runs: [], cursor: 0 });
      await harness.createClaimed("before");
      await harness.createClaimed("after");
      await harness.complete("before", T0 + 1);
      const now = await harness.store.finishedRunsSince(0, 0);
      expect(now.runs).toEqual([]);
      expect(now.cursor).toBeGreaterThan(0);
      // A cursor from the future (not one this store returned) is kept, never moved back.
      expect((await harness.store.finishedRunsSince(now.cursor + 1_000, 0)).cursor).toBe(now.cursor + 1_000);
      await harness.complete("after", T0 + 2, "late", OWNER_A);
      const since = await harness.store.finishedRunsSince(now.cursor, 10);
      expect(since.runs.map((run) => run.runId)).toEqual(["after"]);
    });

    it("sees endings written through another handle, positioned after everything seen before", async ({ skip }) => {
      const target = ctx.target();
      if (target.reopen === undefined) return skip("the target has no reopen()");
      const first = h();
      const second = new Harness(await target.reopen());
      await first.createClaimed("here");
      await first.createClaimed("there");
      await first.complete("here", T0 + 1);
      const seen = await first.store.finishedRunsSince(0, 10);
      // The other handle's clock is far behind: positions do not depend on times.
      await second.complete("there", T0 - 60_000);
      const next = await first.store.finishedRunsSince(seen.cursor, 10);
      expect(next.runs.map((run) => run.runId)).toEqual(["there"]);
      expect(next.runs[0]?.position).toBeGreaterThan(seen.cursor);
    });
  });
}
