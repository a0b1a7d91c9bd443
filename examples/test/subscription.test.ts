// Runs the subscription example for years of virtual time: monthly bills across continue-as-new generations, a
// cancellation, and version 2 deployed next to version 1 while a version 1 subscription is in flight.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createTestEngine } from "@reprise/testing";
import { afterEach, expect, it } from "vitest";
import { BILLS_PER_GENERATION, subscriptionV1, subscriptionV2, type Billing } from "../src/subscription.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A payment provider that de-duplicates by idempotency key, as real ones do. */
function fakeBilling(): Billing & { readonly charges: Map<string, { customer: string; cents: number }> } {
  const charges = new Map<string, { customer: string; cents: number }>();
  return {
    charges,
    charge(customer, cents, idempotencyKey) {
      if (!charges.has(idempotencyKey)) charges.set(idempotencyKey, { customer, cents });
      return idempotencyKey;
    },
  };
}

const centsOf = (billing: ReturnType<typeof fakeBilling>, customer: string) =>
  [...billing.charges.values()].filter((charge) => charge.customer === customer).map((charge) => charge.cents);

it("bills monthly for years, one generation per year, and ends on a cancellation sent at any time", async () => {
  const billing = fakeBilling();
  const v1 = subscriptionV1(billing);
  const t = await createTestEngine({ workflows: [v1] });
  cleanups.push(() => t.close());
  const run = await t.start(v1, { customer: "c-1", plan: "basic", billed: 0 }, { id: "sub-1" });
  for (let month = 0; month < 30; month++) await t.advance({ days: 30 });
  expect((await t.getRun("sub-1"))?.generation).toBe(Math.floor(30 / BILLS_PER_GENERATION) + 1);
  // Each generation's history stays a year long; the first one is still readable.
  expect((await t.history("sub-1")).length).toBeLessThan(60);
  expect((await t.history("sub-1", { generation: 1 })).at(-1)?.type).toBe("run_continued");
  await t.signal("sub-1", "cancel", "moved away");
  expect(await run.result()).toEqual({ customer: "c-1", billed: 30, reason: "moved away" });
  // 30 charges, 30 different idempotency keys: no key repeats across generations.
  expect(centsOf(billing, "c-1")).toEqual(Array.from({ length: 30 }, () => 500));
});

it("keeps a version 1 subscription on version 1 after version 2 is deployed, while new ones start on version 2", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "reprise-subscription-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const filename = path.join(dir, "reprise.db");
  const billing = fakeBilling();
  const before = await createTestEngine({ workflows: [subscriptionV1(billing)], filename });
  await before.start(subscriptionV1(billing), { customer: "old", plan: "pro", billed: 0 }, { id: "sub-old" });
  for (let month = 0; month < 6; month++) await before.advance({ days: 30 });
  const stoppedAtMs = before.clock.nowMs();
  await before.close();

  const after = await createTestEngine({
    workflows: [subscriptionV1(billing), subscriptionV2(billing)],
    filename,
    startAt: stoppedAtMs,
  });
  cleanups.push(() => after.close());
  const fresh = await after.start(
    subscriptionV2(billing),
    { customer: "new", plan: "pro", billed: 0 },
    { id: "sub-new" },
  );
  for (let month = 0; month < 14; month++) await after.advance({ days: 30 });
  expect((await after.getRun("sub-old"))?.version).toBe(1);
  expect((await after.getRun("sub-new"))?.version).toBe(2);
  await after.signal("sub-old", "cancel", "done");
  await after.signal("sub-new", "cancel", "done");
  expect(await fresh.result()).toMatchObject({ billed: 14 });
  // Version 1 never discounts; version 2 discounts from the 13th bill on.
  expect(centsOf(billing, "old")).toEqual(Array.from({ length: 20 }, () => 2_000));
  expect(centsOf(billing, "new")).toEqual([...Array.from({ length: 12 }, () => 2_000), 1_800, 1_800]);
});
