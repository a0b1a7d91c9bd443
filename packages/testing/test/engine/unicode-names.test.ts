// Ids and names must be well-formed Unicode: SQLite stores UTF-8, where a lone surrogate turns into U+FFFD
// and the run would no longer be found under its own id. They are refused before anything is written.
import { InvalidArgumentError, RunNotFoundError, awaitSignal, step, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture, storeSnapshot } from "../fixtures.js";

const LONE = "order-\ud800";

const waiter = workflow("waiter", function* () {
  return yield* awaitSignal<string>("go");
});

describe("names and ids that are not well-formed Unicode", () => {
  it("are refused by start, signal and cancel with InvalidArgumentError, writing nothing", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [waiter] });
    await engine.start(waiter, undefined, { id: "w" });
    await waitFor(async () => (await engine.getRun("w"))?.status === "waiting");
    const before = storeSnapshot(f);
    const refused = await engine.start(waiter, undefined, { id: LONE }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidArgumentError);
    expect((refused as Error).message).toMatch(/run id is not well-formed Unicode: a lone UTF-16 surrogate at index 6/);
    await expect(engine.start("wait\udc00er", undefined)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.signal("w", "go\ud83d", "x")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.signal("w", "go", "x", { id: "hook-\udfff" })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.signal(LONE, "go", "x")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.cancel("w", { reason: "because \ud800" })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(storeSnapshot(f)).toEqual(before);
    expect((await engine.getRun("w"))?.status).toBe("waiting");
  });

  it("are refused in workflow, step and awaitSignal names", () => {
    expect(() => workflow("flow\ud800", function* () {})).toThrow(/lone UTF-16 surrogate at index 4/);
    expect(() => step("s\udc00", () => 1)).toThrow(InvalidArgumentError);
    expect(() => awaitSignal("\ud800")).toThrow(InvalidArgumentError);
  });

  it("are unknown to getRun and history, even where an older release stored such a run", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [] });
    // What a release without the check wrote: the store keeps the id's broken bytes as they came.
    const data = '{"json":{"workflow":"waiter","input":null,"formatVersion":1}}';
    const startedEvent = { seq: 1, type: "run_started", atMs: 0, data } as const;
    await f.store.createRun({ id: LONE, workflow: "waiter", input: '{"json":null}', startedEvent, nowMs: 0 });
    expect(await engine.getRun(LONE)).toBeUndefined();
    await expect(engine.history(LONE)).rejects.toBeInstanceOf(RunNotFoundError);
  });

  it("well-formed ids outside the BMP round-trip", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [waiter] });
    const id = "order-🚀-ünïcode";
    const run = await engine.start(waiter, undefined, { id });
    await engine.signal(id, "go", "✓");
    expect(await run.result()).toBe("✓");
    expect((await engine.listRuns()).map((r) => r.id)).toEqual([id]);
  });
});
