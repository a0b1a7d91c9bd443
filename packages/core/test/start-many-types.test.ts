// Type-level contract of engine.startMany: each item's input is checked against its workflow, handles carry outputs.
import { describe, expectTypeOf, it } from "vitest";
import { step, workflow, type Engine, type RunHandle } from "../src/index.js";

const count = workflow("count", function* (text: string) {
  return yield* step("count", () => text.length);
});
const shout = workflow("shout", function* (text: string) {
  return yield* step("shout", () => ({ loud: text.toUpperCase() }));
});

describe("startMany types", () => {
  it("types each handle by its item's workflow and checks each input", () => {
    // Only type-checked, never called: it needs no store.
    const check = (engine: Engine, words: string[]) => {
      const items = words.map((word) => ({ workflow: count, input: word }));
      expectTypeOf(engine.startMany(items)).resolves.toEqualTypeOf<RunHandle<number>[]>();
      expectTypeOf(
        engine.startMany([
          { workflow: count, input: "a" },
          { workflow: shout, input: "b" },
        ]),
      ).resolves.toEqualTypeOf<RunHandle<number | { loud: string }>[]>();
      expectTypeOf(engine.startMany([{ workflow: "count", input: 1, id: "by-name" }])).resolves.toEqualTypeOf<
        RunHandle<unknown>[]
      >();
      // @ts-expect-error the input of 'count' must be a string
      void engine.startMany([{ workflow: count, input: 42 }]);
      // @ts-expect-error an id is a string
      void engine.startMany([{ workflow: count, input: "a", id: 7 }]);
    };
    expectTypeOf(check).parameter(0).toEqualTypeOf<Engine>();
  });
});
