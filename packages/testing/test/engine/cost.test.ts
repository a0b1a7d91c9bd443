// Cost guards: transactions and SQL statements per run and per step, counted (never timed) so they cannot flake.
// A failure here means the hot path got more expensive; update the numbers only with a reason in the commit.
import { step, workflow, type Engine, type Store } from "@reprise/core";
import type { SqliteStore } from "@reprise/store-sqlite";
import { describe, expect, it } from "vitest";
import { fixture } from "../fixtures.js";

function stepsWorkflow(steps: number) {
  return workflow(`cost-${steps}-steps`, function* (n: number) {
    for (let i = 0; i < steps; i++) yield* step(`step-${i}`, () => undefined);
    return n;
  });
}

/** The store, counting calls per method. */
function countingCalls(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const counting = new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counting, calls };
}

/** Counts what `body` costs the store and the engine, after background start-up work has settled. */
async function cost(store: SqliteStore, engine: Engine, body: () => Promise<void>) {
  await engine.whenIdle();
  const store0 = store.stats();
  const engine0 = engine.stats();
  await body();
  await engine.whenIdle();
  const store1 = store.stats();
  const engine1 = engine.stats();
  return {
    transactions: store1.transactions - store0.transactions,
    writes: store1.writes - store0.writes,
    statements: store1.statements - store0.statements,
    commits: engine1.commits - engine0.commits,
    replays: engine1.replays - engine0.replays,
  };
}

// No polling and long leases: only the run's own work touches the store while it is measured.
const quiet = { pollIntervalMs: Number.POSITIVE_INFINITY, leaseMs: 60_000 } as const;

describe("cost per run", () => {
  it("a three-step run alone costs four durable transactions: its start (which claims it) and one per step", async () => {
    const f = await fixture();
    const three = stepsWorkflow(3);
    const engine = f.engine({ workflows: [three], ...quiet });
    const measured = await cost(f.store, engine, async () => {
      expect(await (await engine.start(three, 7)).result()).toBe(7);
    });
    // start() must be durable before it returns, and it claims the run for this idle engine in the same write;
    // each step's result must be durable before the next step runs; the last step's result and run_completed
    // share one commit. The history is the run_started event start() just wrote: nothing is read back.
    expect(measured).toMatchObject({ transactions: 4, writes: 4, commits: 3, replays: 0 });
    // 11 today: start 2 (run, event), commits 2 + 2 + 3 (the last appends two events), result()'s one read
    // (the run finishes here, so its waiter is handed the final state) and whenIdle()'s look for due work.
    // Fewer is welcome; more means the hot path grew.
    expect(measured.statements).toBeLessThanOrEqual(11);
  });

  it("each further step costs one commit of two statements: move the run forward (checking the lease), append", async () => {
    const f = await fixture();
    const three = stepsWorkflow(3);
    const ten = stepsWorkflow(10);
    const engine = f.engine({ workflows: [three, ten], ...quiet });
    const short = await cost(f.store, engine, async () => void (await (await engine.start(three, 1)).result()));
    const long = await cost(f.store, engine, async () => void (await (await engine.start(ten, 1)).result()));
    expect(long.transactions - short.transactions).toBe(7);
    expect(long.commits - short.commits).toBe(7);
    expect((long.statements - short.statements) / 7).toBe(2);
  });

  it("a hundred concurrent runs share their transactions (group commit): one per step for all of them", async () => {
    const f = await fixture();
    const three = stepsWorkflow(3);
    const engine = f.engine({ workflows: [three], ...quiet });
    const measured = await cost(f.store, engine, async () => {
      const runs = await Promise.all(Array.from({ length: 100 }, (_, i) => engine.start(three, i)));
      expect(await Promise.all(runs.map((run) => run.result()))).toEqual(Array.from({ length: 100 }, (_, i) => i));
    });
    // 100 starts (each claims its run: the engine has 100 free slots) and 3 commits per run: 400 writes in
    // about four transactions (starts, 3 steps).
    expect(measured.commits).toBe(300);
    expect(measured.writes).toBe(400);
    expect(measured.transactions).toBeLessThanOrEqual(8);
    expect(measured.writes / measured.transactions).toBeGreaterThanOrEqual(50);
  });

  it("result() reads only a run's outcome, never its whole row (the input can be up to maxPayloadBytes)", async () => {
    const f = await fixture();
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gated = workflow("cost-gated", function* (input: string) {
      yield* step("wait", () => gate);
      return input.length;
    });
    const { store, calls } = countingCalls(f.store);
    const engine = f.engine({ workflows: [gated], store, ...quiet });
    const running = await engine.start(gated, "x".repeat(100_000));
    const waiting = running.result(); // reads while the run is still running, then waits
    await Promise.resolve();
    open();
    expect(await waiting).toBe(100_000);
    expect(await running.result()).toBe(100_000); // a finished run: one read
    expect(calls.get("getRun") ?? 0).toBe(0);
    expect(calls.get("getRunOutcome")).toBeGreaterThanOrEqual(2);
  });
});
