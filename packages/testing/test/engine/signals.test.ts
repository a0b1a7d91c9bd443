// Signals: durable before signal() resolves, buffered, FIFO per name, consumed once, de-duplicated, timeouts.
import { RunFinishedError, awaitSignal, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { VirtualClock, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

describe("signals", () => {
  it("a signal sent before the workflow waits for it is delivered", async () => {
    const f = await fixture();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const late = workflow("late", function* () {
      yield* step("slow", () => gate);
      return yield* awaitSignal<string>("go");
    });
    const engine = f.engine({ workflows: [late] });
    const run = await engine.start(late, undefined, { id: "l-1" });
    await engine.signal("l-1", "go", "early bird");
    release();
    expect(await run.result()).toBe("early bird");
  });

  it("two signals with the same name are delivered first in, first out, each once", async () => {
    const f = await fixture();
    const pair = workflow("pair", function* () {
      const first = yield* awaitSignal<number>("n");
      const second = yield* awaitSignal<number>("n");
      return [first, second];
    });
    const engine = f.engine({ workflows: [pair] });
    await engine.signal((await engine.start(pair, undefined, { id: "p-1" })).id, "n", 1);
    await engine.signal("p-1", "n", 2);
    const run = await engine.start(pair, undefined, { id: "p-1" });
    expect(await run.result()).toEqual([1, 2]);
    const received = (await engine.history("p-1")).filter((e) => e.type === "signal_received");
    expect(received.map((e) => (e.type === "signal_received" ? e.payload : null))).toEqual([1, 2]);
  });

  it("a resent signal with the same id is ignored", async () => {
    const f = await fixture();
    const collect = workflow("collect", function* () {
      const a = yield* awaitSignal<string>("item");
      const b = yield* awaitSignal<string>("item", { timeout: { milliseconds: 200 } });
      return [a, b];
    });
    const engine = f.engine({ workflows: [collect] });
    const run = await engine.start(collect, undefined, { id: "d-1" });
    expect(await engine.signal("d-1", "item", "apple", { id: "webhook-1" })).toEqual({
      id: "webhook-1",
      duplicate: false,
    });
    expect(await engine.signal("d-1", "item", "apple", { id: "webhook-1" })).toEqual({
      id: "webhook-1",
      duplicate: true,
    });
    expect(await run.result()).toEqual(["apple", undefined]);
    // The id stays taken after the signal was consumed, so a late resend is still a duplicate.
    expect((await engine.getRun("d-1"))?.status).toBe("completed");
  });

  it("a wait with a timeout resolves to undefined when the deadline passes first", async () => {
    const f = await fixture();
    const clock = new VirtualClock();
    const approval = workflow("approval", function* () {
      const answer = yield* awaitSignal<string>("approve", { timeout: { hours: 1 } });
      return answer ?? "timed out";
    });
    const engine = f.engine({ workflows: [approval], clock, pollIntervalMs: Infinity });
    const run = await engine.start(approval, undefined, { id: "t-1" });
    await clock.advance({ minutes: 59 });
    const waiting = await engine.getRun("t-1");
    expect(waiting?.status).toBe("waiting");
    expect(waiting?.waitingFor).toEqual({ kind: "signal", name: "approve" });
    expect(waiting?.wakeAtMs).toBe(waiting!.createdAtMs + 3600_000);
    await clock.advance({ minutes: 1 });
    expect(await run.result()).toBe("timed out");
    expect((await engine.history("t-1")).map((e) => e.type)).toEqual([
      "run_started",
      "signal_wait_started",
      "signal_timed_out",
      "run_completed",
    ]);
    // A signal after the timeout is not consumed by the finished wait: the run is over.
    await expect(engine.signal("t-1", "approve", "too late")).rejects.toBeInstanceOf(RunFinishedError);
  });

  it("a signal that arrives before the timeout wins", async () => {
    const f = await fixture();
    const clock = new VirtualClock();
    const approval = workflow("approval", function* () {
      return (yield* awaitSignal<string>("approve", { timeout: { hours: 1 } })) ?? "timed out";
    });
    const engine = f.engine({ workflows: [approval], clock, pollIntervalMs: Infinity });
    const run = await engine.start(approval, undefined, { id: "t-2" });
    await clock.advance({ minutes: 30 });
    await engine.signal("t-2", "approve", "yes");
    await clock.advance({ seconds: 1 });
    expect(await run.result()).toBe("yes");
  });

  it("a run that loops over many signals is not replayed for each one while it stays cached", async () => {
    const f = await fixture();
    const total = 300;
    const tally = workflow("tally", function* (count: number) {
      let sum = 0;
      for (let i = 0; i < count; i++) sum += yield* awaitSignal<number>("add");
      return sum;
    });
    const engine = f.engine({ workflows: [tally] });
    const run = await engine.start(tally, total, { id: "loop-1" });
    for (let i = 1; i <= total; i++) {
      await waitFor(async () => (await engine.getRun("loop-1"))?.status === "waiting", { message: "waiting" });
      await engine.signal("loop-1", "add", i);
    }
    expect(await run.result()).toBe((total * (total + 1)) / 2);
    // Started here, its history was at hand (never read back), and it stayed cached between signals.
    const stats = engine.stats();
    expect(stats.replays).toBe(0);
    expect(stats.eventsReplayed).toBe(0);
  });

  it("signals to a run that no engine serves yet are stored and wait", async () => {
    const f = await fixture();
    const client = f.engine({ workflows: [] });
    const waiter = workflow("waiter", function* () {
      return yield* awaitSignal<string>("hello");
    });
    await client.start(waiter, undefined, { id: "w-1" });
    await client.signal("w-1", "hello", "stored");
    expect((await client.getRun("w-1"))?.status).toBe("pending");
    const worker = f.engine({ workflows: [waiter] });
    expect(await (await worker.start(waiter, undefined, { id: "w-1" })).result()).toBe("stored");
  });
});
