// Patches: a run recorded before patched(id) existed keeps the old path on the new code, a new run takes the
// new one, and deprecatePatch / its removal keep both kinds of history replaying.
import { awaitSignal, deprecatePatch, patched, step, workflow, type HistoryEvent } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { replayHistory, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

/** The provisioning workflow at each deploy of the three-deploy recipe. */
function provision(deploy: "before" | "patched" | "deprecated" | "removed", calls: string[]) {
  return workflow("provision-vm", function* (name: string) {
    const ip = yield* step("allocate-ip", () => `${name}-ip`);
    let volume = "none";
    if (deploy === "patched") {
      if (yield* patched("attach-volume")) volume = yield* step("attach-volume", () => (calls.push(name), "vol"));
    } else if (deploy === "deprecated") {
      yield* deprecatePatch("attach-volume");
      volume = yield* step("attach-volume", () => (calls.push(name), "vol"));
    } else if (deploy === "removed") {
      volume = yield* step("attach-volume", () => (calls.push(name), "vol"));
    }
    const approval = yield* awaitSignal<string>("approve");
    return { ip, volume, approval };
  });
}

const types = (events: readonly HistoryEvent[]) => events.map((event) => event.type);

describe("patched()", () => {
  it("a run started before the patch finishes on the new code without the patched step; a new run takes it", async () => {
    const f = await fixture();
    const calls: string[] = [];
    const before = f.engine({ workflows: [provision("before", calls)] });
    await before.start(provision("before", calls), "old", { id: "vm-old" });
    await waitFor(async () => (await before.getRun("vm-old"))?.status === "waiting");
    await before.close();

    const code = provision("patched", calls);
    const after = f.engine({ workflows: [code] });
    await after.signal("vm-old", "approve", "ops");
    const fresh = await after.start(code, "new", { id: "vm-new" });
    await after.signal("vm-new", "approve", "ops");
    await waitFor(async () => (await after.getRun("vm-old"))?.status === "completed");
    expect((await after.getRun("vm-old"))?.result).toEqual({ ip: "old-ip", volume: "none", approval: "ops" });
    expect(await fresh.result()).toEqual({ ip: "new-ip", volume: "vol", approval: "ops" });
    expect(calls).toEqual(["new"]);

    const oldHistory = await after.history("vm-old");
    const newHistory = await after.history("vm-new");
    expect(types(oldHistory)).not.toContain("patch_recorded");
    expect(newHistory.find((event) => event.type === "patch_recorded")).toMatchObject({ patchId: "attach-volume" });
    // Both replay to the same end with the patched code, again and again.
    for (const history of [oldHistory, newHistory]) {
      const state = replayHistory(code, history);
      expect(state.type).toBe("finished");
      expect(replayHistory(code, history)).toEqual(state);
    }
  });

  it("gives the same answer for the rest of the run, recording one marker", async () => {
    const f = await fixture();
    const twice = workflow("patch-twice", function* () {
      const first = yield* patched("p");
      const second = yield* patched("p");
      return [first, second];
    });
    const engine = f.engine({ workflows: [twice] });
    expect(await (await engine.start(twice, undefined, { id: "pt-1" })).result()).toEqual([true, true]);
    expect(types(await engine.history("pt-1")).filter((type) => type === "patch_recorded")).toHaveLength(1);
  });

  it("the three deploys: deprecatePatch replays patched histories, and removing it replays deprecated ones", () => {
    const calls: string[] = [];
    // A history as the patched code records it (run_started, allocate-ip, patch_recorded, attach-volume, wait).
    const recorded: HistoryEvent[] = [
      { type: "run_started", seq: 1, atMs: 0, workflow: "provision-vm", input: "a", formatVersion: 2 },
      { type: "step_completed", seq: 2, atMs: 1, name: "allocate-ip", attempt: 1, result: "a-ip" },
      { type: "patch_recorded", seq: 3, atMs: 2, patchId: "attach-volume" },
      { type: "step_completed", seq: 4, atMs: 3, name: "attach-volume", attempt: 1, result: "vol" },
      { type: "signal_wait_started", seq: 5, atMs: 4, name: "approve" },
    ];
    expect(replayHistory(provision("deprecated", calls), recorded)).toMatchObject({ type: "waiting" });
    // Deploy 2 records deprecated markers; deploy 3 (the call removed) skips them.
    const deprecated = recorded.map((event) => (event.seq === 3 ? { ...event, deprecated: true } : event));
    expect(replayHistory(provision("removed", calls), deprecated)).toMatchObject({ type: "waiting" });
    // A marker of a patch that was not deprecated first is still a divergence once the call is gone.
    expect(() => replayHistory(provision("removed", calls), recorded)).toThrow(/patch_recorded 'attach-volume'/);
    expect(calls).toEqual([]);
  });

  it("rejects a bad patch id where it is called", () => {
    expect(() => patched("")).toThrow(/patch id/);
    expect(() => deprecatePatch(7 as never)).toThrow(/patch id/);
  });
});
