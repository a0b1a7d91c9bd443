// The `order` workflow (reserve stock, charge the card with retries, wait for shipping, sleep, follow up)
// and the fake outside world it calls: inventory, a flaky payment gateway and a mailer, all writing to the ledger.
import { createHash } from "node:crypto";
import {
  awaitSignal,
  DEFAULT_RETRY_POLICY,
  sleep,
  step,
  workflow,
  type StepContext,
  type WorkflowDefinition,
} from "@reprise/core";
import type { Ledger } from "./ledger.js";

/** An order as the shop submits it: the workflow's input. */
export interface OrderInput {
  readonly orderId: string;
  readonly customer: { readonly name: string; readonly email: string };
  readonly items: readonly { readonly sku: string; readonly quantity: number; readonly priceCents: number }[];
}

/** Payload of the `shipped` signal, sent by the warehouse when the parcel leaves. */
export interface Shipment {
  readonly carrier: string;
}

/** What a finished order run returns. */
export interface OrderResult {
  readonly orderId: string;
  readonly reservationId: string;
  readonly chargeId: string;
  readonly amount: string;
  /** The carrier from the `shipped` signal, or null when it did not arrive in time. */
  readonly carrier: string | null;
  readonly followUpId: string;
}

/** The order the demo places, and the id of its run (fixed, so `pnpm demo` resumes the same run). */
export const DEMO_ORDER: OrderInput = {
  orderId: "1001",
  customer: { name: "Ada Lovelace", email: "ada@example.com" },
  items: [
    { sku: "MUG-BLUE", quantity: 2, priceCents: 1250 },
    { sku: "TEA-EARL-GREY", quantity: 1, priceCents: 3250 },
  ],
};
/** Run id of the demo order. */
export const DEMO_RUN_ID = `order-${DEMO_ORDER.orderId}`;

/** Name of the signal that tells a run its parcel was shipped. */
export const SHIPPED_SIGNAL = "shipped";

/** Retry policy of the `charge` step: up to 5 attempts, waiting 0.5 s, then 1 s, 2 s, ... in between. */
export const CHARGE_RETRY = { maxAttempts: 5, initialInterval: { milliseconds: 500 } } as const;

/** Where the workflow reports step attempts as they happen (the demo prints them). */
export interface ProgressReporter {
  /** An attempt of `step` is about to call the outside world. */
  stepStarted(runId: string, step: string, attempt: number): void;
  /** The attempt started last ended with this outcome, e.g. "failed: gateway timeout". */
  stepFinished(outcome: string): void;
}

/** What `createOrderWorkflow` needs from the demo. */
export interface OrderWorkflowOptions {
  readonly ledger: Ledger;
  readonly progress: ProgressReporter;
  /** How long to wait for the `shipped` signal. */
  readonly shipTimeoutMs: number;
  /** The durable sleep between shipping and the follow-up message. */
  readonly followUpDelayMs: number;
}

/**
 * Builds the `order` workflow around the demo's ledger and progress output. Durations come from options
 * rather than the input so the demo can shorten them; a sleep's deadline is recorded when it starts,
 * so changing them later does not move a timer that is already running.
 *
 * @example
 * const order = createOrderWorkflow({ ledger, progress, shipTimeoutMs: 60_000, followUpDelayMs: 5_000 });
 * const engine = createEngine({ store, workflows: [order] });
 */
export function createOrderWorkflow(options: OrderWorkflowOptions): WorkflowDefinition<OrderInput, OrderResult> {
  const { ledger, progress } = options;

  /** Runs one attempt of a step's side effect, printing it and writing its outcome to the ledger. */
  async function attempt<T>(
    ctx: StepContext,
    name: string,
    maxAttempts: number,
    effect: () => Promise<T>,
    describe: (value: T) => string,
  ): Promise<T> {
    progress.stepStarted(ctx.runId, name, ctx.attempt);
    const entry = { runId: ctx.runId, step: name, attempt: ctx.attempt, idempotencyKey: ctx.idempotencyKey };
    try {
      const value = await effect();
      const outcome = describe(value);
      ledger.append({ ...entry, outcome });
      progress.stepFinished(outcome);
      return value;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      ledger.append({ ...entry, outcome: `FAILED ${message}` });
      progress.stepFinished(`failed: ${message}${ctx.attempt < maxAttempts ? " (the engine will retry)" : ""}`);
      throw error;
    }
  }

  const defaultAttempts = DEFAULT_RETRY_POLICY.maxAttempts;
  return workflow("order", function* (order: OrderInput) {
    const units = order.items.reduce((sum, item) => sum + item.quantity, 0);
    const amountCents = order.items.reduce((sum, item) => sum + item.quantity * item.priceCents, 0);

    const reservation = yield* step("reserve", (ctx) =>
      attempt(
        ctx,
        "reserve",
        defaultAttempts,
        () => inventory.reserve(units, ctx.idempotencyKey),
        (r) => `reserved ${r.units} units as ${r.reservationId}`,
      ),
    );

    const charge = yield* step(
      "charge",
      (ctx) =>
        attempt(
          ctx,
          "charge",
          CHARGE_RETRY.maxAttempts,
          () => paymentGateway.charge(amountCents, ctx.idempotencyKey, ctx.attempt),
          (c) => `charged ${formatAmount(c.amountCents)} as ${c.chargeId} (idempotency key ${ctx.idempotencyKey})`,
        ),
      { retry: CHARGE_RETRY },
    );

    const shipment = yield* awaitSignal<Shipment>(SHIPPED_SIGNAL, { timeout: { milliseconds: options.shipTimeoutMs } });
    const carrier = shipment?.carrier ?? null;

    yield* sleep({ milliseconds: options.followUpDelayMs });

    const subject =
      carrier === null
        ? `Order ${order.orderId} is running late, sorry`
        : `How do you like order ${order.orderId}? (shipped with ${carrier})`;
    const followUp = yield* step("follow-up", (ctx) =>
      attempt(
        ctx,
        "follow-up",
        defaultAttempts,
        () => mailer.send(order.customer.email, subject, ctx.idempotencyKey),
        (m) => `emailed ${m.to}: "${m.subject}" (${m.messageId})`,
      ),
    );

    return {
      orderId: order.orderId,
      reservationId: reservation.reservationId,
      chargeId: charge.chargeId,
      amount: formatAmount(amountCents),
      carrier,
      followUpId: followUp.messageId,
    } satisfies OrderResult;
  });
}

/** Formats cents as euros, e.g. 5750 → "€57.50". */
export function formatAmount(cents: number): string {
  return new Intl.NumberFormat("en-IE", { style: "currency", currency: "EUR" }).format(cents / 100);
}

/** A short stable id derived from an idempotency key: the same request always gets the same answer. */
function idFor(prefix: string, idempotencyKey: string): string {
  return `${prefix}_${createHash("sha256").update(idempotencyKey).digest("hex").slice(0, 10)}`;
}

/** A moment of network latency, so progress is visible. */
const latency = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const inventory = {
  async reserve(units: number, idempotencyKey: string) {
    await latency(100);
    return { reservationId: idFor("rsv", idempotencyKey), units };
  },
};

/**
 * A payment gateway that times out on the first two attempts of every charge. Real gateways fail at
 * random; this one fails by attempt number so the demo is repeatable. Like a real one, it de-duplicates
 * by idempotency key: every attempt of the same step gets the same charge id.
 */
const paymentGateway = {
  async charge(amountCents: number, idempotencyKey: string, attempt: number) {
    await latency(150);
    if (attempt <= 2) throw new Error("gateway timeout");
    return { chargeId: idFor("ch", idempotencyKey), amountCents };
  },
};

const mailer = {
  async send(to: string, subject: string, idempotencyKey: string) {
    await latency(100);
    return { messageId: idFor("msg", idempotencyKey), to, subject };
  },
};
