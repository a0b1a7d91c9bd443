// An engine's use of Store.watchChanges: changes route to the right reaction, a failing subscription or reaction
// only reports, changes after close are dropped, and close waits for a poll a notification started.
import { awaitSignal, createEngine, type Store, type StoreChange } from "@reprise/core";
import { workflow } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";

const approval = workflow("approval", function* () {
  return yield* awaitSignal<string>("approve");
});

const opened: SqliteStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});

/**
 * A SqliteStore with change notifications the test sends itself (`emit`), and `finishedRunsSince` that can be
 * held at a gate, to see what waits for it.
 */
async function notifyingStore(options: { failSubscribe?: boolean } = {}) {
  const base = await SqliteStore.open({ filename: ":memory:" });
  opened.push(base);
  let onChange: ((change: StoreChange) => void) | undefined;
  let gate: Promise<void> | undefined;
  const log: string[] = [];
  const store = new Proxy(base, {
    get(target, property, receiver) {
      if (property === "watchChanges") {
        return async (listener: (change: StoreChange) => void) => {
          if (options.failSubscribe === true) throw new Error("no notification connection");
          onChange = listener;
          return { close: async () => void log.push("unsubscribed") };
        };
      }
      if (property === "finishedRunsSince") {
        return async (cursor: number, limit: number) => {
          log.push("finishedRunsSince");
          await gate;
          const page = await target.finishedRunsSince(cursor, limit);
          log.push("finishedRunsSince done");
          return page;
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as Store;
  return {
    store,
    log,
    emit: (change: StoreChange) => onChange?.(change),
    subscribed: () => onChange !== undefined,
    hold(): () => void {
      let release = (): void => {};
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

describe("store change notifications", () => {
  it("a signal another process sent wakes the waiting run without a poll", async () => {
    const f = await notifyingStore();
    const engine = createEngine({ store: f.store, workflows: [approval], pollIntervalMs: Number.POSITIVE_INFINITY });
    try {
      const handle = await engine.start(approval, undefined, { id: "a-1" });
      await waitFor(async () => (await engine.getRun("a-1"))?.status === "waiting", { message: "a-1 to wait" });
      await waitFor(() => f.subscribed() || undefined, { message: "the subscription" });
      // Written behind the engine's back, as another process would; only the notification tells the engine.
      await (f.store as SqliteStore).sendSignal({
        runId: "a-1",
        signalId: "s-1",
        name: "approve",
        payload: '{"json":"yes"}',
        nowMs: Date.now(),
      });
      f.emit({ kind: "runsDue", atMs: undefined, workflows: ["approval"] });
      expect(await handle.result()).toBe("yes");
    } finally {
      await engine.close();
    }
  });

  it("a subscription that fails goes to onError and the engine goes on polling", async () => {
    const f = await notifyingStore({ failSubscribe: true });
    const errors: unknown[] = [];
    const engine = createEngine({
      store: f.store,
      workflows: [approval],
      pollIntervalMs: 20,
      onError: (error) => errors.push(error),
    });
    try {
      const handle = await engine.start(approval, undefined, { id: "a-2" });
      await engine.signal("a-2", "approve", "polled");
      expect(await handle.result()).toBe("polled");
      expect(errors).toMatchObject([{ message: "no notification connection" }]);
    } finally {
      await engine.close();
    }
  });

  it("close waits for a poll that a runsEnded notification started, and drops changes after it", async () => {
    const f = await notifyingStore();
    const errors: unknown[] = [];
    const engine = createEngine({
      store: f.store,
      workflows: [approval],
      pollIntervalMs: Number.POSITIVE_INFINITY,
      onError: (error) => errors.push(error),
    });
    const handle = await engine.start(approval, undefined, { id: "a-3" });
    const result = handle.result().catch((error: unknown) => error);
    await waitFor(() => f.subscribed() || undefined, { message: "the subscription" });
    await waitFor(async () => (await engine.getRun("a-3"))?.status === "waiting", { message: "a-3 to wait" });
    const release = f.hold();
    f.log.length = 0;
    f.emit({ kind: "runsEnded" });
    await waitFor(() => f.log.includes("finishedRunsSince") || undefined, { message: "the poll to start" });
    const closing = engine.close().then(() => f.log.push("closed"));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(f.log).not.toContain("closed");
    release();
    await closing;
    expect(f.log.indexOf("finishedRunsSince done")).toBeLessThan(f.log.indexOf("closed"));
    f.emit({ kind: "runsEnded" });
    f.emit({ kind: "runsDue", atMs: undefined, workflows: undefined });
    expect(f.log.filter((entry) => entry === "finishedRunsSince")).toHaveLength(1);
    expect(errors).toEqual([]);
    await result;
  });
});
