// Queues through the engine on real SQLite files: limits across two engines on one file, per-key fairness,
// priority order and changes, rate limits, sleeping runs and delayed starts in virtual time, and bad options.
import {
  InvalidArgumentError,
  RunFinishedError,
  RunNotFoundError,
  child,
  createEngine,
  sleep,
  step,
  workflow,
} from "@reprise/core";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { createTestEngine, waitFor } from "../../src/index.js";
import { fixture } from "../fixtures.js";
import { QUEUED_LEDGER_QUEUES, queuedLedgerWorkflow } from "../processes/queue-workflows.js";

const workerScript = join(dirname(fileURLToPath(import.meta.url)), "../processes/queue-worker.ts");
const workers: ChildProcess[] = [];
afterEach(() => {
  for (const worker of workers.splice(0)) if (worker.exitCode === null) worker.kill("SIGKILL");
});

/** Starts queue-worker.ts in a process of its own; resolves once its engine is up. */
async function spawnQueueWorker(filename: string, ledger: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=@reprise/source", workerScript, filename], {
    env: { ...process.env, REPRISE_LEDGER: ledger },
    stdio: ["ignore", "pipe", "inherit"],
  });
  workers.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`queue worker exited with ${String(code)}`)));
  });
  return child;
}

/** The most ledger entries open at once (an "enter" without its "exit" yet), in the file's order. */
function mostAtOnce(ledger: string): { most: number; entered: number } {
  let open = 0;
  let most = 0;
  let entered = 0;
  const lines = existsSync(ledger) ? readFileSync(ledger, "utf8").trim().split("\n") : [];
  for (const line of lines.filter((l) => l.length > 0)) {
    const entry = JSON.parse(line) as { enter?: number; exit?: number };
    if (entry.enter !== undefined) {
      open += 1;
      entered += 1;
      most = Math.max(most, open);
    } else open -= 1;
  }
  return { most, entered };
}

/** Counts step bodies executing at once, and the most ever seen. */
function concurrencyProbe() {
  let now = 0;
  const probe = {
    max: 0,
    finished: 0,
    async enter(ms: number): Promise<void> {
      now += 1;
      probe.max = Math.max(probe.max, now);
      try {
        await new Promise((resolve) => setTimeout(resolve, ms));
      } finally {
        now -= 1;
        probe.finished += 1;
      }
    },
  };
  return probe;
}

/** Step bodies that wait until the test opens their gate: which runs are executing is then exact. */
function gates() {
  const open = new Map<string, () => void>();
  const executing = new Set<string>();
  const started: string[] = [];
  return {
    executing,
    started,
    async enter(id: string): Promise<void> {
      executing.add(id);
      started.push(id);
      await new Promise<void>((resolve) => open.set(id, resolve));
      executing.delete(id);
    },
    release(id: string): void {
      open.get(id)?.();
    },
  };
}

describe("queue limits across engines", () => {
  it("two engines on one SQLite file never execute more runs of a queue than its concurrency", async () => {
    const f = await fixture();
    const probe = concurrencyProbe();
    const job = workflow("q-job", function* (n: number) {
      yield* step("work", () => probe.enter(5));
      yield* step("more", () => probe.enter(2));
      return n;
    });
    const queues = { jobs: { concurrency: 3 } };
    const second = await f.tmp.open();
    const a = f.engine({ workflows: [job], queues, pollIntervalMs: 10 });
    f.engine({ store: second, workflows: [job], queues, pollIntervalMs: 10 });
    const runs = await Promise.all(Array.from({ length: 24 }, (_, n) => a.start(job, n, { queue: "jobs" })));
    expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array.from({ length: 24 }, (_, n) => n));
    expect(probe.finished).toBe(48);
    expect(probe.max).toBeLessThanOrEqual(3);
    expect(probe.max).toBeGreaterThanOrEqual(1);
  });

  it("three worker processes on one SQLite file never execute more runs of a queue than its concurrency", async () => {
    const f = await fixture();
    const ledger = `${f.tmp.filename}.ledger`;
    for (let i = 0; i < 3; i += 1) await spawnQueueWorker(f.tmp.filename, ledger);
    const client = f.engine({ queues: QUEUED_LEDGER_QUEUES });
    const runs = await client.startMany(
      Array.from({ length: 18 }, (_, n) => ({
        workflow: queuedLedgerWorkflow,
        input: { n, holdMs: 15 },
        queue: "jobs",
      })),
    );
    expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array.from({ length: 18 }, (_, n) => n));
    const { most, entered } = mostAtOnce(ledger);
    expect(entered).toBe(18);
    expect(most).toBeLessThanOrEqual(3);
  }, 60_000);

  it("runs of a key at its limit wait while other keys' runs go ahead (per-key fairness)", async () => {
    const f = await fixture();
    const gate = gates();
    const imp = workflow("q-import", function* (input: { id: string }) {
      yield* step("import", () => gate.enter(input.id));
    });
    const engine = f.engine({ workflows: [imp], queues: { imports: { concurrency: 10, perKeyConcurrency: 2 } } });
    for (let i = 0; i < 5; i += 1) {
      await engine.start(imp, { id: `big-${i}` }, { id: `big-${i}`, queue: "imports", key: "big-customer" });
    }
    await engine.start(imp, { id: "small-0" }, { id: "small-0", queue: "imports", key: "small-customer" });
    await waitFor(() => gate.executing.size === 3);
    expect([...gate.executing].sort()).toEqual(["big-0", "big-1", "small-0"]);
    gate.release("big-0");
    await waitFor(() => gate.executing.has("big-2"));
    expect(gate.executing.size).toBe(3);
    for (const id of ["big-1", "big-2", "big-3", "big-4", "small-0"]) {
      await waitFor(() => gate.executing.has(id) || gate.started.includes(id));
      gate.release(id);
    }
    await waitFor(async () => (await engine.listRuns({ queue: "imports", status: "completed" })).length === 6);
  });
});

describe("cancellation", () => {
  it("cancelling a queued run ends it while the queue's only slot stays taken", async () => {
    const f = await fixture();
    const gate = gates();
    const held = workflow("q-held", function* (id: string) {
      yield* step("hold", () => gate.enter(id));
    });
    const engine = f.engine({ workflows: [held], queues: { one: { concurrency: 1 } } });
    await engine.start(held, "first", { id: "first", queue: "one" });
    await waitFor(() => gate.executing.has("first"));
    const second = await engine.start(held, "second", { id: "second", queue: "one" });
    await engine.cancel(second.id, { reason: "not needed" });
    await expect(second.result()).rejects.toMatchObject({ code: "RUN_CANCELLED" });
    expect(gate.started).toEqual(["first"]);
    expect(gate.executing.has("first")).toBe(true);
    gate.release("first");
    await waitFor(async () => (await engine.getRun("first"))?.status === "completed");
  });
});

describe("priority", () => {
  it("due runs of a queue start lower priority first, equal priorities in start order", async () => {
    const f = await fixture();
    const order: string[] = [];
    const task = workflow("q-task", function* (name: string) {
      yield* step("run", () => void order.push(name));
    });
    const client = f.engine({});
    for (const [name, priority] of [
      ["p10-a", 10],
      ["p1", 1],
      ["p10-b", 10],
      ["default-0", undefined],
      ["p5", 5],
    ] as const) {
      await client.start(task, name, { id: name, queue: "tasks", priority });
    }
    expect((await client.getRun("p1"))?.priority).toBe(1);
    expect((await client.getRun("default-0"))?.priority).toBe(0);
    const worker = f.engine({ workflows: [task], queues: { tasks: { concurrency: 1 } } });
    await waitFor(async () => (await worker.listRuns({ queue: "tasks", status: "completed" })).length === 5);
    expect(order).toEqual(["default-0", "p1", "p5", "p10-a", "p10-b"]);
  });

  it("setPriority moves a queued run ahead of the others", async () => {
    const f = await fixture();
    const order: string[] = [];
    const task = workflow("q-reprioritised", function* (name: string) {
      yield* step("run", () => void order.push(name));
    });
    const client = f.engine({});
    for (const name of ["first", "second", "third"]) await client.start(task, name, { id: name, queue: "tasks" });
    await client.setPriority("third", -1);
    expect((await client.getRun("third"))?.priority).toBe(-1);
    const worker = f.engine({ workflows: [task], queues: { tasks: { concurrency: 1 } } });
    await waitFor(async () => (await worker.listRuns({ queue: "tasks", status: "completed" })).length === 3);
    expect(order).toEqual(["third", "first", "second"]);
  });

  it("setPriorityMany moves every matching queued run ahead, and only those", async () => {
    const f = await fixture();
    const order: string[] = [];
    const task = workflow("q-bulk-priority", function* (name: string) {
      yield* step("run", () => void order.push(name));
    });
    const client = f.engine({});
    for (const [name, customer] of [
      ["a1", "a"],
      ["b1", "b"],
      ["a2", "a"],
      ["b2", "b"],
    ] as const) {
      await client.start(task, name, { id: name, queue: "tasks", tags: { customer } });
    }
    await client.start(task, "plain", { id: "plain", tags: { customer: "b" } });
    expect(await client.setPriorityMany({ queue: "tasks", tags: { customer: "b" } }, -5)).toBe(2);
    expect((await client.getRun("b2"))?.priority).toBe(-5);
    expect((await client.getRun("a1"))?.priority).toBe(0);
    expect((await client.getRun("plain"))?.priority).toBe(0);
    await expect(client.setPriorityMany({ status: "completed" }, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client.setPriorityMany({}, 0.5)).rejects.toBeInstanceOf(InvalidArgumentError);
    const worker = f.engine({ workflows: [task], queues: { tasks: { concurrency: 1 } } });
    await waitFor(async () => (await worker.listRuns({ queue: "tasks", status: "completed" })).length === 4);
    expect(order.filter((name) => name !== "plain")).toEqual(["b1", "b2", "a1", "a2"]);
  });

  it("setPriority refuses unknown, finished and unqueued runs and bad priorities, changing nothing", async () => {
    const t = await createTestEngine({ workflows: [workflow("q-noop", function* () {})] });
    try {
      const noop = t.engine;
      await expect(noop.setPriority("nope", 1)).rejects.toBeInstanceOf(RunNotFoundError);
      const def = workflow("q-noop", function* () {});
      const done = await t.start(def, undefined, { id: "done", queue: "q" });
      await done.result();
      await expect(noop.setPriority("done", 1)).rejects.toBeInstanceOf(RunFinishedError);
      const plain = await t.start(def, undefined, { id: "plain", startAt: "2030-06-01T00:00:00Z" });
      await expect(noop.setPriority(plain.id, 1)).rejects.toThrow(/started without a queue/);
      const queued = await t.start(def, undefined, { id: "queued", queue: "q", delay: { hours: 1 } });
      await expect(noop.setPriority(queued.id, 1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
      expect((await t.getRun("queued"))?.priority).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describe("virtual time", () => {
  const email = workflow("q-email", function* (to: string) {
    return yield* step("send", () => `sent:${to}`);
  });

  it("a rate limit lets `limit` executions start per period, the rest as the window moves", async () => {
    const t = await createTestEngine({
      workflows: [email],
      queues: { email: { concurrency: 20, rateLimit: { limit: 2, period: { minutes: 1 } } } },
    });
    const T = t.clock.nowMs();
    try {
      for (let i = 0; i < 5; i += 1) await t.start(email, `user-${i}`, { id: `mail-${i}`, queue: "email" });
      const completed = async () => (await t.listRuns({ queue: "email", status: "completed" })).length;
      expect(await completed()).toBe(2);
      await t.advance({ seconds: 59 });
      expect(await completed()).toBe(2);
      await t.advance({ seconds: 1 });
      expect(await completed()).toBe(4);
      await t.advance({ minutes: 1 });
      expect(await completed()).toBe(5);
      const started = await Promise.all(t.stepCalls.map((call) => t.history(call.runId)));
      const startedAtMs = started.map((events) => (events.find((e) => e.type === "step_completed")?.atMs ?? 0) - T);
      expect(startedAtMs).toEqual([0, 0, 60_000, 60_000, 120_000]);
    } finally {
      await t.close();
    }
  });

  it("a sleeping run holds no slot: the next run of the queue executes meanwhile", async () => {
    const nap = workflow("q-nap", function* (name: string) {
      yield* step("before", () => name);
      yield* sleep({ hours: 1 });
      return yield* step("after", () => `${name} woke`);
    });
    const t = await createTestEngine({ workflows: [nap, email], queues: { one: { concurrency: 1 } } });
    try {
      const sleeper = await t.start(nap, "sleeper", { queue: "one" });
      expect((await t.getRun(sleeper.id))?.status).toBe("sleeping");
      const mail = await t.start(email, "bob", { queue: "one" });
      expect(await mail.result()).toBe("sent:bob");
      await t.advance({ hours: 1 });
      expect(await sleeper.result()).toBe("sleeper woke");
    } finally {
      await t.close();
    }
  });

  it("startAt and delay start a run later; a start time in the past starts it now", async () => {
    const t = await createTestEngine({ workflows: [email], startAt: Date.UTC(2026, 11, 1, 22, 0) });
    try {
      const atThree = await t.start(email, "a", { startAt: "2026-12-02T03:00:00Z", queue: "email", key: "c-1" });
      const inTwoHours = await t.start(email, "b", { delay: { hours: 2 } });
      const asDate = await t.start(email, "c", { startAt: new Date(Date.UTC(2026, 11, 2, 1, 0)) });
      const past = await t.start(email, "d", { startAt: Date.UTC(2020, 0, 1) });
      expect(await past.result()).toBe("sent:d");
      expect(await t.getRun(atThree.id)).toMatchObject({ status: "pending", queue: "email", key: "c-1" });
      await t.advance({ hours: 2 });
      expect((await t.getRun(inTwoHours.id))?.status).toBe("completed");
      expect((await t.getRun(asDate.id))?.status).toBe("pending");
      await t.advance({ hours: 1 });
      expect((await t.getRun(asDate.id))?.status).toBe("completed");
      expect((await t.getRun(atThree.id))?.status).toBe("pending");
      await t.advance({ hours: 2 });
      expect(await atThree.result()).toBe("sent:a");
      const again = await t.start(email, "a", { id: atThree.id, delay: { days: 1 } });
      expect(again.id).toBe(atThree.id);
    } finally {
      await t.close();
    }
  });

  it("startMany and child runs take queue options", async () => {
    const parent = workflow("q-parent", function* () {
      return yield* child(email, "kid", { id: "kid-run", queue: "email", key: "fam", priority: 3 });
    });
    const t = await createTestEngine({ workflows: [email, parent] });
    try {
      const [one, two] = await t.startMany([
        { workflow: email, input: "x", id: "many-1", queue: "email", priority: 7 },
        { workflow: email, input: "y", id: "many-2", delay: 60_000 },
      ] as const);
      expect(await one.result()).toBe("sent:x");
      expect(await t.getRun(one.id)).toMatchObject({ queue: "email", priority: 7 });
      expect((await t.getRun(two.id))?.status).toBe("pending");
      expect(await (await t.start(parent, undefined)).result()).toBe("sent:kid");
      expect(await t.getRun("kid-run")).toMatchObject({ queue: "email", key: "fam", priority: 3 });
    } finally {
      await t.close();
    }
  });
});

describe("bad queue options", () => {
  it("createEngine refuses malformed queues with a message that names the option", async () => {
    const f = await fixture();
    const bad: [unknown, RegExp][] = [
      [[], /takes an object of queue names/],
      [{ email: { concurrency: 0 } }, /concurrency must be a positive integer/],
      [{ email: { perKeyConcurrency: 1.5 } }, /perKeyConcurrency must be a positive integer/],
      [{ email: { rateLimit: { limit: 5 } } }, /rateLimit takes \{ limit, period \}/],
      [{ email: { rateLimit: { limit: 5, period: { days: 2 } } } }, /from 1 ms to one day/],
      [{ email: { rateLimit: { limit: 5, period: "soon" } } }, /period/],
      [{ email: { concurency: 5 } }, /has no option 'concurency'/],
      [{ "": {} }, /queue name that must not be empty/],
    ];
    for (const [queues, message] of bad) {
      expect(() => createEngine({ store: f.store, queues: queues as never }), String(message)).toThrow(message);
    }
  });

  it("start refuses key or priority without a queue, startAt with delay, and bad values, creating nothing", async () => {
    const f = await fixture();
    const engine = f.engine({ workflows: [] });
    const def = workflow("q-bad", function* () {});
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ key: "k" }, /pass \{ queue \} too/],
      [{ priority: 1 }, /pass \{ queue \} too/],
      [{ queue: "q", priority: 2 ** 40 }, /integer from -1000000 to 1000000/],
      [{ queue: "q", startAt: "tomorrow" }, /ISO-8601/],
      [{ queue: "q", startAt: 1, delay: 1 }, /not both/],
      [{ queue: "q", delay: -5 }, /must not be negative/],
      [{ queue: "q", startAt: Number.NaN }, /not finite epoch milliseconds/],
      [{ queue: "" }, /must not be empty/],
    ];
    for (const [options, message] of cases) {
      await expect(engine.start(def, undefined, { id: "never", ...options }), String(message)).rejects.toThrow(message);
    }
    expect(await engine.getRun("never")).toBeUndefined();
  });
});
