// Lease renewals that fail while a long step runs: a short outage is harmless; a lapsed lease must not make the
// engine run the same step again beside the attempt it is still executing.
import { createEngine, step, workflow } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { FaultyStore } from "../../src/faulty-store.js";
import { VirtualClock } from "../../src/virtual-clock.js";

const LEASE_MS = 300;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** An engine on a FaultyStore running one workflow whose single step waits until the test lets it finish. */
async function slowStepRun() {
  const clock = new VirtualClock();
  const inner = await SqliteStore.open({ filename: ":memory:" });
  const store = new FaultyStore(inner);
  const attempts: string[] = [];
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const slow = workflow("slow", function* () {
    return yield* step("export", async (ctx) => {
      attempts.push(ctx.idempotencyKey);
      await finished;
      return "exported";
    });
  });
  const errors: unknown[] = [];
  const engine = createEngine({
    store,
    workflows: [slow],
    clock,
    leaseMs: LEASE_MS,
    pollIntervalMs: 100,
    onError: (error) => errors.push(error),
  });
  cleanups.push(async () => {
    finish();
    await engine.close();
    await inner.close();
  });
  const run = await engine.start(slow, undefined, { id: "slow-1" });
  await clock.advance(10);
  expect(attempts).toHaveLength(1);
  return { clock, inner, store, attempts, finish, errors, run };
}

async function advance(clock: VirtualClock, ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += 50) await clock.advance(50);
}

describe("lease renewal faults", () => {
  it("renewals failing for less than a lease period are reported and change nothing", async () => {
    const { clock, inner, store, attempts, finish, errors, run } = await slowStepRun();
    store.inject({ at: 1, mode: "transient", methods: ["renewLeases"] });
    await advance(clock, 5 * LEASE_MS);
    finish();
    await advance(clock, 200);
    expect(await run.result()).toBe("exported");
    expect(attempts).toHaveLength(1);
    expect(errors).toEqual([store.faults[0]]);
    expect((await inner.readEvents("slow-1")).map((event) => event.type)).toEqual([
      "run_started",
      "step_completed",
      "run_completed",
    ]);
  });

  // When an engine cannot renew its lease for leaseMs, its own work loop may claim the run again (claims take
  // expired leases, whoever held them). The execution still running must simply keep going: no second attempt.
  it("after its lease lapses, an engine does not start the step again beside the attempt it is still executing", async () => {
    const { clock, inner, store, attempts, finish, run } = await slowStepRun();
    store.inject({ at: 1, mode: "persistent", methods: ["renewLeases"] });
    await advance(clock, 4 * LEASE_MS);
    store.heal();
    finish();
    await advance(clock, 500);
    expect(await run.result()).toBe("exported");
    expect((await inner.readEvents("slow-1")).filter((event) => event.type === "step_completed")).toHaveLength(1);
    expect(attempts).toEqual(["slow-1:2"]);
  });
});
