// Waiting result() handles: a poll asks the store once what ended, however many handles wait; nothing is re-read.
// Counted through a FaultyStore's call log (no fault plan), never timed.
import { awaitSignal, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { FaultyStore, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const HANDLES = 2_000;

const parked = workflow("parked", function* (n: number) {
  const extra = yield* awaitSignal<number>("go");
  return n + extra;
});

/** How many calls of each method `store` saw from `from` on. */
function callsByMethod(store: FaultyStore, from = 0): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of store.calls.slice(from)) counts[call.method] = (counts[call.method] ?? 0) + 1;
  return counts;
}

describe("waiting result() handles", () => {
  it(`${HANDLES} handles waiting on runs another engine finishes cost one store call per poll, and one read each`, async () => {
    const f = await fixture();
    const counted = new FaultyStore(f.store);
    // The waiting side: a client engine polling often. The worker: another engine on its own connection.
    const client = f.engine({ workflows: [], store: counted, pollIntervalMs: 20 });
    const worker = f.engine({ workflows: [parked], store: await f.tmp.open(), pollIntervalMs: 20 });
    const runs = await Promise.all(
      Array.from({ length: HANDLES }, (_, i) => client.start(parked, i, { id: `parked-${i}` })),
    );
    await waitFor(async () => (await worker.listRuns({ status: "waiting", limit: 10_000 })).length === HANDLES, {
      timeoutMs: 60_000,
      message: "every run to wait for its signal",
    });
    const results = runs.map((run) => run.result());
    await waitFor(() => callsByMethod(counted).getRunOutcome === HANDLES, { message: "each handle's first read" });

    // While the runs wait, each poll is one call, whatever the number of handles.
    const waitingFrom = counted.calls.length;
    await waitFor(() => (callsByMethod(counted, waitingFrom).finishedRunsSince ?? 0) >= 5, { message: "5 polls" });
    expect(Object.keys(callsByMethod(counted, waitingFrom))).toEqual(["finishedRunsSince"]);

    // The other engine finishes every run; the polls hand each waiter its run's outcome without reading the run.
    const finishingFrom = counted.calls.length;
    await Promise.all(runs.map((run, i) => worker.signal(run.id, "go", i)));
    expect(await Promise.all(results)).toEqual(Array.from({ length: HANDLES }, (_, i) => 2 * i));
    const finishing = callsByMethod(counted, finishingFrom);
    expect(Object.keys(finishing)).toEqual(["finishedRunsSince"]);
    expect(callsByMethod(counted).getRunOutcome).toBe(HANDLES);

    // With nobody waiting any more, a poll only asks where "now" is (limit 0): no finished handle lingers.
    const idleFrom = counted.calls.length;
    await waitFor(() => counted.calls.length >= idleFrom + 3, { message: "3 more polls" });
    expect(counted.calls.slice(idleFrom).map((call) => [call.method, call.args[1]])).toEqual(
      counted.calls.slice(idleFrom).map(() => ["finishedRunsSince", 0]),
    );
  }, 120_000);

  it("a run this engine finishes wakes its waiter at once, without waiting for a poll", async () => {
    const f = await fixture();
    const counted = new FaultyStore(f.store);
    const quick = workflow("quick", function* (n: number) {
      return yield* step("double", () => n * 2);
    });
    // A poll interval far beyond the test's timeout: only the local wake-up can resolve result().
    const engine = f.engine({ workflows: [quick], store: counted, pollIntervalMs: 600_000 });
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => (await engine.start(quick, i)).result()),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    // At most the one read that places the cursor; each handle reads its run's outcome once.
    expect(callsByMethod(counted).finishedRunsSince ?? 0).toBeLessThanOrEqual(1);
    expect(callsByMethod(counted).getRunOutcome).toBe(20);
  });
});
