// Schedules on PostgresStore: two engines on one schema, on a shared virtual clock, start each fire time's run
// exactly once and run it once. The store is a fresh schema of its own, dropped afterwards.
import { createEngine, step, workflow, type Engine } from "@reprise/core";
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
});
