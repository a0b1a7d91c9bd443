// Durable timers: recorded deadlines, never early, surviving restarts, beyond setTimeout's range, invalid input.
import { InvalidDurationError, createEngine, sleep, sleepUntil, step, workflow } from "@reprise/core";
import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/index.js";
import { fixture } from "../fixtures.js";

describe("timers", () => {
  it("a sleep survives an engine restart and finishes no earlier than its recorded deadline", async () => {
    const f = await fixture();
    const nap = workflow("nap", function* () {
      yield* sleep(300);
      return yield* step("after", () => Date.now());
    });
    const first = f.engine({ workflows: [nap] });
    const run = await first.start(nap, undefined, { id: "nap-1" });
    await waitForStatus(first, "nap-1", "sleeping");
    await first.close();

    const timer = (await first.history("nap-1")).find((e) => e.type === "timer_started");
    expect(timer?.type).toBe("timer_started");
    const wakeAtMs = timer?.type === "timer_started" ? timer.wakeAtMs : 0;
    expect(wakeAtMs - (timer?.atMs ?? 0)).toBe(300);

    const second = f.engine({ workflows: [nap] });
    const finishedAt = await (await second.start(nap, undefined, { id: run.id })).result();
    expect(finishedAt).toBeGreaterThanOrEqual(wakeAtMs);
    expect(second.stats().replays).toBe(1);
  });

  it("zero and negative sleeps and past deadlines fire at once", async () => {
    const f = await fixture();
    const instant = workflow("instant", function* () {
      yield* sleep(0);
      yield* sleep({ seconds: -5 });
      yield* sleepUntil(new Date("2001-01-01T00:00:00Z"));
      return "done";
    });
    const engine = f.engine({ workflows: [instant] });
    expect(await (await engine.start(instant, undefined, { id: "i-1" })).result()).toBe("done");
    const types = (await engine.history("i-1")).map((e) => e.type);
    expect(types.filter((t) => t === "timer_fired")).toHaveLength(3);
  });

  it("an invalid duration or deadline throws InvalidDurationError into the workflow", async () => {
    const f = await fixture();
    const invalid = workflow("invalid", function* (input: string) {
      try {
        if (input === "nan") yield* sleep(Number.NaN);
        else if (input === "unit") yield* sleep({ fortnights: 1 } as never);
        else yield* sleepUntil("next tuesday");
        return "slept";
      } catch (error) {
        return `${(error as Error).name}: ${error instanceof InvalidDurationError}`;
      }
    });
    const engine = f.engine({ workflows: [invalid] });
    for (const input of ["nan", "unit", "text"]) {
      expect(await (await engine.start(invalid, input)).result()).toBe("InvalidDurationError: true");
    }
  });

  it("a timer months away (beyond setTimeout's 2^31-1 ms) fires on a virtual clock at its deadline", async () => {
    const f = await fixture();
    const clock = new VirtualClock();
    const startMs = clock.nowMs();
    const longNap = workflow("long-nap", function* () {
      yield* sleep({ days: 90 });
      return yield* step("wake", () => "awake");
    });
    const engine = f.engine({ workflows: [longNap], clock, pollIntervalMs: Infinity });
    const run = await engine.start(longNap, undefined, { id: "ln-1" });
    await clock.advance({ minutes: 1 });
    const info = await engine.getRun("ln-1");
    expect(info?.status).toBe("sleeping");
    expect(info?.wakeAtMs).toBe(startMs + 90 * 24 * 3600 * 1000);
    expect(90 * 24 * 3600 * 1000).toBeGreaterThan(2 ** 31 - 1);

    await clock.advance({ days: 89, hours: 23 });
    expect((await engine.getRun("ln-1"))?.status).toBe("sleeping");
    await clock.advance({ hours: 1 });
    expect(await run.result()).toBe("awake");
  });

  it("sleepUntil accepts a luxon DateTime, a Date and an ISO string", async () => {
    const f = await fixture();
    const clock = new VirtualClock(Date.UTC(2030, 0, 1));
    const until = workflow("until", function* () {
      yield* sleepUntil(DateTime.fromISO("2030-01-02T00:00:00Z"));
      yield* sleepUntil(new Date("2030-01-03T00:00:00Z"));
      yield* sleepUntil("2030-01-04T00:00:00+00:00");
      return "done";
    });
    const engine = f.engine({ workflows: [until], clock, pollIntervalMs: Infinity });
    const run = await engine.start(until, undefined, { id: "u-1" });
    await clock.advance({ days: 3, minutes: 1 });
    expect(await run.result()).toBe("done");
    const wakes = (await engine.history("u-1")).flatMap((e) => (e.type === "timer_started" ? [e.wakeAtMs] : []));
    expect(wakes.map((ms) => new Date(ms).toISOString())).toEqual([
      "2030-01-02T00:00:00.000Z",
      "2030-01-03T00:00:00.000Z",
      "2030-01-04T00:00:00.000Z",
    ]);
  });

  it("a clock that jumps backwards does not fire a recorded timer early", async () => {
    const f = await fixture();
    const clock = new VirtualClock();
    const nap = workflow("nap", function* () {
      yield* sleep({ hours: 1 });
      return "woke";
    });
    const engine = createEngine({ store: f.store, workflows: [nap], clock, pollIntervalMs: Infinity });
    const run = await engine.start(nap, undefined, { id: "b-1" });
    await clock.advance({ minutes: 30 });
    clock.setNow(clock.nowMs() - 3600_000);
    await clock.advance({ minutes: 75 });
    expect((await engine.getRun("b-1"))?.status).toBe("sleeping");
    await clock.advance({ minutes: 50 });
    expect(await run.result()).toBe("woke");
    await engine.close();
  });
});

async function waitForStatus(
  engine: { getRun(id: string): Promise<{ status: string } | undefined> },
  runId: string,
  status: string,
): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if ((await engine.getRun(runId))?.status === status) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`run ${runId} never became ${status}`);
}
