// Queue limits with several engines on PostgreSQL, each on a PostgresStore (a pool) of its own: concurrency and
// per-key limits hold across them, observed from step bodies. Each test uses a fresh schema, dropped afterwards.
import { createEngine, step, workflow, type Engine } from "@reprise/core";
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

/** Step bodies executing at once (in total and per key), and the most ever seen. */
const probe = {
  now: 0,
  max: 0,
  byKey: new Map<string, number>(),
  maxPerKey: 0,
  finished: 0,
  async enter(key: string): Promise<void> {
    probe.now += 1;
    probe.max = Math.max(probe.max, probe.now);
    const mine = (probe.byKey.get(key) ?? 0) + 1;
    probe.byKey.set(key, mine);
    probe.maxPerKey = Math.max(probe.maxPerKey, mine);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
    } finally {
      probe.now -= 1;
      probe.byKey.set(key, (probe.byKey.get(key) ?? 1) - 1);
      probe.finished += 1;
    }
  },
};

const job = workflow("pg-queue-job", function* (input: { n: number; key: string }) {
  yield* step("work", () => probe.enter(input.key));
  return input.n;
});

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "queues on PostgresStore", () => {
  let schema: string;
  const stores: PostgresStore[] = [];
  const engines: Engine[] = [];
  const errors: unknown[] = [];

  beforeEach(() => {
    requirePostgres();
    schema = freshSchemaName();
    Object.assign(probe, { now: 0, max: 0, maxPerKey: 0, finished: 0, byKey: new Map() });
  });

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.close();
    for (const store of stores.splice(0)) await store.close();
    await dropSchema(schema);
    expect(errors).toEqual([]);
  });

  async function engineOnItsOwnStore(queues: Parameters<typeof createEngine>[0]["queues"]): Promise<Engine> {
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema, max: 3 });
    stores.push(store);
    const engine = createEngine({
      store,
      workflows: [job],
      queues,
      pollIntervalMs: 10,
      onError: (e) => errors.push(e),
    });
    engines.push(engine);
    return engine;
  }

  it("four engines never execute more runs of a queue, or of one key, than its limits allow", async () => {
    const queues = { imports: { concurrency: 4, perKeyConcurrency: 2 } };
    const first = await engineOnItsOwnStore(queues);
    for (let i = 0; i < 3; i += 1) await engineOnItsOwnStore(queues);
    const runs = await first.startMany(
      Array.from({ length: 40 }, (_, n) => ({
        workflow: job,
        input: { n, key: `customer-${n % 3}` },
        queue: "imports",
        key: `customer-${n % 3}`,
      })),
    );
    expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array.from({ length: 40 }, (_, n) => n));
    expect(probe.finished).toBe(40);
    expect(probe.max).toBeLessThanOrEqual(4);
    expect(probe.maxPerKey).toBeLessThanOrEqual(2);
  });
});
