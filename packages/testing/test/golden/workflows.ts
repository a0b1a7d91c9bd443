// Workflows whose recorded histories are kept in this folder (*.json) and replayed in CI.
// Changing what they yield breaks the golden test on purpose: keep them compatible, or re-record deliberately.
import {
  all,
  awaitSignal,
  CancelledError,
  child,
  NonRetryableError,
  now,
  race,
  sleep,
  step,
  uuid,
  workflow,
  type StepContext,
} from "@reprise/core";

/** An order as the shop submits it. */
export interface GoldenOrder {
  readonly orderId: string;
  readonly items: readonly { readonly sku: string; readonly quantity: number; readonly priceCents: number }[];
}

/** Counts step function calls, so tests can prove that replay never runs one. */
export const stepCalls = { count: 0 };

function effect<T>(fn: (ctx: StepContext) => T): (ctx: StepContext) => T {
  return (ctx) => {
    stepCalls.count += 1;
    return fn(ctx);
  };
}

/**
 * Reserve stock, charge (the gateway times out twice, so the step is retried), wait for `shipped` for up to
 * two days, sleep three days, send a follow-up. A cancellation releases the stock and refunds the charge.
 */
export const goldenOrder = workflow("golden-order", function* (order: GoldenOrder) {
  const placedAt = yield* now();
  const confirmation = yield* uuid();
  const units = order.items.reduce((sum, item) => sum + item.quantity, 0);
  const reservation = yield* step(
    "reserve",
    effect((ctx) => ({ id: `rsv-${ctx.idempotencyKey}`, units })),
  );
  let charge: { id: string; amountCents: bigint; at: Date } | undefined;
  try {
    charge = yield* step(
      "charge",
      effect((ctx) => {
        if (ctx.attempt < 3) throw new Error("gateway timeout");
        const amount = order.items.reduce((sum, item) => sum + BigInt(item.quantity * item.priceCents), 0n);
        return { id: `ch-${ctx.idempotencyKey}`, amountCents: amount, at: new Date(Date.UTC(2030, 0, 1)) };
      }),
      { retry: { maxAttempts: 5, initialInterval: { seconds: 30 } } },
    );
    const shipment = yield* awaitSignal<{ carrier: string }>("shipped", { timeout: { days: 2 } });
    yield* sleep({ days: 3 });
    const followUp = yield* step(
      "follow-up",
      effect(() => `How do you like order ${order.orderId}?`),
    );
    return {
      orderId: order.orderId,
      confirmation,
      placedAt: placedAt.toISO(),
      reservation: reservation.id,
      charge,
      carrier: shipment?.carrier ?? null,
      followUp,
      items: new Map(order.items.map((item) => [item.sku, item.quantity])),
    };
  } catch (error) {
    if (!(error instanceof CancelledError)) throw error;
    yield* step(
      "release-stock",
      effect(() => `released ${reservation.id}`),
    );
    if (charge !== undefined) {
      const refunded = charge;
      yield* step(
        "refund",
        effect(() => ({ refunded: refunded.id, amountCents: refunded.amountCents })),
      );
    }
    throw error;
  }
});

/** Waits an hour for approval; without it, escalation fails for good and so does the run. */
export const goldenInvoice = workflow("golden-invoice", function* (invoice: { number: string; cents: number }) {
  const approval = yield* awaitSignal<{ by: string }>("approved", { timeout: { hours: 1 } });
  if (approval !== undefined) return { number: invoice.number, approvedBy: approval.by };
  yield* step(
    "escalate",
    effect(() => {
      throw new NonRetryableError(`nobody approved invoice ${invoice.number}`);
    }),
  );
  return { number: invoice.number, approvedBy: null };
});

/** The input of every recorded order. */
export const GOLDEN_ORDER_INPUT: GoldenOrder = {
  orderId: "1001",
  items: [
    { sku: "MUG-BLUE", quantity: 2, priceCents: 1250 },
    { sku: "TEA-EARL-GREY", quantity: 1, priceCents: 3250 },
  ],
};

/** A machine of the fleet, as the v2 (event format 2) golden workflow provisions it. */
export interface GoldenMachine {
  readonly name: string;
  readonly size: "small" | "large";
}

/** Sets up one machine of the fleet as a child run: allocate, then configure. */
export const goldenMachine = workflow("golden-machine", function* (machine: GoldenMachine) {
  const ip = yield* step(
    "allocate",
    effect(() => `10.0.0.${machine.name.length}`),
  );
  yield* step(
    "configure",
    effect(() => `${machine.name} at ${ip}`),
  );
  return ip;
});

/**
 * Event format 2: a fleet provisioned in parallel. Each branch is a sub-flow that starts a child run and then
 * races an operator's "approve-<name>" signal against a one-day timer; the fleet's inventory step runs alongside.
 */
export const goldenFleet = workflow("golden-fleet", function* (machines: readonly GoldenMachine[]) {
  const { ips, inventory } = yield* all({
    ips: all(
      machines.map((machine) =>
        (function* () {
          const ip = yield* child(goldenMachine, machine);
          const approval = yield* race({
            approved: awaitSignal<string>(`approve-${machine.name}`),
            timeout: sleep({ days: 1 }),
          });
          return { ip, approvedBy: approval.key === "approved" ? approval.value : "nobody" };
        })(),
      ),
      { concurrency: 2 },
    ),
    inventory: step(
      "inventory",
      effect(() => machines.length),
    ),
  });
  return { ips, inventory };
});

export const GOLDEN_FLEET_INPUT: readonly GoldenMachine[] = [
  { name: "web", size: "small" },
  { name: "db", size: "large" },
  { name: "cache", size: "small" },
];
