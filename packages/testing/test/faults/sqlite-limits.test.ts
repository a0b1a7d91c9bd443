// SQLITE_FULL (the database may not grow) and SQLITE_BUSY (another connection holds the write lock):
// the engine reports the error, nothing half-written survives, and the run resumes once the condition clears.
import { awaitSignal, createEngine, sleep, step, workflow, StoreError } from "@reprise/core";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { temporaryStore } from "../../src/temporary-store.js";
import { VirtualClock } from "../../src/virtual-clock.js";
import { openWithConnection } from "./store-connection.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function advance(clock: VirtualClock, ms: number, stepMs = 50): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) await clock.advance(stepMs);
}

const isSqliteError = (code: string) => (error: unknown) =>
  error instanceof StoreError && error.message.includes(`[${code}]`);

describe("SQLite resource limits", () => {
  it("SQLITE_FULL: a step result that does not fit is reported, never half-recorded, and recorded once space is back", async () => {
    const tmp = await temporaryStore();
    cleanups.push(() => tmp.cleanup());
    const { store, db } = await openWithConnection(tmp.filename);
    cleanups.push(() => store.close());
    const clock = new VirtualClock();
    const keys: string[] = [];
    const archive = workflow("archive", function* () {
      yield* awaitSignal("go");
      const blob = yield* step("render", (ctx) => {
        keys.push(ctx.idempotencyKey);
        return "x".repeat(64 * 1024); // needs new pages: the file must grow
      });
      return blob.length;
    });
    const errors: unknown[] = [];
    const engine = createEngine({
      store,
      workflows: [archive],
      clock,
      leaseMs: 300,
      pollIntervalMs: 100,
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => engine.close());
    const run = await engine.start(archive, undefined, { id: "a-1" });
    await advance(clock, 100);
    expect((await engine.getRun("a-1"))?.status).toBe("waiting");

    const pages = db.pragma("page_count", { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    await engine.signal("a-1", "go", null);
    await advance(clock, 1_000);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every(isSqliteError("SQLITE_FULL"))).toBe(true);
    expect((await engine.getRun("a-1"))?.status).toBe("running");
    // The signal's consumption (small) was committed before the step ran; the step's result never was.
    expect((await engine.history("a-1")).map((event) => event.type)).toEqual([
      "run_started",
      "signal_wait_started",
      "signal_received",
    ]);
    expect(keys.length).toBeGreaterThan(1); // retried after each lease expiry, with one key
    expect(new Set(keys)).toEqual(new Set(["a-1:4"]));

    db.pragma("max_page_count = 1073741823");
    await advance(clock, 1_000);
    expect(await run.result()).toBe(64 * 1024);
    const history = await engine.history("a-1");
    expect(history.filter((event) => event.type === "step_completed")).toHaveLength(1);
    expect(history.filter((event) => event.type === "signal_received")).toHaveLength(1);
    expect(new Set(keys)).toEqual(new Set(["a-1:4"]));
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
  });

  it("SQLITE_BUSY: another connection holding the write lock fails writes after busyTimeoutMs; the run resumes after", async () => {
    const tmp = await temporaryStore({ busyTimeoutMs: 20 });
    cleanups.push(() => tmp.cleanup());
    const clock = new VirtualClock();
    const calls: string[] = [];
    const remind = workflow("remind", function* () {
      yield* step("a", (ctx) => calls.push(`a ${ctx.idempotencyKey}`));
      yield* sleep({ seconds: 1 });
      const answer = yield* awaitSignal<string>("answer");
      yield* step("b", (ctx) => calls.push(`b ${ctx.idempotencyKey}`));
      return answer;
    });
    const errors: unknown[] = [];
    const engine = createEngine({
      store: tmp.store,
      workflows: [remind],
      clock,
      leaseMs: 600,
      pollIntervalMs: 250,
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => engine.close());
    const run = await engine.start(remind, undefined, { id: "r-1" });
    await advance(clock, 100);
    expect((await engine.getRun("r-1"))?.status).toBe("sleeping");

    const locker = new Database(tmp.filename);
    cleanups.push(() => {
      if (locker.inTransaction) locker.exec("ROLLBACK");
      locker.close();
    });
    locker.exec("BEGIN IMMEDIATE");
    await advance(clock, 1_000, 250); // the timer falls due; claiming it needs the write lock
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every(isSqliteError("SQLITE_BUSY"))).toBe(true);
    const refused = await engine.signal("r-1", "answer", "yes", { id: "answer-1" }).catch((e: unknown) => e);
    expect(isSqliteError("SQLITE_BUSY")(refused)).toBe(true);
    expect((await engine.getRun("r-1"))?.status).toBe("sleeping"); // reads still work

    locker.exec("COMMIT");
    await advance(clock, 500);
    expect((await engine.getRun("r-1"))?.status).toBe("waiting");
    await engine.signal("r-1", "answer", "yes", { id: "answer-1" });
    await advance(clock, 100);
    expect(await run.result()).toBe("yes");
    expect(calls).toEqual(["a r-1:2", "b r-1:7"]);
  });
});
