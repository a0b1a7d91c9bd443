// Runs the provision-fleet example on a real SQLite file: a fleet that comes up, a fleet rolled back because one
// machine failed (every machine allocated is released), and a rollback that an engine restart interrupts.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createEngine, RunFailedError, type Engine, type HistoryEvent, type WorkflowDefinition } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterEach, expect, it } from "vitest";
import {
  createProvisionFleetWorkflow,
  FakeCloud,
  FleetRolledBackError,
  type FleetInput,
  type FleetResult,
} from "../src/provision-fleet.js";

const FLEET: FleetInput = {
  fleetId: "eu-1",
  machines: [
    { name: "web-1", role: "web", image: "nginx:1.27" },
    { name: "web-2", role: "web", image: "nginx:1.27" },
    { name: "worker-1", role: "worker", image: "acme/worker:broken" },
    { name: "db-1", role: "db", image: "postgres:17" },
  ],
};

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A new database file in a temporary directory, and a way to open (another connection to) it. */
async function databaseFile(): Promise<{ open(): Promise<SqliteStore> }> {
  const dir = await mkdtemp(path.join(tmpdir(), "reprise-fleet-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return {
    async open() {
      const store = await SqliteStore.open({ filename: path.join(dir, "fleet.db") });
      cleanups.push(() => store.close());
      return store;
    },
  };
}

/** An engine serving the fleet workflow on `store`, closed after the test. */
function engineOn(
  store: SqliteStore,
  cloud: FakeCloud,
  options: { concurrency?: number; shutdownGraceMs?: number } = {},
): { engine: Engine; fleet: WorkflowDefinition<FleetInput, FleetResult> } {
  const fleet = createProvisionFleetWorkflow({ cloud, concurrency: options.concurrency ?? 3 });
  const engine = createEngine({ store, workflows: [fleet], shutdownGraceMs: options.shutdownGraceMs ?? 10_000 });
  cleanups.push(() => engine.close());
  return { engine, fleet };
}

/** The run's error cause, which must be the example's FleetRolledBackError. */
async function rolledBack(result: Promise<unknown>): Promise<FleetRolledBackError> {
  const error = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RunFailedError);
  const cause = (error as RunFailedError).cause;
  expect(cause).toBeInstanceOf(FleetRolledBackError);
  return cause as FleetRolledBackError;
}

const completedSteps = (history: readonly HistoryEvent[]): string[] =>
  history.flatMap((event) => (event.type === "step_completed" ? [event.name] : []));

async function until(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it("brings a whole fleet up in parallel, at most `concurrency` machines at a time, and releases nothing", async () => {
  const cloud = new FakeCloud();
  const { engine, fleet } = engineOn(await (await databaseFile()).open(), cloud, { concurrency: 2 });

  const run = await engine.start(fleet, FLEET, { id: "fleet-up" });
  const result = await run.result();

  expect(result.machines.map((m) => m.name)).toEqual(["web-1", "web-2", "worker-1", "db-1"]);
  expect(cloud.machines().map((m) => m.state)).toEqual(["configured", "configured", "configured", "configured"]);
  expect(cloud.calls().filter((call) => call.op === "release")).toEqual([]);
  // Two machines were in the cloud's hands at once: in parallel, and never more than the option allows.
  expect(cloud.maxInFlight).toBe(2);
});

it("releases every machine it allocated when one machine fails, and fails the run saying so", async () => {
  const cloud = new FakeCloud({ failConfigure: ["worker-1"] });
  const { engine, fleet } = engineOn(await (await databaseFile()).open(), cloud);

  const run = await engine.start(fleet, FLEET, { id: "fleet-rollback" });
  const error = await rolledBack(run.result());

  expect(error.failed).toEqual([{ name: "worker-1", reason: "image acme/worker:broken does not boot" }]);
  expect(error.released).toEqual(["web-1", "web-2", "db-1"]);
  // The compensation reached the cloud: all four machines were allocated, and all four are released.
  expect(cloud.calls().filter((call) => call.op === "allocate")).toHaveLength(4);
  expect(cloud.machines().map((m) => [m.name, m.state])).toEqual([
    ["web-1", "released"],
    ["web-2", "released"],
    ["worker-1", "released"],
    ["db-1", "released"],
  ]);
  const history = await engine.history(run.id);
  expect(
    completedSteps(history)
      .filter((name) => name.startsWith("release-"))
      .sort(),
  ).toEqual(["release-db-1", "release-web-1", "release-web-2", "release-worker-1"]);
  expect(history.at(-1)?.type).toBe("run_failed");
});

/** A cloud whose releases of the named machines wait until `letThrough` is called. */
class HeldReleasesCloud extends FakeCloud {
  /** Machines whose release is waiting at the gate right now. */
  readonly waiting = new Set<string>();
  readonly #held = new Map<string, () => void>();
  readonly #gates = new Map<string, Promise<void>>();
  constructor(
    readonly hold: ReadonlySet<string>,
    options: ConstructorParameters<typeof FakeCloud>[0],
  ) {
    super(options);
    for (const name of hold) this.#gates.set(name, new Promise((resolve) => this.#held.set(name, resolve)));
  }

  override async release(machineId: string, idempotencyKey: string): Promise<{ released: string }> {
    const name = this.machines().find((m) => m.machineId === machineId)?.name ?? "";
    this.waiting.add(name);
    await this.#gates.get(name);
    this.waiting.delete(name);
    return super.release(machineId, idempotencyKey);
  }

  letThrough(name: string): void {
    this.#held.get(name)?.();
  }
}

it("after a restart in the middle of the rollback, re-runs only the releases that were not recorded", async () => {
  const file = await databaseFile();
  const cloud = new HeldReleasesCloud(new Set(["web-1", "web-2", "db-1"]), { failConfigure: ["worker-1"] });
  // No grace period: closing abandons the steps still running at once, as a crash would.
  const { engine: first, fleet } = engineOn(await file.open(), cloud, { shutdownGraceMs: 0 });
  const run = await first.start(fleet, FLEET, { id: "fleet-restart" });

  // The three releases of the rollback run at once; one of them finishes and is recorded.
  await until("the three releases to be in flight", () => cloud.waiting.size === 3);
  cloud.letThrough("web-1");
  await until("release-web-1 to be recorded", async () =>
    completedSteps(await first.history(run.id)).includes("release-web-1"),
  );
  // The engine stops while the other two are still running: their outcomes are never recorded.
  await first.close();

  const { engine: second } = engineOn(await file.open(), cloud);
  cloud.letThrough("web-2");
  cloud.letThrough("db-1");
  const error = await rolledBack((await second.start(fleet, FLEET, { id: run.id })).result());
  expect(error.released).toEqual(["web-1", "web-2", "db-1"]);

  const releases = (name: string) => cloud.calls().filter((call) => call.op === "release" && call.name === name);
  // Recorded before the restart: not run again.
  expect(releases("web-1")).toHaveLength(1);
  // Not recorded: run again after the restart, with the same idempotency key (the cloud sees a repeat).
  for (const name of ["web-2", "db-1"]) {
    const calls = releases(name);
    expect(calls).toHaveLength(2);
    expect(new Set(calls.map((call) => call.idempotencyKey)).size).toBe(1);
    expect(calls.map((call) => call.outcome).sort()).toEqual(["already released", "ok"]);
  }
  expect(cloud.machines().every((m) => m.state === "released")).toBe(true);
  // Each release is recorded exactly once in the log, whatever ran twice.
  const released = completedSteps(await second.history(run.id)).filter((name) => name.startsWith("release-"));
  expect(released.sort()).toEqual(["release-db-1", "release-web-1", "release-web-2", "release-worker-1"]);
});
