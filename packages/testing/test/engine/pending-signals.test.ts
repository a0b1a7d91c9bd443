// getRun's `pendingSignals`: signals stored for a run that no awaitSignal has taken, e.g. one sent under a wrong name.
// Checks that they are listed oldest first, leave the list once consumed, and that listRuns does not read them.
import { MAX_PENDING_SIGNALS_SHOWN, awaitSignal, workflow } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { FaultyStore, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

const approvalFlow = workflow("approval-flow", function* () {
  return yield* awaitSignal<string>("approval");
});

describe("pending signals", () => {
  it("a misnamed signal shows in getRun until the run ends, the consumed one leaves the list", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [approvalFlow] });
    const run = await engine.start(approvalFlow, undefined, { id: "a-1" });
    await waitFor(async () => (await engine.getRun("a-1"))?.status === "waiting", { message: "the run to wait" });
    await engine.signal("a-1", "approve", "wrong name", { id: "stray-1" });
    const waiting = await engine.getRun("a-1");
    expect(waiting?.status).toBe("waiting");
    expect(waiting?.pendingSignals).toEqual([
      { id: "stray-1", name: "approve", sentAtMs: expect.any(Number) as unknown },
    ]);

    await engine.signal("a-1", "approval", "yes", { id: "right-1" });
    expect(await run.result()).toBe("yes");
    expect((await engine.getRun("a-1"))?.pendingSignals?.map((signal) => signal.id)).toEqual(["stray-1"]);
  });

  it("getRun lists at most MAX_PENDING_SIGNALS_SHOWN, oldest first; listRuns does not read the inbox", async () => {
    const f = await fixture();
    const store = new FaultyStore(f.store);
    const engine = f.engine({ workflows: [], store });
    await engine.start(approvalFlow, undefined, { id: "a-2" });
    for (let i = 0; i < MAX_PENDING_SIGNALS_SHOWN + 5; i++) await engine.signal("a-2", `note-${i}`, i);
    const pending = (await engine.getRun("a-2"))?.pendingSignals ?? [];
    expect(pending).toHaveLength(MAX_PENDING_SIGNALS_SHOWN);
    expect(pending[0]?.name).toBe("note-0");
    expect(pending.at(-1)?.name).toBe(`note-${MAX_PENDING_SIGNALS_SHOWN - 1}`);

    const before = store.calls.length;
    const [listed] = await engine.listRuns();
    expect(listed?.pendingSignals).toBeUndefined();
    expect(store.calls.slice(before).map((call) => call.method)).not.toContain("pendingSignals");
  });
});
