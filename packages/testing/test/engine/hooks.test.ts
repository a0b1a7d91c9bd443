// Lifecycle hooks: each fires once per transition the engine made, with the run and what happened; a hook that
// throws (or rejects) is reported through onError and changes nothing for the run or the engine.
import {
  InvalidArgumentError,
  LARGE_HISTORY_EVENTS,
  awaitSignal,
  createEngine,
  random,
  step,
  workflow,
  type EngineHooks,
} from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

describe("lifecycle hooks", () => {
  it("fire once per transition: completed, failed, cancelled, blocked", async () => {
    const f = await fixture();
    const seen: string[] = [];
    const on: EngineHooks = {
      runCompleted: ({ runId, result }) => seen.push(`completed ${runId} ${String(result)}`),
      runFailed: ({ runId, error }) => seen.push(`failed ${runId} ${(error as Error).message}`),
      runCancelled: ({ runId, reason }) => seen.push(`cancelled ${runId} ${reason ?? ""}`),
      runBlocked: ({ runId, reason }) => seen.push(`blocked ${runId} ${reason.split(":")[0] ?? ""}`),
    };
    const ok = workflow("ok", function* () {
      return yield* step("one", () => 1);
    });
    const bad = workflow("bad", function* () {
      yield* step("boom", () => {
        throw new Error("nope");
      });
    });
    const waits = workflow("waits", function* () {
      yield* awaitSignal("never");
    });
    const parked = workflow("parked", function* () {
      yield* awaitSignal("go");
    });
    const engine = f.engine({ workflows: [ok, bad, waits, parked], on, retry: { maxAttempts: 1 } });
    await (await engine.start(ok, undefined, { id: "h-ok" })).result();
    await expect((await engine.start(bad, undefined, { id: "h-bad" })).result()).rejects.toThrow();
    const waiting = await engine.start(waits, undefined, { id: "h-cancel" });
    await engine.start(parked, undefined, { id: "h-block" });
    await waitFor(async () => (await engine.getRun("h-cancel"))?.status === "waiting");
    await waitFor(async () => (await engine.getRun("h-block"))?.status === "waiting");
    await engine.cancel("h-cancel", { reason: "stop" });
    await expect(waiting.result()).rejects.toThrow(/cancelled/);
    await engine.close();

    // Changed code under the parked run: the signal wakes it, replay diverges, it blocks.
    const changed = workflow("parked", function* () {
      yield* step("renamed", () => 1);
      yield* awaitSignal("go");
    });
    const second = f.engine({ workflows: [changed], on });
    await second.signal("h-block", "go");
    await waitFor(() => seen.some((line) => line.startsWith("blocked")));
    expect(seen).toEqual([
      "completed h-ok 1",
      expect.stringMatching(/^failed h-bad .*nope/) as string,
      "cancelled h-cancel stop",
      "blocked h-block NonDeterminismError",
    ]);
  });

  it("a hook that throws or rejects is reported through onError; the run and the engine go on", async () => {
    const f = await fixture();
    const errors: unknown[] = [];
    const ok = workflow("ok-2", function* () {
      return yield* step("one", () => 1);
    });
    const engine = createEngine({
      store: f.store,
      workflows: [ok],
      onError: (error) => errors.push(error),
      on: {
        runCompleted: ({ runId }) => {
          if (runId === "throws") throw new Error("hook bug");
          return Promise.reject(new Error("async hook bug"));
        },
      },
    });
    try {
      expect(await (await engine.start(ok, undefined, { id: "throws" })).result()).toBe(1);
      expect(await (await engine.start(ok, undefined, { id: "rejects" })).result()).toBe(1);
      await waitFor(() => errors.length === 2);
      expect(errors.map((error) => (error as Error).message)).toEqual([
        "The runCompleted hook threw for run 'throws': Error: hook bug",
        "The runCompleted hook threw for run 'rejects': Error: async hook bug",
      ]);
    } finally {
      await engine.close();
    }
  });

  it("historyLarge fires each time a run's log passes another LARGE_HISTORY_EVENTS events", async () => {
    const f = await fixture();
    const sizes: number[] = [];
    const chatty = workflow("chatty", function* () {
      for (let i = 0; i < LARGE_HISTORY_EVENTS + 10; i++) yield* random();
      return yield* step("end", () => "done");
    });
    const engine = f.engine({ workflows: [chatty], on: { historyLarge: ({ events }) => sizes.push(events) } });
    expect(await (await engine.start(chatty, undefined, { id: "big" })).result()).toBe("done");
    expect(sizes).toHaveLength(1);
    expect(sizes[0]).toBeGreaterThanOrEqual(LARGE_HISTORY_EVENTS);
  });

  it("refuses a hook that is not a function, or an unknown hook name", () => {
    expect(() => createEngine({ store: {} as never, on: { runDone: () => 1 } as never })).toThrow(InvalidArgumentError);
    expect(() => createEngine({ store: {} as never, on: { runFailed: "log" } as never })).toThrow(/must be a function/);
  });
});
