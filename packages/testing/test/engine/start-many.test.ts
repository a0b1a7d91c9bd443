// Starting many runs: startMany() creates them in one transaction with start()'s idempotency per id, and a bad item
// rejects the whole call before anything is written. Concurrent start() calls share group commits too.
import {
  InvalidArgumentError,
  MAX_START_MANY_ITEMS,
  PayloadTooLargeError,
  RunIdConflictError,
  step,
  UnencodableValueError,
  UnknownWorkflowError,
  workflow,
  type StartManyItem,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { createTestEngine } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const double = workflow("double", function* (n: number) {
  return yield* step("double", () => n * 2);
});
const label = workflow("label", function* (text: string) {
  return yield* step("label", () => `#${text}`);
});

describe("engine.startMany", () => {
  it("creates 1,000 runs in one store transaction and returns their handles in the items' order", async () => {
    const f = await fixture();
    const client = f.engine({ workflows: [] });
    await client.whenIdle();
    const before = f.store.stats();
    const ids = Array.from({ length: 1_000 }, (_, i) => `batch-${(i * 7919) % 1_000}`);
    const runs = await client.startMany(ids.map((id, i) => ({ workflow: double, input: i, id })));
    const after = f.store.stats();
    expect({ transactions: after.transactions - before.transactions, writes: after.writes - before.writes }).toEqual({
      transactions: 1,
      writes: 1,
    });
    expect(runs.map((run) => run.id)).toEqual(ids);
    expect(runs.every((run) => run.workflow === "double")).toBe(true);
    expect((await client.getRun("batch-0"))?.status).toBe("pending");
    expect((await client.getRun(ids[5] as string))?.input).toBe(5);
    expect(await client.startMany([])).toEqual([]);
  });

  it("1,000 concurrent start() calls already share one store transaction (group commit)", async () => {
    const f = await fixture();
    const client = f.engine({ workflows: [] });
    await client.whenIdle();
    const before = f.store.stats();
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => client.start(double, i)));
    expect(f.store.stats().transactions - before.transactions).toBe(1);
    expect(f.store.stats().writes - before.writes).toBe(1_000);
  });

  it("runs the engine serves start at once: claimed in the same write while slots are free, the rest queued", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [double, label], concurrency: 10 });
    await engine.whenIdle();
    const runs = await engine.startMany([
      ...Array.from({ length: 30 }, (_, i) => ({ workflow: double, input: i })),
      { workflow: label, input: "x", id: "labelled" },
    ]);
    const results = await Promise.all(runs.map((run) => run.result()));
    expect(results).toEqual([...Array.from({ length: 30 }, (_, i) => 2 * i), "#x"]);
    // Queued runs start from the run_started event startMany() wrote: no history is read back.
    expect(engine.stats().replays).toBe(0);
  });

  it("has start()'s idempotency per id: an id taken by the same workflow gives back that run, once", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [double] });
    const first = await engine.start(double, 1, { id: "same" });
    expect(await first.result()).toBe(2);
    const [again, fresh, twice] = await engine.startMany([
      { workflow: double, input: 100, id: "same" },
      { workflow: "double", input: 3, id: "fresh" },
      { workflow: double, input: 4, id: "fresh" },
    ]);
    expect(await again?.result()).toBe(2);
    expect(await fresh?.result()).toBe(6);
    expect(await twice?.result()).toBe(6);
    expect((await engine.history("same")).filter((event) => event.type === "run_started")).toHaveLength(1);
    expect(engine.stats().stepAttempts).toBe(2);
  });

  it("rejects an id another workflow has in the store with RunIdConflictError naming the item; nothing is created", async () => {
    const f = await fixture();
    const client = f.engine({ workflows: [] });
    await client.start(label, "first", { id: "taken" });
    const writes = f.store.stats().writes;
    const error = await client
      .startMany([
        { workflow: double, input: 1, id: "new-1" },
        { workflow: double, input: 2, id: "taken" },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunIdConflictError);
    expect(error).toMatchObject({ itemIndex: 1, runId: "taken", existingWorkflow: "label" });
    expect((error as Error).message).toMatch(
      /^startMany\(\) item 1: Run id 'taken' already belongs .* Nothing was started\.$/,
    );
    expect(await client.getRun("new-1")).toBeUndefined();
    expect(f.store.stats().writes).toBe(writes);
  });

  it("checks every item before writing: one bad item rejects the call with start()'s error, naming its index", async () => {
    const f = await fixture();
    const client = f.engine({ workflows: [], maxPayloadBytes: 1_000 });
    const good: StartManyItem[] = [
      { workflow: double, input: 1, id: "good-1" },
      { workflow: double, input: 2, id: "good-2" },
    ];
    const cases: { bad: unknown; error: new (...args: never[]) => Error }[] = [
      { bad: { workflow: double, input: 3, id: "" }, error: InvalidArgumentError },
      { bad: { workflow: double, input: 3, id: 42 }, error: InvalidArgumentError },
      { bad: { workflow: "no-such-workflow", input: 3 }, error: UnknownWorkflowError },
      { bad: { workflow: double, input: () => 3 }, error: UnencodableValueError },
      { bad: { workflow: double, input: "x".repeat(2_000) }, error: PayloadTooLargeError },
      { bad: { workflow: label, input: "3", id: "good-1" }, error: RunIdConflictError },
      { bad: { workflow: { name: 3 }, input: 3 }, error: InvalidArgumentError },
      { bad: "not an item", error: InvalidArgumentError },
      { bad: null, error: InvalidArgumentError },
    ];
    const writes = f.store.stats().writes;
    for (const { bad, error } of cases) {
      const items = [...good, bad] as unknown as StartManyItem[];
      const thrown = await client.startMany(items).catch((e: unknown) => e);
      expect(thrown, JSON.stringify(bad) ?? String(bad)).toBeInstanceOf(error);
      expect((thrown as Error).message).toMatch(/startMany\(\) item 2/);
    }
    expect(f.store.stats().writes).toBe(writes);
    expect(await client.listRuns()).toEqual([]);
  });

  it(`refuses more than ${MAX_START_MANY_ITEMS} items, and anything but an array, with InvalidArgumentError`, async () => {
    const f = await fixture();
    const client = f.engine({ workflows: [] });
    const items = Array.from({ length: MAX_START_MANY_ITEMS + 1 }, (_, i) => ({ workflow: double, input: i }));
    await expect(client.startMany(items)).rejects.toThrow(/at most 10000 runs per call \(got 10001\)/);
    await expect(client.startMany({} as unknown as StartManyItem[])).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await client.listRuns()).toEqual([]);
  });

  it("works in the test engine too: one batch, settled before it resolves, handles typed by workflow", async () => {
    const t = await createTestEngine({ workflows: [double, label] });
    try {
      const [a, b] = await t.startMany([
        { workflow: double, input: 21 },
        { workflow: label, input: "y" },
      ]);
      expect((await a?.info())?.status).toBe("completed");
      expect([await a?.result(), await b?.result()]).toEqual([42, "#y"]);
    } finally {
      await t.close();
    }
  });
});
