// The "Crash-safety checks" example from docs/testing.md, run as written.
import { checkCrashSafety } from "@reprise/testing";
import fc from "fast-check";
import { expect, it } from "vitest";
import { order } from "./order-workflow.js";

it("order survives a crash at any commit", async () => {
  const report = await checkCrashSafety(order, {
    input: fc.record({ sku: fc.string({ maxLength: 8 }), qty: fc.integer({ min: 1, max: 5 }) }),
    signals: [{ name: "shipped", payload: fc.constant({ carrier: "DHL" }) }],
    numRuns: 50,
  });
  expect(report.crashes).toBeGreaterThanOrEqual(50);
});

it("order survives every single crash point of one scenario", async () => {
  await checkCrashSafety(order, {
    input: { sku: "mug", qty: 1 },
    signals: [{ name: "shipped", payload: { carrier: "DHL" }, atTick: 1 }],
    exhaustive: true,
  });
});
