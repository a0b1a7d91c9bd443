// The `subscription` workflow: bills a customer every month until cancelled, for years, continuing as new after
// every twelve bills so that each year starts a fresh history. Two versions show a billing change deployed safely.
import { awaitSignal, continueAsNew, race, sleep, step, workflow } from "@reprise/core";

/** What a subscription carries from one year (generation) to the next. */
export interface SubscriptionState {
  readonly customer: string;
  readonly plan: "basic" | "pro";
  /** Bills sent so far, over the subscription's whole life. */
  readonly billed: number;
}

/** What a subscription returns once cancelled. */
export interface SubscriptionEnd {
  readonly customer: string;
  readonly billed: number;
  readonly reason: string;
}

/** The payment side, called only inside steps. */
export interface Billing {
  charge(customer: string, cents: number, idempotencyKey: string): string;
}

/** Bills per generation: one year of monthly bills, so a history holds at most about 50 events. */
export const BILLS_PER_GENERATION = 12;

const PRICE_CENTS = { basic: 500, pro: 2_000 } as const;

/** What a bill costs, given the plan and how many bills came before it. */
type Pricing = (plan: SubscriptionState["plan"], billedBefore: number) => number;

/**
 * A bill a month until cancelled. Each month races the timer against a `cancel` signal; a cancellation sent while
 * the run continues as new waits in the inbox and ends the next generation at once.
 */
function subscription(version: number, billing: Billing, price: Pricing) {
  return workflow(
    "subscription",
    function* (state: SubscriptionState): Generator<unknown, SubscriptionEnd, unknown> {
      let { billed } = state;
      for (let month = 0; month < BILLS_PER_GENERATION; month++) {
        const next = yield* race({ cancel: awaitSignal<string>("cancel"), due: sleep({ days: 30 }) });
        if (next.key === "cancel") return { customer: state.customer, billed, reason: next.value };
        const cents = price(state.plan, billed);
        yield* step(`bill-${billed + 1}`, (ctx) => billing.charge(state.customer, cents, ctx.idempotencyKey));
        billed += 1;
      }
      return yield* continueAsNew({ ...state, billed });
    },
    { version },
  );
}

/**
 * Version 1: the plan's price every month.
 *
 * @example
 * const run = await engine.start(subscriptionV1(billing), { customer: "c-7", plan: "pro", billed: 0 });
 * await engine.signal(run.id, "cancel", "moved away");
 */
export function subscriptionV1(billing: Billing) {
  return subscription(1, billing, (plan) => PRICE_CENTS[plan]);
}

/**
 * Version 2: a 10% loyalty discount from the 13th bill on. Runs in flight stay on version 1 until they end; new
 * subscriptions start on version 2. (The price is computed outside the step, from the run's own state, so
 * replay computes it again identically.)
 *
 * @example
 * createEngine({ store, workflows: [subscriptionV1(billing), subscriptionV2(billing)] });
 */
export function subscriptionV2(billing: Billing) {
  return subscription(2, billing, (plan, billedBefore) =>
    billedBefore >= 12 ? Math.round(PRICE_CENTS[plan] * 0.9) : PRICE_CENTS[plan],
  );
}
