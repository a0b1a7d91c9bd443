// Schedules across engines: two engines on one SQLite file fire each fire time exactly once, on a shared virtual
// clock; a crash between reading a due schedule and writing its firing loses no fire time.
import { createEngine, step, workflow, type Engine, type Store } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { FaultyStore, VirtualClock } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const HOUR_MS = 3_600_000;
const START = Date.parse("2030-01-01T00:00:00Z");

/**
 * Two engines meet here: each one's read of due schedules is held until the other has read too, so that both plan
 * a firing from the same state and race to write it (the case the store's compare-and-set exists for).
 */
class Rendezvous {
  #waiting: (() => void) | undefined;
  arrive(): Promise<void> {
    const other = this.#waiting;
    if (other !== undefined) {
      this.#waiting = undefined;
      other();
      return Promise.resolve();
    }
    return new Promise((resolve) => (this.#waiting = resolve));
  }
}

/** `store` with its due-schedule reads meeting at `rendezvous`, and the outcome of each schedule write counted. */
function racing(store: Store, rendezvous: Rendezvous, writes: { applied: number; refused: number }): Store {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === "dueSchedules") {
        return async (...args: Parameters<Store["dueSchedules"]>) => {
          const due = await target.dueSchedules(...args);
          if (due.length > 0) await rendezvous.arrive();
          return due;
        };
      }
      if (property === "updateSchedule") {
        return async (...args: Parameters<Store["updateSchedule"]>) => {
          const written = await target.updateSchedule(...args);
          if (written.applied) writes.applied += 1;
          else writes.refused += 1;
          return written;
        };
      }
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe("schedules across engines", () => {
  it("two engines that read a due schedule at the same time: one firing applies, the other changes nothing", async () => {
    const f = await fixture();
    const executions = new Map<string, number>();
    const tick = workflow("tick", function* () {
      return yield* step("count", (ctx) => {
        executions.set(ctx.runId, (executions.get(ctx.runId) ?? 0) + 1);
        return "ok";
      });
    });
    const clock = new VirtualClock(START);
    const rendezvous = new Rendezvous();
    const writes = { applied: 0, refused: 0 };
    const stores = [racing(f.store, rendezvous, writes), racing(await f.tmp.open(), rendezvous, writes)];
    const engines = stores.map((store) => f.engine({ workflows: [tick], clock, pollIntervalMs: 60_000, store }));
    await engines[0]?.schedules.create({ id: "tick", workflow: tick, cron: "0 * * * *", overlap: "allowAll" });
    await clock.advance({ minutes: 1 }, async () => {
      for (const engine of engines) await engine.whenIdle();
    });
    // Both engines' timers come due at each fire time; between them only microtasks settle, so they overlap.
    await clock.advance({ hours: 4 });
    for (const engine of engines) await engine.whenIdle();
    const runs = await f.store.listRuns({ limit: 100 });
    expect(runs.map((run) => run.id).sort()).toEqual([1, 2, 3, 4].map((h) => `tick@2030-01-01T0${h}:00:00.000Z`));
    expect(writes).toEqual({ applied: 4, refused: 4 });
    expect([...executions.values()]).toEqual([1, 1, 1, 1]);
  });

  it("two engines on one SQLite file start each fire time's run exactly once, and run it once", async () => {
    const f = await fixture();
    const executions = new Map<string, number>();
    const tick = workflow("tick", function* () {
      return yield* step("count", (ctx) => {
        executions.set(ctx.runId, (executions.get(ctx.runId) ?? 0) + 1);
        return "ok";
      });
    });
    const clock = new VirtualClock(START);
    const second = await f.tmp.open();
    // Both engines poll (on the virtual clock), so each learns of the schedule the other created.
    const engines: Engine[] = [
      f.engine({ workflows: [tick], clock, pollIntervalMs: 60_000 }),
      f.engine({ workflows: [tick], clock, pollIntervalMs: 60_000, store: second }),
    ];
    await engines[0]?.schedules.create({ id: "tick", workflow: tick, cron: "*/15 * * * *", overlap: "allowAll" });
    const settle = async () => {
      for (let round = 0; round < 3; round++) for (const engine of engines) await engine.whenIdle();
    };
    await clock.advance({ hours: 24 }, settle);
    const runs = await f.store.listRuns({ limit: 1_000 });
    expect(runs).toHaveLength(24 * 4);
    expect(new Set(runs.map((run) => run.id)).size).toBe(24 * 4);
    expect(runs.every((run) => run.status === "completed")).toBe(true);
    expect([...executions.values()].every((count) => count === 1)).toBe(true);
    expect(executions.size).toBe(24 * 4);
    const schedule = await engines[1]?.schedules.get("tick");
    expect(schedule?.nextFireAtMs).toBe(START + 24 * HOUR_MS + 15 * 60_000);
  });

  for (const timing of ["before", "after"] as const) {
    it(`a firing whose write fails (${timing} it reaches the store) loses no fire time and starts it once`, async () => {
      const f = await fixture();
      const tick = workflow("tick", function* () {
        return yield* step("count", () => "ok");
      });
      const clock = new VirtualClock(START);
      const faulty = new FaultyStore(f.store);
      const errors: unknown[] = [];
      const engine = createEngine({
        store: faulty,
        workflows: [tick],
        clock,
        pollIntervalMs: 60_000,
        onError: (error) => errors.push(error),
      });
      try {
        await engine.schedules.create({ id: "tick", workflow: tick, cron: "0 * * * *", overlap: "allowAll" });
        // "before": the store never sees the write; "after": it commits, but the engine never learns it did.
        faulty.inject({ at: 1, mode: "transient", methods: ["updateSchedule"], timing });
        await clock.advance({ hours: 1, minutes: 5 }, () => engine.whenIdle());
        expect(errors).toHaveLength(1);
        const runs = await f.store.listRuns({ limit: 10 });
        expect(runs.map((run) => [run.id, run.status])).toEqual([["tick@2030-01-01T01:00:00.000Z", "completed"]]);
        expect((await engine.schedules.get("tick"))?.nextFireAtMs).toBe(START + 2 * HOUR_MS);
      } finally {
        await engine.close();
      }
    });
  }
});

describe("schedules that cannot fire", () => {
  it("a fire time whose run id another workflow has is reported once and passed over; other schedules fire", async () => {
    const f = await fixture();
    const tick = workflow("tick", function* () {
      return yield* step("count", () => "ok");
    });
    const other = workflow("other", function* () {
      return yield* step("other", () => "mine");
    });
    const clock = new VirtualClock(START);
    const engine = f.engine({ workflows: [tick, other], clock, pollIntervalMs: 60_000 });
    const errors = f.backgroundErrors;
    await engine.start(other, undefined, { id: "taken@2030-01-01T01:00:00.000Z" });
    await engine.schedules.create({ id: "taken", workflow: tick, cron: "0 * * * *" });
    await engine.schedules.create({ id: "free", workflow: tick, cron: "0 * * * *" });
    await clock.advance({ hours: 2 }, () => engine.whenIdle());
    expect(errors.splice(0).map((error) => (error as Error).name)).toEqual(["RunIdConflictError"]);
    const runs = (await f.store.listRuns({ limit: 10 })).map((run) => `${run.id} ${run.workflow}`).sort();
    expect(runs).toEqual([
      "free@2030-01-01T01:00:00.000Z tick",
      "free@2030-01-01T02:00:00.000Z tick",
      "taken@2030-01-01T01:00:00.000Z other",
      "taken@2030-01-01T02:00:00.000Z tick",
    ]);
  });

  it("a schedule whose firing keeps failing is tried again every second, not at every pass", async () => {
    const f = await fixture();
    const tick = workflow("tick", function* () {
      return yield* step("count", () => "ok");
    });
    const clock = new VirtualClock(START);
    const faulty = new FaultyStore(f.store);
    const errors: unknown[] = [];
    const engine = createEngine({
      store: faulty,
      workflows: [tick],
      clock,
      pollIntervalMs: 60_000,
      onError: (error) => errors.push(error),
    });
    try {
      await engine.schedules.create({ id: "tick", workflow: tick, cron: "0 * * * *" });
      faulty.inject({ at: 1, mode: "persistent", methods: ["updateSchedule"] });
      await clock.advance({ hours: 1, seconds: 10 }, () => engine.whenIdle());
      // 01:00:00, then once a second up to 01:00:10.
      expect(errors).toHaveLength(11);
      faulty.heal();
      await clock.advance({ seconds: 1 }, () => engine.whenIdle());
      expect((await f.store.listRuns({ limit: 10 })).map((run) => run.id)).toEqual(["tick@2030-01-01T01:00:00.000Z"]);
    } finally {
      await engine.close();
    }
  });

  it("a store that fails to answer which schedules are due does not keep the engine from running runs", async () => {
    const f = await fixture();
    const tick = workflow("tick", function* () {
      return yield* step("count", () => "ok");
    });
    const faulty = new FaultyStore(f.store, { at: 1, mode: "persistent", methods: ["dueSchedules"] });
    const errors: unknown[] = [];
    const engine = createEngine({
      store: faulty,
      workflows: [tick],
      pollIntervalMs: 20,
      onError: (error) => errors.push(error),
    });
    // Started by a client, so that only the serving engine's pass (which fires schedules first) can claim it.
    const client = f.engine({ workflows: [] });
    try {
      const run = await client.start(tick, undefined, { id: "plain" });
      expect(await run.result()).toBe("ok");
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((error) => (error as Error).name === "InjectedFaultError")).toBe(true);
    } finally {
      await engine.close();
    }
  });
});
