// The test engine: virtual time in deadline order, stubs, restarts by replay, fail-fast results.
import { awaitSignal, now, sleep, step, uuid, workflow } from "@reprise/core";
import { afterEach, describe, expect, it } from "vitest";
import { createTestEngine, RunNotFinishedError, type TestEngine } from "../src/index.js";

const order = workflow("order", function* (input: { sku: string; qty: number }) {
  const reservation = yield* step("reserve", () => `res-${input.sku}`);
  const shipped = yield* awaitSignal<{ carrier: string }>("shipped", { timeout: { days: 3 } });
  if (shipped === undefined) {
    yield* step("release", () => reservation);
    return { status: "expired" as const };
  }
  yield* sleep({ days: 30 });
  const at = yield* now();
  yield* step("follow-up", () => `asked about ${input.sku}`);
  return { status: "shipped" as const, carrier: shipped.carrier, followedUpAt: at.toISODate() };
});

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe("createTestEngine", () => {
  it("runs a month of timers in virtual time, firing them in deadline order", async () => {
    t = await createTestEngine({ workflows: [order] });
    const run = await t.start(order, { sku: "mug", qty: 1 });
    await t.advance({ days: 1 });
    await t.signal(run.id, "shipped", { carrier: "DHL" });
    expect((await run.info())?.status).toBe("sleeping");
    await t.advance({ days: 30 });
    expect(await run.result()).toEqual({ status: "shipped", carrier: "DHL", followedUpAt: "2030-02-01" });
  });

  it("a timeout fires when time passes it", async () => {
    t = await createTestEngine({ workflows: [order] });
    const run = await t.start(order, { sku: "mug", qty: 1 });
    await t.advance({ days: 3 });
    expect(await run.result()).toEqual({ status: "expired" });
    expect(t.stepCalls.map((call) => call.step)).toEqual(["reserve", "release"]);
  });

  it("result() says why a run is not finished instead of hanging", async () => {
    t = await createTestEngine({ workflows: [order] });
    const run = await t.start(order, { sku: "mug", qty: 1 });
    const error = await run.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunNotFinishedError);
    expect((error as Error).message).toContain("it is waiting for signal 'shipped' (times out at 2030-01-04");
  });

  it("stubs replace step functions by name without changing workflow code", async () => {
    const charged: string[] = [];
    const pay = workflow("pay", function* () {
      return yield* step("charge", () => {
        charged.push("real gateway");
        return "real";
      });
    });
    t = await createTestEngine({ workflows: [pay], stubs: { charge: (ctx) => `stub ${ctx.attempt}` } });
    const run = await t.start(pay, undefined);
    expect(await run.result()).toBe("stub 1");
    expect(charged).toEqual([]);
  });

  it("restart() reopens the store and continues by replay without re-running recorded steps", async () => {
    t = await createTestEngine({ workflows: [order] });
    const run = await t.start(order, { sku: "tea", qty: 2 });
    await t.restart();
    await t.signal(run.id, "shipped", { carrier: "UPS" });
    await t.restart();
    await t.advance({ days: 30 });
    expect(await run.result()).toMatchObject({ status: "shipped", carrier: "UPS" });
    expect(t.stepCalls.map((call) => call.step)).toEqual(["reserve", "follow-up"]);
    expect(t.engine.stats().replays).toBe(1);
  });

  it("random values are reproducible for a seed", async () => {
    const ids = workflow("ids", function* () {
      return yield* uuid();
    });
    const values: unknown[] = [];
    for (const seed of [7, 7, 8]) {
      const engine = await createTestEngine({ workflows: [ids], seed });
      values.push(await (await engine.start(ids, undefined, { id: "same" })).result());
      await engine.close();
    }
    expect(values[0]).toBe(values[1]);
    expect(values[2]).not.toBe(values[0]);
    expect(values[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
