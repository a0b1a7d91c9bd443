// A database written by the previous release (event format 1, store schema 3; fixtures/previous-release) is
// opened by this code: every unfinished run finishes, in whatever state the upgrade found it, without repeating
// a step it had recorded, and the finished runs read as they were.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { VirtualClock } from "../../src/index.js";
import { FIXTURE_START_MS, fixtureFailing, fixtureOrder, sideEffects } from "../fixtures/previous-release/workflows.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/previous-release/previous-release.db", import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function upgradedEngine() {
  const directory = mkdtempSync(join(tmpdir(), "reprise-previous-release-"));
  cleanups.push(() => rmSync(directory, { recursive: true, force: true }));
  const filename = join(directory, "reprise.db");
  copyFileSync(FIXTURE, filename);
  const store = await SqliteStore.open({ filename });
  cleanups.push(() => store.close());
  // Three hours after the fixture's runs started: every sleep, retry backoff and dead lease is due.
  const clock = new VirtualClock(FIXTURE_START_MS + 3 * 60 * 60 * 1000);
  const errors: unknown[] = [];
  const engine = createEngine({
    store,
    clock,
    workflows: [fixtureOrder, fixtureFailing],
    onError: (e) => errors.push(e),
  });
  cleanups.push(() => engine.close());
  /** Lets the engine work until the run has this status: time moves 10 ms a turn, or to the run's wake-up. */
  const until = async (runId: string, status: string): Promise<void> => {
    for (let i = 0; i < 1_000; i++) {
      const run = await engine.getRun(runId);
      if (run?.status === status) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
      const sleepingMs = run?.status === "sleeping" && run.wakeAtMs !== undefined ? run.wakeAtMs - clock.nowMs() : 0;
      await clock.advance(Math.max(10, sleepingMs));
    }
    throw new Error(`run ${runId} never became ${status}`);
  };
  return { engine, until, errors };
}

describe("a database written by the previous release", () => {
  it("finishes its runs: mid-step, mid-retry, sleeping, waiting, and with a signal already buffered", async () => {
    sideEffects.calls = [];
    const { engine, until, errors } = await upgradedEngine();
    for (const id of ["in-flight", "retrying", "sleeping", "waiting"]) {
      await until(id, "waiting");
      await engine.signal(id, "shipped", { carrier: `carrier-${id}` });
    }
    const results = Object.fromEntries(
      await Promise.all(
        ["in-flight", "retrying", "sleeping", "waiting", "signalled-early"].map(async (id) => {
          await until(id, "completed");
          return [id, await engine.getRun(id).then((run) => run?.result)] as const;
        }),
      ),
    );
    expect(results).toMatchObject({
      "in-flight": { reservation: "R-f", charge: { chargeId: "C-f" }, notified: "shipped with carrier-in-flight" },
      retrying: { reservation: "R-r", charge: { chargeId: "C-r" }, notified: "shipped with carrier-retrying" },
      sleeping: { reservation: "R-s", notified: "shipped with carrier-sleeping", waitedSinceYear: 2026 },
      waiting: { reservation: "R-w", notified: "shipped with carrier-waiting" },
      "signalled-early": { reservation: "R-e", notified: "shipped with UPS" },
    });
    // Only what the old release had not recorded ran: the interrupted step, the retry, and the last steps.
    expect([...sideEffects.calls].sort()).toEqual(
      [
        "in-flight:reserve",
        "in-flight:charge#1",
        "in-flight:notify",
        "retrying:charge#2",
        "retrying:notify",
        "sleeping:notify",
        "waiting:notify",
        "signalled-early:notify",
      ].sort(),
    );
    expect(errors).toEqual([]);
  });

  it("reads its finished runs as they were, old-format errors included", async () => {
    const { engine } = await upgradedEngine();
    expect((await engine.getRun("completed"))?.result).toMatchObject({ notified: "shipped with DHL" });
    const failed = await engine.getRun("failed");
    expect(failed?.status).toBe("failed");
    expect(failed?.error).toMatchObject({ name: "StepFailedError" });
    expect((await engine.listRuns()).map((run) => run.id).sort()).toEqual([
      "completed",
      "failed",
      "in-flight",
      "retrying",
      "signalled-early",
      "sleeping",
      "waiting",
    ]);
    const history = await engine.history("completed");
    expect(history[0]).toMatchObject({ type: "run_started", formatVersion: 1 });
    expect(history.at(-1)?.type).toBe("run_completed");
  });
});
