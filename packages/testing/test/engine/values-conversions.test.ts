// The codec's deliberate conversions (class instance → plain object, array hole → undefined, toJSON() → its value)
// on a real engine: the workflow sees the converted value on its first run exactly as it does on replay.
import { inspect } from "node:util";
import { awaitSignal, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

class Money {
  constructor(
    readonly amountCents: number,
    readonly at: Date,
  ) {}
  get euros(): number {
    return this.amountCents / 100;
  }
}
class Temperature {
  constructor(readonly celsius: number) {}
  toJSON(): unknown {
    return `${this.celsius}°C`;
  }
}

function sparse(): unknown[] {
  const array: unknown[] = ["a"];
  array[2] = "c";
  return array;
}

/** Everything a workflow could notice about a value: prototypes, holes, Dates, as util.inspect shows them. */
function describeValue(value: unknown): string {
  return inspect(value, { depth: 10, showHidden: false, sorted: true, breakLength: Number.POSITIVE_INFINITY });
}

describe("deliberate conversions", () => {
  it("a workflow sees the same converted values on its first run and on replay", async () => {
    const f = await fixture();
    /** One entry per execution of the workflow function: what it saw after each yield. */
    const executions: Record<string, string>[] = [];
    const shapes = workflow("shapes", function* (input: unknown) {
      const seen: Record<string, string> = {};
      executions.push(seen);
      seen.input = describeValue(input);
      const fromStep = yield* step("make", () => ({
        price: new Money(250, new Date(0)),
        list: sparse(),
        outside: new Temperature(21),
      }));
      seen.step = describeValue(fromStep);
      seen.plain = String(Object.getPrototypeOf(fromStep.price) === Object.prototype);
      seen.hole = String(1 in fromStep.list);
      const payload = yield* awaitSignal<unknown>("go");
      seen.signal = describeValue(payload);
      return seen;
    });
    const engine = f.engine({ workflows: [shapes], cacheSize: 0 });
    const run = await engine.start(shapes, { price: new Money(1, new Date(1)), list: sparse() }, { id: "s-1" });
    await waitFor(async () => (await engine.getRun("s-1"))?.status === "waiting");
    await engine.signal("s-1", "go", [new Money(2, new Date(2)), new Temperature(-3)]);
    const result = await run.result();

    // The run was rebuilt from its log after the signal: two executions, and they agree on every value.
    expect(executions).toHaveLength(2);
    const [first, replay] = executions as [Record<string, string>, Record<string, string>];
    expect(first.input).toBe(replay.input);
    expect(first.step).toBe(replay.step);
    expect([first.plain, first.hole]).toEqual([replay.plain, replay.hole]);
    expect(replay.signal).toBe(result.signal);

    // And what they agree on is the documented conversion.
    expect(first.input).toBe(
      "{ list: [ 'a', undefined, 'c' ], price: { amountCents: 1, at: 1970-01-01T00:00:00.001Z } }",
    );
    expect(first.step).toContain("outside: '21°C'");
    expect(first.step).toContain("price: { amountCents: 250, at: 1970-01-01T00:00:00.000Z }");
    expect([first.plain, first.hole]).toEqual(["true", "true"]);
    expect(result.signal).toBe("[ { amountCents: 2, at: 1970-01-01T00:00:00.002Z }, '-3°C' ]");
  });
});
