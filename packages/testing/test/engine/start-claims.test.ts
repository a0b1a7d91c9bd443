// start() on an engine with a free slot creates the run already claimed and runs it; these pin the edges of that:
// a full engine queues (and later starts those runs without reading their logs back), a lost acknowledgement or a
// close() hands the lease back, and nothing runs twice.
import { awaitSignal, createEngine, step, workflow, type NewRun, type Store } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { describe, expect, it } from "vitest";
import { FaultyStore, InjectedFaultError } from "../../src/faulty-store.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { waitFor } from "../../src/index.js";
import { counter, fixture } from "../fixtures.js";

/** The store, recording what each createRun was asked to do. */
function recordingCreates(store: Store): { store: Store; creates: NewRun[] } {
  const creates: NewRun[] = [];
  const recording = new Proxy(store, {
    get(target, property) {
      if (property === "createRun") {
        return (run: NewRun) => {
          creates.push(run);
          return target.createRun(run);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: recording, creates };
}

describe("start() claiming the run it creates", () => {
  it("with every slot busy, start() only stores the run, and a freed slot claims it", async () => {
    const f = await fixture();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const ran = counter();
    const gated = workflow("gated", function* (name: string) {
      yield* step("wait", () => gate);
      return yield* step("done", () => `${name}:${ran.bump()}`);
    });
    const engine = f.engine({ workflows: [gated], concurrency: 1 });
    const first = await engine.start(gated, "first");
    const second = await engine.start(gated, "second");
    expect((await first.info())?.status).toBe("running");
    expect((await second.info())?.status).toBe("pending");
    open();
    expect(await first.result()).toBe("first:1");
    expect(await second.result()).toBe("second:2");
  });

  it("runs started while every slot is busy later start from the event start() wrote, without a replay", async () => {
    const f = await fixture();
    const ran = counter();
    const one = workflow("one", function* (n: number) {
      return yield* step("double", () => (ran.bump(), n * 2));
    });
    const engine = f.engine({ workflows: [one], concurrency: 2, cacheSize: 0 });
    const runs = await Promise.all(Array.from({ length: 30 }, (_, n) => engine.start(one, n)));
    expect(await Promise.all(runs.map((run) => run.result()))).toEqual(runs.map((_, n) => n * 2));
    // Two runs were created claimed, the other 28 were claimed later; none was read back (nor cached as parked).
    expect((await f.store.getRun(runs[29]?.id ?? ""))?.status).toBe("completed");
    expect(engine.stats().replays).toBe(0);
    expect(ran.count).toBe(30);
  });

  it("a run another engine moved forward meanwhile is read from the store, not started from its first event", async () => {
    const f = await fixture();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated = workflow("gated", function* () {
      yield* step("wait", () => gate);
    });
    const firsts = counter();
    const twoPart = workflow("two-part", function* () {
      const first = yield* step("first", () => firsts.bump());
      const go = yield* awaitSignal<string>("go");
      return `${first}:${go}`;
    });
    const busy = f.engine({ workflows: [gated, twoPart], concurrency: 1 });
    await busy.start(gated, undefined);
    const run = await busy.start(twoPart, undefined, { id: "moved-on" });
    const other = f.engine({ workflows: [twoPart] });
    await waitFor(async () => (await other.getRun("moved-on"))?.status === "waiting", { message: "waiting" });
    await other.close();
    open();
    await busy.signal("moved-on", "go", "now");
    expect(await run.result()).toBe("1:now");
    expect(firsts.count).toBe(1);
    expect(busy.stats().replays).toBe(1);
  });

  it("a start whose acknowledgement was lost hands the lease back; the run completes without a resend", async () => {
    const clock = new VirtualClock();
    const inner = await SqliteStore.open({ filename: ":memory:" });
    const store = new FaultyStore(inner);
    const ran = counter();
    const once = workflow("once", function* () {
      return yield* step("work", () => ran.bump());
    });
    const errors: unknown[] = [];
    const engine = createEngine({
      store,
      workflows: [once],
      clock,
      pollIntervalMs: Number.POSITIVE_INFINITY,
      onError: (error) => errors.push(error),
    });
    try {
      await clock.advance(10);
      store.inject({ at: 1, methods: ["createRun"], timing: "after" });
      await expect(engine.start(once, undefined, { id: "lost" })).rejects.toBeInstanceOf(InjectedFaultError);
      await clock.advance(10);
      await waitFor(async () => (await inner.getRun("lost"))?.status === "completed", { message: "completed" });
      expect(ran.count).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await engine.close();
      await inner.close();
    }
  });

  it("a start that lands while the engine closes hands its lease back for another engine", async () => {
    const f = await fixture();
    const ran = counter();
    const once = workflow("once", function* () {
      return yield* step("work", () => ran.bump());
    });
    const { store, creates } = recordingCreates(f.store);
    const closing = f.engine({ workflows: [once], store });
    const starting = closing.start(once, undefined, { id: "late" });
    // Let start() decide to claim and queue its write (all in microtasks), then close before the write commits.
    for (let tick = 0; tick < 20; tick++) await Promise.resolve();
    expect(creates.map((run) => run.lease?.owner)).toEqual([expect.any(String)]);
    const closed = closing.close();
    await expect(starting).resolves.toMatchObject({ id: "late" });
    await closed;
    await waitFor(async () => (await f.store.getRun("late"))?.status === "pending", { message: "handed back" });
    expect(ran.count).toBe(0);
    const next = f.engine({ workflows: [once] });
    await waitFor(async () => (await next.getRun("late"))?.status === "completed", { message: "completed" });
    expect(ran.count).toBe(1);
  });
});
