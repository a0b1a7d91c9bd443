// FaultyStore covers every Store method: each one is counted, logged and can be failed, the newer ones included
// (createRuns, finishedRunsSince, the lease-holder methods). A method it did not know would escape fault tests.
import { SqliteStore } from "@reprise/store-sqlite";
import { describe, expect, it } from "vitest";
import { FAULTABLE_METHODS, FaultyStore, InjectedFaultError } from "../../src/faulty-store.js";
import { memoryStore, newRun } from "./memory-store.js";

describe("FaultyStore's methods", () => {
  it("lists every Store method of SqliteStore but close as faultable", () => {
    // SqliteStore is also a RunReader for tools, and moves whole runs for `reprise copy`; those methods are not the
    // engine's Store methods.
    const readerOnly = [
      "exportRuns",
      "existingRunIds",
      "importRuns",
      "runsPage",
      "countRunsByStatus",
      "workflowsWithRuns",
      "unfinishedRuns",
      "keptGenerations",
      "highestServedVersion",
      "queueStats",
    ];
    const storeMethods = Object.getOwnPropertyNames(SqliteStore.prototype).filter(
      (name) => !["constructor", "close", "diagnostics", "stats", ...readerOnly].includes(name),
    );
    expect([...FAULTABLE_METHODS].sort()).toEqual(storeMethods.sort());
    for (const method of FAULTABLE_METHODS) expect(typeof FaultyStore.prototype[method]).toBe("function");
  });

  it("fails createRuns before the store sees it: no run of the batch exists", async () => {
    const base = await memoryStore();
    const store = new FaultyStore(base, { at: 1, methods: ["createRuns"] });
    await expect(store.createRuns([newRun("a"), newRun("b")])).rejects.toBeInstanceOf(InjectedFaultError);
    expect(await base.getRun("a")).toBeUndefined();
    expect((await store.createRuns([newRun("a")])).map((answer) => answer.created)).toEqual([true]);
  });

  it("fails finishedRunsSince, registerLeaseHolder, leaseHoldersOn and expireLeasesOf when planned, and logs them", async () => {
    const base = await memoryStore();
    const methods = ["finishedRunsSince", "registerLeaseHolder", "leaseHoldersOn", "expireLeasesOf"] as const;
    const store = new FaultyStore(base, { at: 1, mode: "persistent", methods: [...methods] });
    const holder = { owner: "o", host: "h", pid: 1 };
    await expect(store.finishedRunsSince(0, 10)).rejects.toBeInstanceOf(InjectedFaultError);
    await expect(store.registerLeaseHolder(holder, 1)).rejects.toBeInstanceOf(InjectedFaultError);
    await expect(store.leaseHoldersOn("h")).rejects.toBeInstanceOf(InjectedFaultError);
    await expect(store.expireLeasesOf(["o"], 1)).rejects.toBeInstanceOf(InjectedFaultError);
    expect(store.calls.map((call) => [call.method, call.outcome])).toEqual(
      methods.map((method) => [method, "fault-before"]),
    );
    store.heal();
    await store.registerLeaseHolder(holder, 1);
    expect(await store.leaseHoldersOn("h")).toEqual([holder]);
    expect(await store.finishedRunsSince(0, 0)).toEqual({ runs: [], cursor: 0 });
    expect(await store.expireLeasesOf(["o"], 2)).toBe(0);
  });
});
