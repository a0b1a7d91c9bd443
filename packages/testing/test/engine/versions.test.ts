// Versioned definitions: several definitions share a name, each run stays on the version it started with, and an
// engine never runs a run with the code of another version: it leaves it alone and says why.
import { awaitSignal, child, InvalidArgumentError, step, systemClock, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const calls: string[] = [];

const orderV1 = workflow(
  "order",
  function* (sku: string) {
    yield* step("reserve", () => (calls.push(`v1:${sku}`), sku));
    const approval = yield* awaitSignal<string>("approve");
    return `v1 ${sku} by ${approval}`;
  },
  { version: 1 },
);

// Version 2 inserts a step before the wait: version 1 histories would not replay on it.
const orderV2 = workflow(
  "order",
  function* (sku: string) {
    yield* step("reserve", () => (calls.push(`v2:${sku}`), sku));
    yield* step("charge", () => `charged ${sku}`);
    const approval = yield* awaitSignal<string>("approve");
    return `v2 ${sku} by ${approval}`;
  },
  { version: 2 },
);

describe("versioned definitions", () => {
  it("route each run to the code of the version it started on; new runs start on the highest", async () => {
    const f = await fixture();
    calls.length = 0;
    const old = f.engine({ workflows: [orderV1] });
    await old.start(orderV1, "mug", { id: "order-old" });
    await waitFor(async () => (await old.getRun("order-old"))?.status === "waiting");
    await old.close();

    const engine = f.engine({ workflows: [orderV1, orderV2] });
    const fresh = await engine.start(orderV1, "cup", { id: "order-new" });
    const pinned = await engine.start(orderV2, "pot", { id: "order-pinned", version: 1 });
    expect((await engine.getRun("order-new"))?.version).toBe(2);
    expect((await engine.getRun("order-pinned"))?.version).toBe(1);
    for (const id of ["order-old", "order-new", "order-pinned"]) await engine.signal(id, "approve", "ops");
    await waitFor(async () => (await engine.getRun("order-old"))?.status === "completed");
    expect((await engine.getRun("order-old"))?.result).toBe("v1 mug by ops");
    expect(await fresh.result()).toBe("v2 cup by ops");
    expect(await pinned.result()).toBe("v1 pot by ops");
    expect(calls.sort()).toEqual(["v1:mug", "v1:pot", "v2:cup"]);
    expect((await engine.getRun("order-old"))?.version).toBe(1);

    const history = await engine.history("order-new");
    expect(history[0]).toMatchObject({ type: "run_started", workflow: "order", version: 2 });
    expect((await engine.history("order-old"))[0]).not.toHaveProperty("version");
    expect((await engine.listRuns({ workflow: "order", version: 1 })).map((run) => run.id).sort()).toEqual([
      "order-old",
      "order-pinned",
    ]);
    expect((await engine.listRuns({ version: 2 })).map((run) => run.id)).toEqual(["order-new"]);
  });

  it("an engine that serves only version 2 leaves version 1 runs alone, with the reason, and never runs them", async () => {
    const f = await fixture();
    calls.length = 0;
    const old = f.engine({ workflows: [orderV1] });
    await old.start(orderV1, "mug", { id: "order-old" });
    await waitFor(async () => (await old.getRun("order-old"))?.status === "waiting");
    await old.close();

    // Later than WORKER_STALE_AFTER_MS: the engine that served version 1 no longer counts as serving it.
    const later = { nowMs: () => Date.now() + 60_000, setTimer: systemClock.setTimer.bind(systemClock) };
    const v2only = f.engine({ workflows: [orderV2], clock: later });
    await v2only.signal("order-old", "approve", "ops");
    const fresh = await v2only.start(orderV2, "cup", { id: "order-new" });
    await v2only.signal("order-new", "approve", "ops");
    expect(await fresh.result()).toBe("v2 cup by ops");
    await v2only.whenIdle();
    const info = await v2only.getRun("order-old");
    expect(info?.status).toBe("waiting");
    expect(info?.version).toBe(1);
    expect(info?.reason).toContain("No running engine serves workflow 'order'");
    expect(info?.reason).toContain("this engine serves version 2");
    expect(info?.reason).toContain("{ version: 1 }");
    expect((await v2only.listRuns({ status: "waiting" }))[0]?.reason).toBe(info?.reason);
    expect(calls).toEqual(["v1:mug", "v2:cup"]);

    // Registering version 1 again lets the run finish on its own code.
    await v2only.close();
    const both = f.engine({ workflows: [orderV2, orderV1], clock: later });
    await waitFor(async () => (await both.getRun("order-old"))?.status === "completed");
    expect((await both.getRun("order-old"))?.result).toBe("v1 mug by ops");
    expect((await both.getRun("order-old"))?.reason).toBeUndefined();
  });

  it("a child starts on the highest version its parent's engine serves, or the one its options name", async () => {
    const f = await fixture();
    const childV1 = workflow("leaf", function* () {
      return "leaf v1";
    });
    const childV2 = workflow(
      "leaf",
      function* () {
        return "leaf v2";
      },
      { version: 2 },
    );
    const parent = workflow("tree", function* () {
      const latest = yield* child(childV1, undefined, { id: "leaf-latest" });
      const pinned = yield* child(childV2, undefined, { id: "leaf-pinned", version: 1 });
      return [latest, pinned];
    });
    const engine = f.engine({ workflows: [parent, childV1, childV2] });
    expect(await (await engine.start(parent, undefined)).result()).toEqual(["leaf v2", "leaf v1"]);
    expect((await engine.getRun("leaf-latest"))?.version).toBe(2);
    expect((await engine.getRun("leaf-pinned"))?.version).toBe(1);
  });

  it("rejects two definitions with one name and version, and versions that are not positive integers", async () => {
    const f = await fixture();
    const twin = workflow("order", function* () {}, { version: 2 });
    expect(() => f.engine({ workflows: [orderV2, twin] })).toThrow(InvalidArgumentError);
    expect(() => f.engine({ workflows: [orderV2, twin] })).toThrow(/version 2.*own version/);
    expect(() => workflow("order", function* () {}, { version: 0 })).toThrow(InvalidArgumentError);
    expect(() => workflow("order", function* () {}, { version: 1.5 })).toThrow(/positive integer/);
    const engine = f.engine({ workflows: [orderV1] });
    await expect(engine.start(orderV1, "x", { version: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(engine.listRuns({ version: 0 })).rejects.toThrow(InvalidArgumentError);
    expect(await engine.listRuns()).toEqual([]);
    // Registering the same definition twice is fine, as before.
    expect(() => f.engine({ workflows: [orderV1, orderV1] })).not.toThrow();
  });
});
