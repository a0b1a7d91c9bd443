// Schedules on PostgresStore: two engines on one schema, on a shared virtual clock, start each fire time's run
// exactly once and run it once. The store is a fresh schema of its own, dropped afterwards.
import { createEngine, step, workflow, type Engine, type Store } from "@reprise/core";
import { VirtualClock } from "@reprise/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
} from "./postgres-server.js";

const START = Date.parse("2030-01-01T00:00:00Z");

/** Holds each engine's read of due schedules until the other has read too: both then race to fire. */
class Rendezvous {
  #waiting: (() => void) | undefined;
  #watchers: (() => void)[] = [];
  arrive(): Promise<void> {
    const other = this.#waiting;
    if (other === undefined) {
      const arrived = new Promise<void>((resolve) => (this.#waiting = resolve));
      for (const watcher of this.#watchers.splice(0)) watcher();
      return arrived;
    }
    this.#waiting = undefined;
    other();
    return Promise.resolve();
  }
  /** Resolves when an engine next arrives first and waits here for the other. */
  occupied(): Promise<void> {
    return new Promise((resolve) => this.#watchers.push(resolve));
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

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "schedules on PostgresStore", () => {
  let schema: string;
  const stores: PostgresStore[] = [];
  const engines: Engine[] = [];
  const errors: unknown[] = [];

  beforeEach(async () => {
    requirePostgres();
    schema = freshSchemaName();
    for (let i = 0; i < 2; i++) stores.push(await PostgresStore.open({ connectionString: POSTGRES_URL, schema }));
  });

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.close();
    for (const store of stores.splice(0)) await store.close();
    await dropSchema(schema);
    expect(errors.splice(0)).toEqual([]);
  });

  it("two engines on one schema start each fire time's run exactly once, and run it once", async () => {
    const executions = new Map<string, number>();
    const tick = workflow("pg-tick", function* () {
      return yield* step("count", (ctx) => {
        executions.set(ctx.runId, (executions.get(ctx.runId) ?? 0) + 1);
        return "ok";
      });
    });
    const clock = new VirtualClock(START);
    for (const store of stores) {
      engines.push(
        createEngine({ store, workflows: [tick], clock, pollIntervalMs: 600_000, onError: (e) => errors.push(e) }),
      );
    }
    await engines[0]?.schedules.create({
      id: "pg-tick",
      workflow: tick,
      cron: "*/30 * * * *",
      timezone: "Europe/Berlin",
      overlap: "allowAll",
    });
    await clock.advance({ hours: 6 }, async () => {
      for (let round = 0; round < 2; round++) for (const engine of engines) await engine.whenIdle();
    });
    const runs = await stores[1]!.listRuns({ limit: 100 });
    expect(runs).toHaveLength(12);
    expect(runs.every((run) => run.status === "completed")).toBe(true);
    expect(executions.size).toBe(12);
    expect([...executions.values()].every((count) => count === 1)).toBe(true);
    expect((await engines[1]?.schedules.list())?.map((s) => [s.id, s.nextFireAtMs])).toEqual([
      ["pg-tick", START + 6.5 * 3_600_000],
    ]);
  });

  it("two engines that read a due schedule at the same time on separate pools: exactly one firing applies", async () => {
    const executions = new Map<string, number>();
    const race = workflow("pg-race", function* () {
      return yield* step("count", (ctx) => {
        executions.set(ctx.runId, (executions.get(ctx.runId) ?? 0) + 1);
        return "ok";
      });
    });
    const clock = new VirtualClock(START);
    const rendezvous = new Rendezvous();
    const writes = { applied: 0, refused: 0 };
    for (const store of stores) {
      engines.push(
        createEngine({
          store: racing(store, rendezvous, writes),
          workflows: [race],
          clock,
          pollIntervalMs: 600_000,
          onError: (e) => errors.push(e),
        }),
      );
    }
    await engines[0]?.schedules.create({ id: "pg-race", workflow: race, cron: "0 * * * *", overlap: "allowAll" });
    // After each timer: wait until both engines are idle, or one waits for the other at the rendezvous (then the
    // clock fires the other's timer, due at the same time, and they race).
    const settle = async () => {
      await Promise.race([Promise.all(engines.map((engine) => engine.whenIdle())), rendezvous.occupied()]);
    };
    await clock.advance({ hours: 3, minutes: 30 }, settle);
    for (const engine of engines) await engine.whenIdle();
    const runs = await stores[0]!.listRuns({ limit: 100 });
    expect(runs.map((run) => run.id).sort()).toEqual([1, 2, 3].map((h) => `pg-race@2030-01-01T0${h}:00:00.000Z`));
    expect(writes).toEqual({ applied: 3, refused: 3 });
    expect([...executions.values()]).toEqual([1, 1, 1]);
  });
});
