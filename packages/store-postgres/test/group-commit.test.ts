// Group commit on PostgreSQL: writes requested together share one transaction, each still atomic and failing
// alone; checked by outcomes and by the store's counters (transactions, statements), never by timing.
import {
  encodeValue,
  EVENT_LOG_FORMAT_VERSION,
  LeaseLostError,
  StoreError,
  type EventRecord,
  type NewRun,
  type RunCommit,
} from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_WRITES_PER_BATCH } from "../src/group-commit.js";
import { PostgresStore } from "../src/index.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
} from "./postgres-server.js";

const WORKFLOW = "pg-group-commit";
const T0 = Date.UTC(2030, 0, 1);
const OWNER = "engine-a";

function event(fields: Record<string, unknown>): EventRecord {
  return encodeEvent(fields as never, "event", 1 << 20);
}

/** A run created already claimed by OWNER, as start() on an engine with a free slot does. */
function newRun(id: string): NewRun {
  return {
    id,
    workflow: WORKFLOW,
    input: encodeValue(id, "input", 1 << 20),
    startedEvent: event({
      type: "run_started",
      seq: 1,
      atMs: T0,
      workflow: WORKFLOW,
      input: id,
      formatVersion: EVENT_LOG_FORMAT_VERSION,
    }),
    nowMs: T0,
    lease: { owner: OWNER, leaseMs: 60_000 },
  };
}

/** A plain step commit (the bulk-mergeable kind): the run records step `seq` and keeps running. */
function stepCommit(runId: string, seq: number, owner = OWNER): RunCommit {
  return {
    runId,
    owner,
    expectedLastSeq: seq - 1,
    events: [event({ type: "step_completed", seq, atMs: T0, name: `s${seq}`, attempt: 1, result: seq })],
    consumedSignals: [],
    update: { status: "running", release: false },
    nowMs: T0 + seq,
  };
}

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "PostgresStore group commit", () => {
  const schemas: string[] = [];
  const stores: PostgresStore[] = [];

  async function open(groupCommit = true): Promise<PostgresStore> {
    requirePostgres();
    const schema = freshSchemaName();
    schemas.push(schema);
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema, groupCommit });
    stores.push(store);
    return store;
  }

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  it("commits requested together share one transaction and a few multi-row statements", async () => {
    const store = await open();
    const ids = Array.from({ length: 20 }, (_, i) => `run-${i}`);
    const created = await Promise.all(ids.map((id) => store.createRun(newRun(id))));
    expect(created.every((answer) => answer.created && answer.run.status === "running")).toBe(true);
    const before = store.stats();
    await Promise.all(ids.map((id) => store.commit(stepCommit(id, 2))));
    const after = store.stats();
    expect(after.transactions - before.transactions).toBe(1);
    expect(after.writes - before.writes).toBe(20);
    // One guarded UPDATE for all twenty, one INSERT for their events; plus BEGIN and COMMIT.
    expect(after.statements - before.statements).toBe(2);
    expect(after.roundTrips - before.roundTrips).toBe(4);
    for (const id of ids) {
      expect((await store.readEvents(id)).map((e) => e.seq)).toEqual([1, 2]);
      expect((await store.getRun(id))?.lastSeq).toBe(2);
    }
  });

  it("a commit whose lease is lost fails alone; the others of its batch land", async () => {
    const store = await open();
    await Promise.all(["a", "b", "c"].map((id) => store.createRun(newRun(id))));
    const before = store.stats();
    const outcomes = await Promise.allSettled([
      store.commit(stepCommit("a", 2)),
      store.commit(stepCommit("b", 2, "engine-b")), // not the lease holder
      store.commit(stepCommit("c", 2)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(LeaseLostError);
    const after = store.stats();
    expect(after.transactions - before.transactions).toBe(1);
    expect(after.writes - before.writes).toBe(2);
    expect(after.failedWrites - before.failedWrites).toBe(1);
    expect((await store.readEvents("a")).map((e) => e.seq)).toEqual([1, 2]);
    expect((await store.readEvents("b")).map((e) => e.seq)).toEqual([1]);
    expect((await store.getRun("b"))?.lastSeq).toBe(1);
    expect((await store.readEvents("c")).map((e) => e.seq)).toEqual([1, 2]);
  });

  it("a commit whose statement fails (a duplicate seq) fails alone, with a StoreError", async () => {
    const store = await open();
    await Promise.all(["a", "b"].map((id) => store.createRun(newRun(id))));
    // Holds the lease and expects seq 1, but appends seq 1 again: the events' primary key refuses it.
    const clash: RunCommit = { ...stepCommit("b", 2), events: [{ ...stepCommit("b", 2).events[0]!, seq: 1 }] };
    const outcomes = await Promise.allSettled([store.commit(stepCommit("a", 2)), store.commit(clash)]);
    expect(outcomes[0].status).toBe("fulfilled");
    expect(outcomes[1].status).toBe("rejected");
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
    expect((await store.readEvents("a")).map((e) => e.seq)).toEqual([1, 2]);
    expect((await store.getRun("b"))?.lastSeq).toBe(1);
  });

  it("writes of one batch run in request order, each seeing the ones before it", async () => {
    const store = await open();
    const before = store.stats();
    const [first, second, signal, step] = await Promise.all([
      store.createRun(newRun("x")),
      store.createRun(newRun("x")), // the same id again: finds the run the write before created
      store.sendSignal({ runId: "x", signalId: "sig-1", name: "go", payload: "1", nowMs: T0 }),
      store.commit(stepCommit("x", 2)),
    ]);
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(signal.duplicate).toBe(false);
    expect(step).toBeUndefined();
    expect(store.stats().transactions - before.transactions).toBe(1);
    expect((await store.readEvents("x")).map((e) => e.seq)).toEqual([1, 2]);
  });

  it("a batch carries at most MAX_WRITES_PER_BATCH writes; the rest follow in the next", async () => {
    const store = await open();
    const count = MAX_WRITES_PER_BATCH + 10;
    const before = store.stats();
    await Promise.all(Array.from({ length: count }, (_, i) => store.releaseLeases(OWNER, [`none-${i}`], T0)));
    const after = store.stats();
    expect(after.writes - before.writes).toBe(count);
    expect(after.transactions - before.transactions).toBe(2);
  });

  it("with groupCommit: false every write has a transaction of its own", async () => {
    const store = await open(false);
    await Promise.all(["a", "b", "c"].map((id) => store.createRun(newRun(id))));
    const before = store.stats();
    const outcomes = await Promise.allSettled([
      store.commit(stepCommit("a", 2)),
      store.commit(stepCommit("b", 2, "engine-b")),
      store.commit(stepCommit("c", 2)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const after = store.stats();
    expect(after.transactions - before.transactions).toBe(2);
    expect(after.failedWrites - before.failedWrites).toBe(1);
  });

  it("close() lets queued writes commit before the pool ends", async () => {
    const store = await open();
    const pending = ["p", "q"].map((id) => store.createRun(newRun(id)));
    await store.close();
    expect((await Promise.all(pending)).map((answer) => answer.created)).toEqual([true, true]);
    const reopened = await PostgresStore.open({ connectionString: POSTGRES_URL, schema: store.schema });
    stores.push(reopened);
    expect((await reopened.getRun("q"))?.status).toBe("running");
  });
});
