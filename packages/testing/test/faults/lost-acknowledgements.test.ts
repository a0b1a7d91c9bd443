// A start or signal that reached the store but whose acknowledgement was lost, then resent by the client:
// the resend must find the stored call (nothing twice) and the run must still proceed, even with polling off.
import { awaitSignal, createEngine, step, workflow } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { FaultyStore, InjectedFaultError } from "../../src/faulty-store.js";
import { VirtualClock } from "../../src/virtual-clock.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const waiter = workflow("lost-ack", function* () {
  const first = yield* step("first", () => "ran");
  const reply = yield* awaitSignal<string>("reply");
  return { first, reply };
});

/** An idle engine with polling off (single process, virtual clock), on a FaultyStore. */
async function idleEngine(pollIntervalMs: number) {
  const clock = new VirtualClock();
  const inner = await SqliteStore.open({ filename: ":memory:" });
  const store = new FaultyStore(inner);
  const errors: unknown[] = [];
  const engine = createEngine({ store, workflows: [waiter], clock, pollIntervalMs, onError: (e) => errors.push(e) });
  cleanups.push(async () => {
    await engine.close();
    await inner.close();
  });
  await clock.advance(10);
  return { clock, inner, store, engine, errors };
}

describe("lost acknowledgements", () => {
  it("with polling on, a resent start and a resent signal are de-duplicated and the run completes", async () => {
    const { clock, inner, store, engine } = await idleEngine(500);
    store.inject({ at: 1, methods: ["createRun"], timing: "after" });
    await expect(engine.start(waiter, undefined, { id: "w-1" })).rejects.toBeInstanceOf(InjectedFaultError);
    await engine.start(waiter, undefined, { id: "w-1" });
    await clock.advance(1_000);
    expect((await inner.getRun("w-1"))?.status).toBe("waiting");
    store.inject({ at: 1, methods: ["sendSignal"], timing: "after" });
    await expect(engine.signal("w-1", "reply", "hi", { id: "reply-1" })).rejects.toBeInstanceOf(InjectedFaultError);
    expect(await engine.signal("w-1", "reply", "hi", { id: "reply-1" })).toEqual({ id: "reply-1", duplicate: true });
    await clock.advance(1_000);
    expect((await inner.getRun("w-1"))?.status).toBe("completed");
  });

  // With polling off, only a poke wakes the engine: a resend that finds its start or signal already stored
  // (its first acknowledgement was lost) must still poke, or the run would wait forever.
  it("with polling off, a resent start whose first acknowledgement was lost still gets the run going", async () => {
    const { clock, inner, store, engine } = await idleEngine(Number.POSITIVE_INFINITY);
    store.inject({ at: 1, methods: ["createRun"], timing: "after" });
    await engine.start(waiter, undefined, { id: "w-2" }).catch(() => undefined);
    await engine.start(waiter, undefined, { id: "w-2" });
    await clock.advance(60_000);
    expect((await inner.getRun("w-2"))?.status).toBe("waiting");
  });

  it("with polling off, a resent signal whose first acknowledgement was lost still wakes the waiting run", async () => {
    const { clock, inner, store, engine } = await idleEngine(Number.POSITIVE_INFINITY);
    await engine.start(waiter, undefined, { id: "w-3" });
    await clock.advance(100);
    expect((await inner.getRun("w-3"))?.status).toBe("waiting");
    store.inject({ at: 1, methods: ["sendSignal"], timing: "after" });
    await engine.signal("w-3", "reply", "hi", { id: "reply-1" }).catch(() => undefined);
    await engine.signal("w-3", "reply", "hi", { id: "reply-1" });
    await clock.advance(60_000);
    expect((await inner.getRun("w-3"))?.status).toBe("completed");
  });
});
