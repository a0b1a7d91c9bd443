// Starting many runs: awaited one by one, as concurrent start() calls, and as one startMany(), on a client engine.
// Measures only run creation (the runs stay pending: no engine serves them), through the public API.
import { createEngine, type Engine } from "@reprise/core";
import { type StoreSource, nowMs, repeat, storeCounters, summarize, type Summary } from "../measure.js";
import { threeSteps } from "../workflows.js";

/** How one way of starting runs did: starts per second and the store transactions it took. */
export interface StartCost {
  readonly startsPerSecond: Summary;
  readonly transactions: Summary;
}

export interface StartsResult {
  readonly runs: number;
  readonly oneByOne: StartCost;
  readonly concurrent: StartCost;
  /** NaN on an engine without `startMany` (an older checkout, for a before/after comparison). */
  readonly startMany: StartCost;
}

type StartAll = (engine: Engine, runs: number) => Promise<unknown>;

const WAYS: Record<keyof Omit<StartsResult, "runs">, StartAll> = {
  oneByOne: async (engine, runs) => {
    for (let i = 0; i < runs; i++) await engine.start(threeSteps, i);
  },
  concurrent: (engine, runs) => Promise.all(Array.from({ length: runs }, (_, i) => engine.start(threeSteps, i))),
  startMany: (engine, runs) => {
    const startMany = (engine as { startMany?: (items: unknown[]) => Promise<unknown> }).startMany;
    if (startMany === undefined) return Promise.reject(new Error("no startMany"));
    return startMany.call(
      engine,
      Array.from({ length: runs }, (_, i) => ({ workflow: threeSteps, input: i })),
    );
  },
};

export async function measureStarts(dir: StoreSource, runs: number, repetitions: number): Promise<StartsResult> {
  const measure = async (startAll: StartAll): Promise<StartCost> => {
    const samples = await repeat(repetitions, 1, async () => {
      const store = await dir.store("starts");
      // A client engine: it creates runs and never executes them, so only the starts are timed.
      const engine = createEngine({ store });
      await engine.whenIdle();
      const before = storeCounters(store);
      const started = nowMs();
      const ok = await startAll(engine, runs).then(
        () => true,
        () => false,
      );
      const seconds = (nowMs() - started) / 1000;
      const transactions = storeCounters(store).transactions - before.transactions;
      await engine.close();
      await store.close();
      return ok ? { perSecond: runs / seconds, transactions } : { perSecond: Number.NaN, transactions: Number.NaN };
    });
    return {
      startsPerSecond: summarize(samples.map((s) => s.perSecond)),
      transactions: summarize(samples.map((s) => s.transactions)),
    };
  };
  return {
    runs,
    oneByOne: await measure(WAYS.oneByOne),
    concurrent: await measure(WAYS.concurrent),
    startMany: await measure(WAYS.startMany),
  };
}
