// An engine on PostgresStore runs a workflow to completion through every kind of wait: steps, a durable sleep,
// a signal, a child run and continueAsNew. The store is a fresh schema of its own, dropped afterwards.
import { awaitSignal, child, continueAsNew, createEngine, sleep, step, workflow, type Engine } from "@reprise/core";
import { waitFor } from "@reprise/testing";
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

const ship = workflow("pg-ship", function* (input: { round: number }) {
  return yield* step("label", () => `label-${input.round}`);
});

/** Two generations, each: a step, a sleep, a signal, a child; the first continues as new into the second. */
const order = workflow("pg-order", function* (state: { round: number; done: string[] }) {
  const reserved = yield* step("reserve", () => `rsv-${state.round}`);
  yield* sleep(30);
  const approval = yield* awaitSignal<string>("approve");
  const label = yield* child(ship, { round: state.round });
  const done = [...state.done, `${reserved}/${approval}/${label}`];
  if (state.round < 2) return yield* continueAsNew({ round: state.round + 1, done });
  return done;
});

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "an engine on PostgresStore", () => {
  let schema: string;
  let store: PostgresStore | undefined;
  let engine: Engine | undefined;
  const errors: unknown[] = [];

  beforeEach(async () => {
    requirePostgres();
    schema = freshSchemaName();
    store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
  });

  afterEach(async () => {
    await engine?.close();
    await store?.close();
    await dropSchema(schema);
    expect(errors).toEqual([]);
  });

  it("runs steps, a sleep, a signal, a child and continueAsNew to completion", async () => {
    engine = createEngine({
      store: store!,
      workflows: [order, ship],
      pollIntervalMs: 20,
      onError: (e) => errors.push(e),
    });
    const run = await engine.start(order, { round: 1, done: [] }, { id: "order-1" });
    for (const generation of [1, 2]) {
      await waitFor(async () => {
        const info = await engine?.getRun("order-1");
        return info?.status === "waiting" && info.generation === generation;
      });
      await engine.signal("order-1", "approve", `ok-${generation}`);
    }
    expect(await run.result()).toEqual(["rsv-1/ok-1/label-1", "rsv-2/ok-2/label-2"]);

    const info = await engine.getRun("order-1");
    expect(info).toMatchObject({ status: "completed", generation: 2 });
    const first = await engine.history("order-1", { generation: 1 });
    expect(first.map((event) => event.type)).toContain("run_continued");
    expect(first.map((event) => event.type)).toContain("timer_fired");
    expect((await engine.history("order-1"))[0]).toMatchObject({ type: "run_started", input: { round: 2 } });
    const children = await engine.listRuns({ parent: "order-1" });
    expect(children.map((kid) => kid.status)).toEqual(["completed", "completed"]);
  });

  it("a second engine on another store (pool) of the same schema finishes a run the first one left parked", async () => {
    engine = createEngine({
      store: store!,
      workflows: [order, ship],
      pollIntervalMs: 20,
      onError: (e) => errors.push(e),
    });
    await engine.start(order, { round: 2, done: [] }, { id: "order-2" });
    await waitFor(async () => (await engine?.getRun("order-2"))?.status === "waiting");
    await engine.close();
    engine = undefined;

    const other = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    const second = createEngine({
      store: other,
      workflows: [order, ship],
      pollIntervalMs: 20,
      onError: (e) => errors.push(e),
    });
    try {
      await second.signal("order-2", "approve", "late");
      await waitFor(async () => (await second.getRun("order-2"))?.status === "completed");
      expect((await second.getRun("order-2"))?.generation).toBe(1);
    } finally {
      await second.close();
      await other.close();
    }
  });
});
