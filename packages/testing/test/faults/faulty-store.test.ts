// FaultyStore itself: which call fails, for how long, whether the wrapped store saw it, and what is logged.
import { StoreError } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { FaultyStore, InjectedFaultError } from "../../src/faulty-store.js";
import { memoryStore, newRun } from "./memory-store.js";

describe("FaultyStore", () => {
  it("a transient fault fails only call N, before the wrapped store sees it", async () => {
    const base = await memoryStore();
    const store = new FaultyStore(base, { at: 2 });
    await store.createRun(newRun("r1"));
    const error = await store.createRun(newRun("r2")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InjectedFaultError);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "STORE_ERROR", method: "createRun", call: 2, timing: "before" });
    expect(await base.getRun("r2")).toBeUndefined();
    await store.createRun(newRun("r3"));
    expect(store.calls.map((call) => `${call.n} ${call.method} ${call.outcome}`)).toEqual([
      "1 createRun ok",
      "2 createRun fault-before",
      "3 createRun ok",
    ]);
    expect(store.faults).toEqual([error]);
  });

  it("a fault after the call lets the wrapped store apply it and reports an error anyway", async () => {
    const base = await memoryStore();
    const store = new FaultyStore(base, { at: 1, timing: "after" });
    await expect(store.createRun(newRun("r1"))).rejects.toMatchObject({ timing: "after", call: 1 });
    expect((await base.getRun("r1"))?.id).toBe("r1");
    expect(store.calls[0]?.outcome).toBe("fault-after");
  });

  it("a persistent fault fails call N and every later one until heal()", async () => {
    const store = new FaultyStore(await memoryStore(), { at: 2, mode: "persistent" });
    await store.getRun("a");
    await expect(store.getRun("b")).rejects.toBeInstanceOf(InjectedFaultError);
    await expect(store.listRuns({ limit: 1 })).rejects.toBeInstanceOf(InjectedFaultError);
    store.heal();
    expect(await store.getRun("c")).toBeUndefined();
    expect(store.faults.map((fault) => fault.method)).toEqual(["getRun", "listRuns"]);
  });

  it("counts and fails only the chosen methods; close is never counted unless chosen", async () => {
    const store = new FaultyStore(await memoryStore(), { at: 2, methods: ["commit", "sendSignal"] });
    await store.createRun(newRun("r1"));
    await store.getRun("r1");
    await store.sendSignal({ runId: "r1", signalId: "s1", name: "go", payload: '{"json":1}', nowMs: 2 });
    expect(store.counted).toBe(1);
    await expect(
      store.sendSignal({ runId: "r1", signalId: "s2", name: "go", payload: '{"json":2}', nowMs: 3 }),
    ).rejects.toMatchObject({ method: "sendSignal", call: 4 });
    await store.close();
    expect(store.calls.at(-1)).toMatchObject({ method: "close", outcome: "ok" });
  });

  it("inject() arms a new plan that counts from then on; errors of the wrapped store are passed through", async () => {
    const store = new FaultyStore(await memoryStore());
    await store.getRun("a");
    store.inject({ at: 1, methods: ["getRun"] });
    await expect(store.getRun("b")).rejects.toBeInstanceOf(InjectedFaultError);
    const real = await store
      .sendSignal({ runId: "missing", signalId: "s", name: "go", payload: '{"json":1}', nowMs: 1 })
      .catch((e: unknown) => e);
    expect(real).toMatchObject({ code: "RUN_NOT_FOUND" });
    expect(store.calls.at(-1)).toMatchObject({ outcome: "error", error: real });
    expect(() => store.inject({ at: 0 })).toThrow(RangeError);
  });
});
