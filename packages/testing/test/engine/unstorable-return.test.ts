// A workflow whose return value cannot be stored ends `failed` with the codec's error, at once and for good,
// with the result of the step before the `return` committed exactly once.
import { RunFailedError, step, workflow } from "@reprise/core";
import { Replayer } from "@reprise/core/internal";
import { describe, expect, it } from "vitest";
import { fixture, counter } from "../fixtures.js";

describe("an unstorable return value", () => {
  const cases = [
    { label: "a function in it", value: () => ({ callback: () => 1 }), error: "UnencodableValueError" },
    { label: "over the payload limit", value: () => "z".repeat(5000), error: "PayloadTooLargeError" },
  ] as const;

  for (const { label, value, error } of cases) {
    it(`(${label}) ends the run failed, with the step before it recorded once`, async () => {
      const f = await fixture();
      const calls = counter();
      const wf = workflow("unstorable", function* () {
        const n = yield* step("before-return", () => calls.bump());
        return { n, value: value() };
      });
      const engine = f.engine({ workflows: [wf], maxPayloadBytes: 1024 });
      const run = await engine.start(wf, undefined, { id: "u-1" });
      const failure = await run.result().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(RunFailedError);
      expect((failure as RunFailedError).message).toContain(error);
      expect(((failure as RunFailedError).cause as Error).name).toBe(error);
      expect((await engine.getRun("u-1"))?.status).toBe("failed");
      const types = (await engine.history("u-1")).map((e) => e.type);
      expect(types).toEqual(["run_started", "step_completed", "run_failed"]);
      expect(calls.count).toBe(1);
      expect(f.backgroundErrors).toEqual([]);
    });
  }

  it("replays the failed log without a divergence", async () => {
    const f = await fixture();
    const wf = workflow("unstorable", function* () {
      yield* step("before-return", () => 1);
      return () => 1;
    });
    const engine = f.engine({ workflows: [wf] });
    await expect((await engine.start(wf, undefined, { id: "u-2" })).result()).rejects.toBeInstanceOf(RunFailedError);
    // Replaying the whole log (as a restarted engine or `reprise verify` does) agrees with the code.
    const replayer = new Replayer("u-2", wf);
    for (const event of await engine.history("u-2")) replayer.apply(event);
    expect(replayer.state).toMatchObject({ type: "finished", outcome: { status: "failed" } });
  });
});
