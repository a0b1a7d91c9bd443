// Several processes on one schema, simulated by stores with pools of their own: they migrate a fresh schema at
// once, claim from one queue, end runs and race signals against parking commits without losing or doubling work.
import { encodeValue, EVENT_LOG_FORMAT_VERSION, type EventRecord, type RunCommit } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import { afterEach, describe, expect, it } from "vitest";
import { LATEST_SCHEMA_VERSION, PostgresStore } from "../src/index.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
  withClient,
} from "./postgres-server.js";

const WORKFLOW = "pg-concurrency";
const SERVED = [{ name: WORKFLOW, version: 1 }];
const T0 = Date.UTC(2030, 0, 1);

/** A `run_started` event and input, as an engine writes them. */
function started(id: string): { input: string; startedEvent: EventRecord } {
  const event = {
    type: "run_started",
    seq: 1,
    atMs: T0,
    workflow: WORKFLOW,
    input: id,
    formatVersion: EVENT_LOG_FORMAT_VERSION,
  };
  return { input: encodeValue(id, "input", 1 << 20), startedEvent: encodeEvent(event as never, "input", 1 << 20) };
}

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "PostgresStore under concurrency", () => {
  const schemas: string[] = [];
  const stores: PostgresStore[] = [];

  /** Opens `count` stores (each with its own pool) on one fresh schema, all at once. */
  async function openMany(count: number, schema = freshSchemaName()): Promise<PostgresStore[]> {
    requirePostgres();
    if (!schemas.includes(schema)) schemas.push(schema);
    const opened = await Promise.all(
      Array.from({ length: count }, () => PostgresStore.open({ connectionString: POSTGRES_URL, schema, max: 3 })),
    );
    stores.push(...opened);
    return opened;
  }

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  it("stores opened at once on a fresh schema create it once, at the latest version", async () => {
    const schema = freshSchemaName();
    const opened = await openMany(8, schema);
    expect(opened).toHaveLength(8);
    const { rows } = await withClient((client) =>
      client.query<{ value: string }>(`select value from "${schema}".meta where key = 'schema_version'`),
    );
    expect(rows.map((row) => Number(row.value))).toEqual([LATEST_SCHEMA_VERSION]);
    // Every handle works on the one schema: a run created through one is seen by all.
    await opened[0]?.createRun({ id: "seen", workflow: WORKFLOW, ...started("seen"), nowMs: T0 });
    for (const store of opened) expect((await store.getRun("seen"))?.id).toBe("seen");
    // Opening again later is a no-op that still answers.
    await openMany(3, schema);
  });

  it("stores claiming from one schema at once never get the same run twice, and get every run", async () => {
    const claimers = await openMany(5);
    const ids = Array.from({ length: 200 }, (_, i) => `run-${String(i).padStart(3, "0")}`);
    await claimers[0]?.createRuns(ids.map((id) => ({ id, workflow: WORKFLOW, ...started(id), nowMs: T0 })));
    const claimedBy = new Map<string, string[]>();
    await Promise.all(
      claimers.map(async (store, index) => {
        const owner = `engine-${index}`;
        for (;;) {
          const batch = await store.claimDueRuns({
            owner,
            nowMs: T0 + 1,
            leaseMs: 60_000,
            limit: 7,
            workflows: SERVED,
          });
          if (batch.length === 0) return;
          for (const run of batch) claimedBy.set(run.id, [...(claimedBy.get(run.id) ?? []), owner]);
        }
      }),
    );
    expect([...claimedBy.keys()].sort()).toEqual(ids);
    for (const [id, owners] of claimedBy) expect(owners, id).toHaveLength(1);
    // More than one claimer got work: the claims really ran side by side.
    expect(new Set([...claimedBy.values()].flat()).size).toBeGreaterThan(1);
  });

  it("runs ended at once through several stores get distinct positions without gaps, 1 to n", async () => {
    const writers = await openMany(4);
    const ids = Array.from({ length: 40 }, (_, i) => `end-${i}`);
    await writers[0]?.createRuns(
      ids.map((id) => ({ id, workflow: WORKFLOW, ...started(id), nowMs: T0, lease: { owner: "o", leaseMs: 60_000 } })),
    );
    await Promise.all(
      ids.map((id, i) =>
        (writers[i % writers.length] as PostgresStore).commit({
          runId: id,
          owner: "o",
          expectedLastSeq: 1,
          events: [],
          consumedSignals: [],
          update: { status: "completed", result: encodeValue(i, "result", 1 << 20), release: true },
          nowMs: T0 + 1,
        }),
      ),
    );
    const page = await writers[1]?.finishedRunsSince(0, 100);
    expect(page?.runs.map((run) => run.position)).toEqual(ids.map((_, i) => i + 1));
    expect(page?.runs.map((run) => run.runId).sort()).toEqual([...ids].sort());
  });

  it("a signal sent while the run parks to wait for it always leaves the run due", async () => {
    const [parker, sender] = await openMany(2);
    for (let i = 0; i < 25; i++) {
      const id = `race-${i}`;
      await parker?.createRun({
        id,
        workflow: WORKFLOW,
        ...started(id),
        nowMs: T0,
        lease: { owner: "o", leaseMs: 60_000 },
      });
      const park: RunCommit = {
        runId: id,
        owner: "o",
        expectedLastSeq: 1,
        events: [],
        consumedSignals: [],
        update: {
          status: "waiting",
          waitingFor: { kind: "signal", name: "go" },
          release: true,
          wake: { signals: ["go"] },
        },
        nowMs: T0 + 1,
      };
      const signal = {
        runId: id,
        signalId: `s-${i}`,
        name: "go",
        payload: encodeValue(i, "p", 1 << 20),
        nowMs: T0 + 1,
      };
      await Promise.all([parker?.commit(park), sender?.sendSignal(signal)]);
      expect(await parker?.nextDueAtMs(SERVED), id).toBe(T0 + 1);
      const claimed = await sender?.claimDueRuns({
        owner: "o",
        nowMs: T0 + 1,
        leaseMs: 60_000,
        limit: 10,
        workflows: SERVED,
      });
      expect(claimed?.map((run) => run.id)).toEqual([id]);
    }
  });

  it("a child ending while its parent parks to wait for it always leaves the parent due", async () => {
    const [parentSide, childSide] = await openMany(2);
    for (let i = 0; i < 25; i++) {
      const parent = `parent-${i}`;
      const kid = `kid-${i}`;
      const lease = { owner: "o", leaseMs: 60_000 };
      await parentSide?.createRun({ id: parent, workflow: WORKFLOW, ...started(parent), nowMs: T0, lease });
      await parentSide?.createRun({
        id: kid,
        workflow: WORKFLOW,
        ...started(kid),
        nowMs: T0,
        lease,
        parent: { runId: parent, onParentCancel: "cancel" },
      });
      const base = { owner: "o", expectedLastSeq: 1, events: [], consumedSignals: [], nowMs: T0 + 1 };
      await Promise.all([
        parentSide?.commit({
          ...base,
          runId: parent,
          update: {
            status: "waiting",
            waitingFor: { kind: "child", id: kid },
            release: true,
            wake: { children: [kid] },
          },
        }),
        childSide?.commit({ ...base, runId: kid, update: { status: "completed", result: "1", release: true } }),
      ]);
      const claimed = await childSide?.claimDueRuns({
        owner: "o",
        nowMs: T0 + 1,
        leaseMs: 60_000,
        limit: 10,
        workflows: SERVED,
      });
      expect(
        claimed?.map((run) => run.id),
        parent,
      ).toEqual([parent]);
    }
  });
});
