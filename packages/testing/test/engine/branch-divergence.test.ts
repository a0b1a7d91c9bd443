// Changed code under a run parked inside parallel branches: each change blocks the run with a NonDeterminismError
// naming the branch path, executes nothing new, and the old code resumes it.
import { NonDeterminismError, all, awaitSignal, race, sleep, step, workflow, type Branch } from "@reprise/core";
import { describe, expect, it } from "vitest";
import { waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";

/** Three sub-flows, each a step then a wait for its own signal: the run parks with all three open. */
function fanOut(version: "v1" | "renamed" | "added" | "removed" | "race" | "bounded", calls: string[]) {
  return workflow("fan-out-divergence", function* () {
    const ids = version === "added" ? [1, 2, 3, 4] : version === "removed" ? [1, 2] : [1, 2, 3];
    const branches: Branch[] = ids.map((id) =>
      (function* () {
        const name = version === "renamed" && id === 3 ? `save-${id}-renamed` : `save-${id}`;
        yield* step(name, () => calls.push(name));
        return yield* awaitSignal<number>(`done-${id}`);
      })(),
    );
    if (version === "race") return yield* race(branches);
    // A concurrency bound decides when later branches start, so it is part of the group's recorded shape.
    if (version === "bounded") return yield* all(branches, { concurrency: 2 });
    return yield* all(branches);
  });
}

describe("non-determinism inside branches", () => {
  const cases = [
    { version: "renamed", expected: /all\[2\] > step 'save-3-renamed'/ },
    { version: "added", expected: /all\(\) of 4 branches/ },
    { version: "removed", expected: /all\(\) of 2 branches/ },
    { version: "race", expected: /race\(\) of 3 branches/ },
    { version: "bounded", expected: /all\(\) of 3 branches with concurrency 2/ },
  ] as const;

  for (const { version, expected } of cases) {
    it(`${version}: blocks the run with the branch path in the message, runs nothing, and old code resumes it`, async () => {
      const f = await fixture();
      const calls: string[] = [];
      const before = f.engine({ workflows: [fanOut("v1", calls)] });
      await before.start(fanOut("v1", calls), undefined, { id: "fd-1" });
      await waitFor(async () => (await before.getRun("fd-1"))?.status === "waiting");
      await before.close();
      expect(calls.sort()).toEqual(["save-1", "save-2", "save-3"]);

      const changed: string[] = [];
      const after = f.engine({ workflows: [fanOut(version, changed)] });
      // A waiting run is replayed when something wakes it: here, the first branch's signal.
      await after.signal("fd-1", "done-1", 10, { id: "done-1" });
      await waitFor(async () => (await after.getRun("fd-1"))?.status === "blocked");
      const info = await after.getRun("fd-1");
      expect(info?.error).toBeInstanceOf(NonDeterminismError);
      expect(info?.reason).toMatch(expected);
      expect(changed).toEqual([]);
      await after.close();

      const fixed = f.engine({ workflows: [fanOut("v1", calls)] });
      for (const id of [1, 2, 3]) await fixed.signal("fd-1", `done-${id}`, id * 10, { id: `done-${id}` });
      await waitFor(async () => (await fixed.getRun("fd-1"))?.status === "completed");
      expect((await fixed.getRun("fd-1"))?.result).toEqual([10, 20, 30]);
    });
  }

  it("a race turned into an all at the top level blocks too, naming the group", async () => {
    const f = await fixture();
    const v1 = workflow("race-or-all", function* () {
      return yield* race({ a: awaitSignal("a"), b: sleep({ days: 1 }) });
    });
    const v2 = workflow("race-or-all", function* () {
      return yield* all({ a: awaitSignal("a"), b: sleep({ days: 1 }) });
    });
    const before = f.engine({ workflows: [v1] });
    await before.start(v1, undefined, { id: "ra-1" });
    await waitFor(async () => (await before.getRun("ra-1"))?.status === "waiting");
    await before.close();
    const after = f.engine({ workflows: [v2] });
    await after.cancel("ra-1");
    await waitFor(async () => (await after.getRun("ra-1"))?.status === "blocked");
    expect((await after.getRun("ra-1"))?.reason).toMatch(/branches_started \(race\(\{ a, b \}\)\).*all\(\{ a, b \}\)/);
  });
});
