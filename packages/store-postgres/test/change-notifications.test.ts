// Change notifications across PostgresStore instances (separate pools) and OS processes: engines that poll once
// every ten minutes still start, signal, cancel, wake parents, fire timers and resolve result() within the test.
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { createEngine, RunCancelledError, StoreError, type Engine, type StoreChange } from "@reprise/core";
import { waitFor } from "@reprise/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { changeChannel, decodeChanges, encodeChanges } from "../src/change-notifications.js";
import { PostgresStore } from "../src/index.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
  withClient,
} from "./postgres-server.js";
import { approval, doubler, greet, longStep, napper, parent } from "./processes/notify-workflows.js";

/** Far beyond every test's timeout: an engine that acts in time can only have been told by a notification. */
const NEVER_POLL_MS = 600_000;
/** Each test must finish well within one poll interval. */
const TEST_TIMEOUT_MS = 15_000;

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "../../..");

describe("change notification payloads", () => {
  it("round-trip, split long run id lists, and refuse what they do not know", () => {
    const runIds = Array.from({ length: 400 }, (_, i) => `run-${"x".repeat(40)}-${i}`);
    const changes: StoreChange[] = [
      { kind: "runsDue", atMs: 1_000, workflows: ["a", "b"] },
      { kind: "runsEnded" },
      { kind: "cancelRequested", runIds },
    ];
    const payloads = encodeChanges(changes);
    expect(payloads.length).toBeGreaterThan(1);
    for (const payload of payloads) expect(Buffer.byteLength(payload)).toBeLessThan(8_000);
    const decoded = payloads.flatMap((payload) => decodeChanges(payload) ?? []);
    expect(decoded.slice(0, 2)).toEqual(changes.slice(0, 2));
    expect(decoded.slice(2).flatMap((change) => (change.kind === "cancelRequested" ? change.runIds : []))).toEqual(
      runIds,
    );
    expect(decodeChanges("not json")).toBeUndefined();
    expect(decodeChanges('{"v":2,"changes":[]}')).toBeUndefined();
    expect(decodeChanges('{"v":1,"changes":[{"kind":"runsWoken","runIds":[1]}]}')).toBeUndefined();
  });

  it("use a channel per schema that PostgreSQL accepts, however long the schema's name", () => {
    expect(changeChannel("reprise")).toBe("reprise_reprise");
    const long = "s".repeat(63);
    expect(Buffer.byteLength(changeChannel(long))).toBeLessThanOrEqual(63);
    expect(changeChannel(long)).not.toBe(changeChannel(`${"s".repeat(62)}t`));
  });
});

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "change notifications between PostgresStores", () => {
  let schema: string;
  const stores: PostgresStore[] = [];
  const engines: Engine[] = [];
  const processes: ChildProcess[] = [];
  let errors: unknown[] = [];

  /** A store with a pool of its own, as another host would have. */
  async function openStore(): Promise<PostgresStore> {
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    stores.push(store);
    return store;
  }

  /** An engine on a store of its own that never polls within a test. */
  async function engineOf(workflows: Parameters<typeof createEngine>[0]["workflows"], options = {}): Promise<Engine> {
    const engine = createEngine({
      store: await openStore(),
      workflows,
      pollIntervalMs: NEVER_POLL_MS,
      onError: (error) => errors.push(error),
      ...options,
    });
    engines.push(engine);
    return engine;
  }

  /** The server pids of this schema's listening connections. */
  async function listenerPids(): Promise<number[]> {
    return withClient(async (client) => {
      const { rows } = await client.query<{ pid: number }>(
        "select pid from pg_stat_activity where application_name = $1",
        [`reprise changes ${schema}`],
      );
      return rows.map((row) => row.pid);
    });
  }

  beforeEach(async () => {
    requirePostgres();
    schema = freshSchemaName();
    errors = [];
    // The schema exists before any engine starts, so that concurrent opens do not race to create it.
    await openStore();
  });

  afterEach(async () => {
    for (const child of processes.splice(0)) {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    }
    for (const engine of engines.splice(0)) await engine.close();
    for (const store of stores.splice(0)) await store.close();
    await dropSchema(schema);
  });

  it(
    "a run started through another store is claimed and its result() resolves there at once",
    async () => {
      const worker = await engineOf([greet]);
      const client = await engineOf([]);
      const run = await client.start(greet, "Ada");
      await expect(run.result()).resolves.toBe("hello Ada");
      await worker.whenIdle();
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a signal sent through another store wakes the parked run",
    async () => {
      await engineOf([approval]);
      const client = await engineOf([]);
      const run = await client.start(approval, undefined, { id: "approval-1" });
      await waitFor(async () => (await client.getRun("approval-1"))?.status === "waiting");
      await client.signal("approval-1", "approve", "yes");
      await expect(run.result()).resolves.toBe("yes");
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a cancellation through another store reaches a parked run and a running step (leases renewed only each 20 s)",
    async () => {
      await engineOf([approval, longStep], { leaseMs: 60_000 });
      const client = await engineOf([]);
      const parked = await client.start(approval, undefined, { id: "parked-1" });
      const running = await client.start(longStep, undefined, { id: "running-1" });
      await waitFor(async () => (await client.getRun("parked-1"))?.status === "waiting");
      await waitFor(async () => (await client.getRun("running-1"))?.status === "running");
      await client.cancel("parked-1", { reason: "not needed" });
      await client.cancel("running-1", { reason: "not needed either" });
      await expect(parked.result()).rejects.toBeInstanceOf(RunCancelledError);
      await expect(running.result()).rejects.toBeInstanceOf(RunCancelledError);
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a child's end on one engine wakes its parent on another",
    async () => {
      const parents = await engineOf([parent]);
      await engineOf([doubler]);
      const run = await parents.start(parent, 21);
      await expect(run.result()).resolves.toBe(42);
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a timer set by an engine that has closed fires on another engine on time",
    async () => {
      const first = await engineOf([napper]);
      const second = await engineOf([napper]);
      const client = await engineOf([]);
      // Long enough that, even on a loaded machine, the executor has closed before the timer is due (else it would
      // fire the timer itself while its close waits for its work).
      const run = await client.start(napper, 3_000, { id: "nap-1" });
      await waitFor(async () => (await client.getRun("nap-1"))?.status === "sleeping");
      // The engine that executed the run (and armed the timer itself) goes away; the other must fire it.
      const [executor, other] = first.stats().commits > 0 ? [first, second] : [second, first];
      await executor.close();
      await expect(run.result()).resolves.toBe("rested");
      expect(other.stats().commits).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "an engine in another OS process starts runs and takes signals at once, and result() here resolves",
    async () => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--conditions=@reprise/source",
          join(here, "processes/notify-worker.ts"),
          POSTGRES_URL,
          schema,
        ],
        { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] },
      );
      processes.push(child);
      const lines = createInterface({ input: child.stdout });
      await new Promise<void>((resolve, reject) => {
        lines.once("line", () => resolve());
        child.once("exit", (code) => reject(new Error(`the worker exited with code ${String(code)}`)));
      });
      const client = await engineOf([]);
      const greeting = await client.start(greet, "Grace");
      await expect(greeting.result()).resolves.toBe("hello Grace");
      const waiting = await client.start(approval, undefined, { id: "remote-approval" });
      await waitFor(async () => (await client.getRun("remote-approval"))?.status === "waiting");
      await client.signal("remote-approval", "approve", "from the test process");
      await expect(waiting.result()).resolves.toBe("from the test process");
      expect(errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "a listening connection terminated by the server is reported, reopened, and notifications flow again",
    async () => {
      await engineOf([greet]);
      const client = await engineOf([]);
      await waitFor(async () => (await listenerPids()).length === 2);
      const before = await listenerPids();
      await withClient((admin) => admin.query("select pg_terminate_backend(pid) from unnest($1::int[]) pid", [before]));
      // Meanwhile a run starts: its notification may reach nobody; the catch-up on reconnecting covers it.
      const run = await client.start(greet, "Edsger");
      await waitFor(async () => {
        const after = await listenerPids();
        return after.length === 2 && after.every((pid) => !before.includes(pid));
      });
      await expect(run.result()).resolves.toBe("hello Edsger");
      const later = await client.start(greet, "Barbara");
      await expect(later.result()).resolves.toBe("hello Barbara");
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect(error).toBeInstanceOf(StoreError);
        expect((error as Error).message).toMatch(/change notifications .* stopped/);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "while every listening connection keeps being terminated, engines still work by polling",
    async () => {
      await engineOf([greet], { pollIntervalMs: 200 });
      const client = await engineOf([], { pollIntervalMs: 200 });
      let killing = true;
      const killer = (async () => {
        while (killing) {
          const pids = await listenerPids();
          if (pids.length > 0) {
            await withClient((admin) =>
              admin.query("select pg_terminate_backend(pid) from unnest($1::int[]) pid", [pids]),
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      try {
        await waitFor(() => errors.length > 0);
        const runs = await Promise.all(["a", "b", "c"].map((name) => client.start(greet, name)));
        await expect(Promise.all(runs.map((run) => run.result()))).resolves.toEqual(["hello a", "hello b", "hello c"]);
      } finally {
        killing = false;
        await killer;
      }
      for (const error of errors) expect(error).toBeInstanceOf(StoreError);
    },
    TEST_TIMEOUT_MS,
  );
});
