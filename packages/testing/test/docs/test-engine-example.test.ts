// The "Unit tests with the test engine" example from docs/testing.md, run as written.
import { createTestEngine } from "@reprise/testing";
import { expect, it } from "vitest";
import { order } from "./order-workflow.js";

it("ships, waits a week, then asks for a review", async () => {
  const t = await createTestEngine({
    workflows: [order],
    stubs: { charge: () => ({ id: "ch_test", cents: 1250 }) }, // never call the real gateway
  });
  const run = await t.start(order, { sku: "mug", qty: 1 });
  await t.advance({ days: 1 });
  await t.signal(run.id, "shipped", { carrier: "DHL" });
  expect((await run.info())?.status).toBe("sleeping");

  await t.restart(); // drop the engine, reopen the same SQLite file: the run continues by replay
  await t.advance({ days: 7 });
  expect(await run.result()).toEqual({ status: "delivered", carrier: "DHL" });
  expect(t.stepCalls.map((call) => call.step)).toEqual(["charge", "ask-for-review"]);
  await t.close();
});

it("refunds when nothing ships within three days", async () => {
  const t = await createTestEngine({ workflows: [order] });
  const run = await t.start(order, { sku: "mug", qty: 1 });
  await t.advance({ days: 3 });
  expect(await run.result()).toEqual({ status: "refunded" });
  await t.close();
});
