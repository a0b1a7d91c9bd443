// Leases are judged by the database's clock: engines whose clocks are minutes apart never take a live lease from
// each other, and a holder whose lease did pass to another engine has its commits refused, whatever its clock says.
import {
  createEngine,
  encodeValue,
  LeaseLostError,
  step,
  systemClock,
  workflow,
  type Clock,
  type Engine,
} from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
} from "./postgres-server.js";

const MINUTES = 60_000;
const LIMIT = 1 << 20;

/** The system clock, shifted: a host whose clock is `offsetMs` ahead (or behind, when negative). */
function skewedClock(offsetMs: number): Clock {
  return { nowMs: () => Date.now() + offsetMs, setTimer: (delayMs, fn) => systemClock.setTimer(delayMs, fn) };
}

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "leases on PostgresStore with skewed clocks", () => {
  let schema: string;
  const stores: PostgresStore[] = [];
  const engines: Engine[] = [];
  const errors: unknown[] = [];
  const open = async () => {
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema, max: 4 });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    requirePostgres();
    schema = freshSchemaName();
  });

  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.close();
    for (const store of stores.splice(0)) await store.close();
    await dropSchema(schema);
    expect(errors.splice(0)).toEqual([]);
  });

  it("an engine 5 minutes ahead never takes a run from one 5 minutes behind while its lease is renewed", async () => {
    const calls: string[] = [];
    const slow = workflow("skew-slow", function* () {
      // Longer than the lease: only renewals keep the run with its engine.
      return yield* step("slow", async () => {
        calls.push("slow");
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        return "done";
      });
    });
    const options = { workflows: [slow], leaseMs: 500, pollIntervalMs: 20, onError: (e: unknown) => errors.push(e) };
    const behind = createEngine({ ...options, store: await open(), clock: skewedClock(-5 * MINUTES) });
    engines.push(behind);
    const run = await behind.start(slow, undefined, { id: "skewed" });
    const ahead = createEngine({ ...options, store: await open(), clock: skewedClock(5 * MINUTES) });
    engines.push(ahead);
    expect(await run.result()).toBe("done");
    expect(calls).toEqual(["slow"]);
    expect(behind.stats().stepAttempts).toBe(1);
    expect(ahead.stats().stepAttempts).toBe(0);
  });

  it("refuses the commits of a holder whose lease passed to another, though its clock says the lease is live", async () => {
    const store = await open();
    const other = await open();
    const nowMs = Date.now();
    const started = {
      id: "fenced",
      workflow: "skew-fenced",
      input: encodeValue(null, "input", LIMIT),
      startedEvent: encodeEvent(
        { type: "run_started", seq: 1, atMs: nowMs, workflow: "skew-fenced", input: null, formatVersion: 2 },
        "event",
        LIMIT,
      ),
      nowMs,
    };
    await store.createRun(started);
    const served = [{ name: "skew-fenced", version: 1 }];
    // The holder's clock is an hour behind: by it, its 300 ms lease ends an hour from now.
    const behindMs = nowMs - 60 * MINUTES;
    expect(
      await store.claimDueRuns({
        owner: "behind",
        nowMs: behindMs + 60 * MINUTES,
        leaseMs: 300,
        limit: 1,
        workflows: served,
      }),
    ).toHaveLength(1);
    // An engine whose clock is an hour ahead cannot take it while the lease lives on the database's clock...
    const aheadMs = nowMs + 60 * MINUTES;
    expect(
      await other.claimDueRuns({ owner: "ahead", nowMs: aheadMs, leaseMs: 60_000, limit: 1, workflows: served }),
    ).toEqual([]);
    // ...and takes it once the lease has passed there, whatever the holder's clock says.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(
      await other.claimDueRuns({ owner: "ahead", nowMs: aheadMs, leaseMs: 60_000, limit: 1, workflows: served }),
    ).toHaveLength(1);
    const late = store.commit({
      runId: "fenced",
      owner: "behind",
      expectedLastSeq: 1,
      events: [
        encodeEvent(
          { type: "step_completed", seq: 2, atMs: behindMs, name: "a", attempt: 1, result: 1 },
          "event",
          LIMIT,
        ),
      ],
      consumedSignals: [],
      update: { status: "running", release: false },
      nowMs: behindMs,
    });
    await expect(late).rejects.toBeInstanceOf(LeaseLostError);
    expect((await other.readEvents("fenced")).map((event) => event.seq)).toEqual([1]);
  });
});
