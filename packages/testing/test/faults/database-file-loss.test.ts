// The database file deleted or replaced under a running engine: the engine keeps running, reports the
// DatabaseFileLostError through onError (from claims and from step commits), and acknowledges no start() or signal().
import { renameSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { awaitSignal, createEngine, step, workflow, StoreError } from "@reprise/core";
import { DatabaseFileLostError } from "@reprise/store-sqlite";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { temporaryStore } from "../../src/temporary-store.js";
import { VirtualClock } from "../../src/virtual-clock.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function advance(clock: VirtualClock, ms: number, stepMs = 50): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) await clock.advance(stepMs);
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "acknowledged",
    (error: unknown) => error,
  );
}

async function runningEngine() {
  // The default settings: the database file is checked after every commit.
  const tmp = await temporaryStore();
  cleanups.push(() => tmp.cleanup());
  const clock = new VirtualClock();
  let openGate: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (openGate = resolve));
  const approval = workflow("approval", function* (id: string) {
    yield* awaitSignal("approve");
    return id;
  });
  const slow = workflow("slow", function* () {
    return yield* step("wait-for-gate", () => gate);
  });
  const errors: unknown[] = [];
  const engine = createEngine({
    store: tmp.store,
    workflows: [approval, slow],
    clock,
    leaseMs: 300,
    pollIntervalMs: 100,
    onError: (error) => errors.push(error),
  });
  cleanups.push(() => engine.close());
  cleanups.push(() => openGate()); // runs before engine.close(), which waits for the running step
  for (const id of ["a-1", "a-2", "a-3"]) await engine.start(approval, id, { id });
  await engine.start(slow, undefined, { id: "slow-1" });
  await advance(clock, 200);
  expect((await engine.listRuns()).map((run) => [run.id, run.status]).sort()).toEqual([
    ["a-1", "waiting"],
    ["a-2", "waiting"],
    ["a-3", "waiting"],
    ["slow-1", "running"],
  ]);
  return { tmp, clock, engine, errors, approval, openGate };
}

describe("the database file lost under a running engine", () => {
  for (const how of ["deleted", "replaced"] as const) {
    it(`${how}: start() and signal() are refused with the typed error, onError hears it, the engine goes on`, async () => {
      const { tmp, clock, engine, errors, approval, openGate } = await runningEngine();
      if (how === "deleted") rmSync(tmp.filename);
      else {
        const other = join(dirname(tmp.filename), "other.db");
        const foreign = new Database(other);
        foreign.exec("create table notes (text text)");
        foreign.close();
        renameSync(other, tmp.filename);
      }

      const refused = await rejectionOf(engine.start(approval, "b-1", { id: "b-1" }));
      expect(refused).toBeInstanceOf(StoreError);
      expect(refused).toBeInstanceOf(DatabaseFileLostError);
      expect((refused as DatabaseFileLostError).problem).toBe(how);
      expect((refused as Error).message).toContain(
        `The database file ${tmp.filename} was ${how === "deleted" ? "deleted" : "replaced by another file"} ` +
          `while this store had it open`,
      );

      // The step that was running finishes: its commit is refused, and the engine reports it instead of crashing.
      openGate();
      await advance(clock, 1_000);
      const lost = errors.filter((error) => error instanceof DatabaseFileLostError);
      expect(lost.length).toBeGreaterThan(0);
      expect(errors.every((error) => error === refused)).toBe(true);

      // Nothing is acknowledged any more, however often it is asked.
      const later = await Promise.all([
        rejectionOf(engine.start(approval, "b-2", { id: "b-2" })),
        rejectionOf(engine.start(approval, "a-1", { id: "a-1" })),
        rejectionOf(engine.signal("a-1", "approve", null)),
      ]);
      expect(later).toEqual([refused, refused, refused]);
      await expect(engine.getRun("a-1")).rejects.toBe(refused);
      await engine.close();
    });
  }

  it("claims that fail this way reach onError too, pass after pass", async () => {
    const { tmp, clock, errors } = await runningEngine();
    rmSync(tmp.filename);
    // No start() or signal() here: only the engine's own work (claims, lease renewals, commits) meets the loss.
    await advance(clock, 1_000);
    expect(errors.length).toBeGreaterThan(1);
    expect(errors.every((error) => error instanceof DatabaseFileLostError)).toBe(true);
  });
});
