// Type-level contract of parallel branches and children: tuples in argument order, records by key, race results
// discriminated by key, settled results, child results and handles.
import { describe, expectTypeOf, it } from "vitest";
import {
  all,
  allSettled,
  awaitSignal,
  child,
  race,
  sleep,
  startChild,
  step,
  workflow,
  type ChildHandle,
  type SettledResult,
} from "../src/index.js";

const charge = workflow("charge", function* (input: { amount: number }) {
  return yield* step("capture", () => ({ receipt: `r-${input.amount}` }));
});

describe("branch types", () => {
  it("all: a typed tuple for an array, a typed record for an object, arrays of sub-flows", () => {
    workflow("typed-all", function* () {
      const [user, prefs] = yield* all([step("user", () => ({ name: "ada" })), step("prefs", async () => 3)]);
      expectTypeOf(user).toEqualTypeOf<{ name: string }>();
      expectTypeOf(prefs).toEqualTypeOf<number>();
      const { a, b } = yield* all({ a: step("a", () => "x"), b: child(charge, { amount: 5 }) });
      expectTypeOf(a).toEqualTypeOf<string>();
      expectTypeOf(b).toEqualTypeOf<{ receipt: string }>();
      const saved = yield* all(
        [1, 2].map((id) =>
          (function* () {
            return yield* step(`save-${id}`, () => id * 2);
          })(),
        ),
        { concurrency: 8 },
      );
      expectTypeOf(saved).toEqualTypeOf<number[]>();
      const empty = yield* all([]);
      expectTypeOf(empty).toEqualTypeOf<[]>();
    });
  });

  it("race: the key discriminates the value's type", () => {
    workflow("typed-race", function* () {
      const first = yield* race({ shipped: awaitSignal<{ carrier: string }>("shipped"), late: sleep({ days: 3 }) });
      if (first.key === "shipped") expectTypeOf(first.value).toEqualTypeOf<{ carrier: string }>();
      else expectTypeOf(first.value).toEqualTypeOf<void>();
      const indexed = yield* race([step("a", () => 1), step("b", () => "b")]);
      if (indexed.key === 0) expectTypeOf(indexed.value).toEqualTypeOf<number>();
      if (indexed.key === 1) expectTypeOf(indexed.value).toEqualTypeOf<string>();
    });
  });

  it("allSettled: one SettledResult per branch", () => {
    workflow("typed-settled", function* () {
      const [a, b] = yield* allSettled([step("a", () => 1), step("b", () => "b")]);
      expectTypeOf(a).toEqualTypeOf<SettledResult<number>>();
      expectTypeOf(b).toEqualTypeOf<SettledResult<string>>();
      if (a.status === "fulfilled") expectTypeOf(a.value).toEqualTypeOf<number>();
    });
  });

  it("child returns the child's output; startChild a handle whose result() yields it", () => {
    workflow("typed-children", function* () {
      const receipt = yield* child(charge, { amount: 5 }, { id: "charge-42" });
      expectTypeOf(receipt).toEqualTypeOf<{ receipt: string }>();
      const handle = yield* startChild(charge, { amount: 1 });
      expectTypeOf(handle).toEqualTypeOf<ChildHandle<{ receipt: string }>>();
      expectTypeOf(handle.id).toEqualTypeOf<string>();
      expectTypeOf(yield* handle.result()).toEqualTypeOf<{ receipt: string }>();
      // @ts-expect-error the child's input is typed
      yield* child(charge, { amount: "5" });
    });
  });
});
