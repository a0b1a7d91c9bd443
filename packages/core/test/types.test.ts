// Type-level contract: yield* gives each command's typed result; definitions carry input and output types.
import { describe, expectTypeOf, it } from "vitest";
import type { DateTime } from "luxon";
import {
  awaitSignal,
  now,
  random,
  sleep,
  step,
  uuid,
  workflow,
  type RunHandle,
  type Engine,
  type WorkflowDefinition,
} from "../src/index.js";

describe("types", () => {
  it("yield* returns the typed result of each command", () => {
    const typed = workflow("typed", function* (name: string) {
      const text = yield* step("compose", () => `Hello, ${name}`);
      expectTypeOf(text).toEqualTypeOf<string>();
      const total = yield* step("async", async () => ({ total: 3 }));
      expectTypeOf(total).toEqualTypeOf<{ total: number }>();
      const slept = yield* sleep({ seconds: 5 });
      expectTypeOf(slept).toEqualTypeOf<void>();
      const reply = yield* awaitSignal<string>("reply", { timeout: { hours: 1 } });
      expectTypeOf(reply).toEqualTypeOf<string | undefined>();
      const required = yield* awaitSignal<number>("n");
      expectTypeOf(required).toEqualTypeOf<number>();
      expectTypeOf(yield* now()).toEqualTypeOf<DateTime>();
      expectTypeOf(yield* random()).toEqualTypeOf<number>();
      expectTypeOf(yield* uuid()).toEqualTypeOf<string>();
      return { text, reply };
    });
    expectTypeOf(typed).toEqualTypeOf<WorkflowDefinition<string, { text: string; reply: string | undefined }>>();
  });

  it("engine.start types its input and the handle's result", () => {
    const greet = workflow("greet", function* (name: string) {
      return yield* step("compose", () => name.length);
    });
    // Only type-checked, never called: it needs no store.
    const check = (engine: Engine) => {
      expectTypeOf(engine.start(greet, "Ada")).resolves.toEqualTypeOf<RunHandle<number>>();
      // @ts-expect-error the input must be a string
      void engine.start(greet, 42);
    };
    expectTypeOf(check).parameter(0).toEqualTypeOf<Engine>();
  });
});
