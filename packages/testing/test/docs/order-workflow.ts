// The order workflow used by the examples in docs/testing.md (kept in sync with the page).
import { awaitSignal, sleep, step, workflow } from "@reprise/core";

export const order = workflow("order", function* (input: { sku: string; qty: number }) {
  const charge = yield* step("charge", () => ({ id: `ch_${input.sku}`, cents: input.qty * 1250 }));
  const shipped = yield* awaitSignal<{ carrier: string }>("shipped", { timeout: { days: 3 } });
  if (shipped === undefined) {
    yield* step("refund", () => `refunded ${charge.id}`);
    return { status: "refunded" };
  }
  yield* sleep({ days: 7 });
  yield* step("ask-for-review", () => `review request for ${input.sku}`);
  return { status: "delivered", carrier: shipped.carrier };
});
