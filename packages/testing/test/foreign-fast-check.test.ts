// checkCrashSafety with arbitraries from another copy of fast-check: the user's test loads fast-check as
// CommonJS (a different module instance than the ESM build @reprise/testing imports), as Jest users do.
import { createRequire } from "node:module";
import { awaitSignal, step, workflow } from "@reprise/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkCrashSafety, CrashSafetyError } from "../src/index.js";

/** fast-check's CommonJS build: the same version, but its own classes (`instanceof` across the two fails). */
const fcCommonJs = createRequire(import.meta.url)("fast-check") as typeof fc;

interface Order {
  readonly sku: string;
  readonly qty: number;
}

describe("checkCrashSafety with fast-check loaded as CommonJS", () => {
  it("loads a second instance of fast-check (the precondition of these tests)", () => {
    expect(fcCommonJs.Arbitrary).not.toBe(fc.Arbitrary);
    expect(fcCommonJs.record({ a: fcCommonJs.nat() })).not.toBeInstanceOf(fc.Arbitrary);
  });

  it("generates inputs and signal payloads from the other copy's arbitraries", async () => {
    const inputs: Order[] = [];
    const carriers: string[] = [];
    const order = workflow("order", function* (input: Order) {
      inputs.push(input);
      const shipped = yield* awaitSignal<{ carrier: string }>("shipped", { timeout: { days: 1 } });
      if (shipped !== undefined) carriers.push(shipped.carrier);
      return yield* step("bill", () => `${input.sku} x${input.qty}`);
    });
    const report = await checkCrashSafety(order, {
      input: fcCommonJs.record({
        sku: fcCommonJs.string({ minLength: 1, maxLength: 4 }).map((s) => `sku-${s}`),
        qty: fcCommonJs.integer({ min: 1, max: 9 }),
      }),
      // Sent right after the start, before the timeout: every scenario delivers a generated payload.
      signals: [
        { name: "shipped", payload: fcCommonJs.constantFrom({ carrier: "DHL" }, { carrier: "UPS" }), atTick: 0 },
      ],
      numRuns: 12,
    });
    expect(report.scenarios).toBe(12);
    expect(inputs.every((input) => input.sku.startsWith("sku-") && input.qty >= 1 && input.qty <= 9)).toBe(true);
    expect(new Set(inputs.map((input) => JSON.stringify(input))).size).toBeGreaterThan(1);
    expect(carriers.length).toBeGreaterThanOrEqual(12);
    expect(carriers.every((carrier) => carrier === "DHL" || carrier === "UPS")).toBe(true);
  });

  it("shrinks a counterexample through the other copy's arbitrary and replays it from seed and path", async () => {
    const batch = workflow("batch", function* (input: Order) {
      // Only orders of 3 or more read Math.random() in workflow code, so shrinking must walk the
      // CommonJS integer arbitrary down to exactly 3.
      const extra = input.qty >= 3 && Math.random() < 2;
      if (extra) yield* step("extra", () => "extra");
      return yield* step("done", () => input.qty);
    });
    const options = {
      input: fcCommonJs.record({ sku: fcCommonJs.constant("mug"), qty: fcCommonJs.integer({ min: 0, max: 50 }) }),
      numRuns: 60,
    };
    const first = await checkCrashSafety(batch, options).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(first).toBeInstanceOf(CrashSafetyError);
    const error = first as CrashSafetyError;
    expect(error.message).toContain('scenario: input {"sku":"mug","qty":3}');
    const again = await checkCrashSafety(batch, { ...options, seed: error.seed, path: error.path }).then(
      () => undefined,
      (e: unknown) => e as CrashSafetyError,
    );
    expect(again?.message).toContain('scenario: input {"sku":"mug","qty":3}');
  });
});
