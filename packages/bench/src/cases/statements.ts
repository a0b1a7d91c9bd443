// Hot-path statement cost: the store's Kysely-compiled, cached statements against raw better-sqlite3 with the same SQL.
// Measured inside one transaction that is rolled back, so no fsync is timed: this is the per-statement CPU cost.
import Database from "better-sqlite3";
import { SqliteStore } from "@reprise/store-sqlite";
// The store keeps its statements internal; the benchmark reaches in to time exactly what the store executes.
import { PreparedStatements, QUERIES } from "../../../store-sqlite/src/statements.js";
import { type BenchDirectory, nowMs, repeat, summarize, type Summary } from "../measure.js";

export interface StatementCost {
  readonly rawNs: Summary;
  readonly storeNs: Summary;
  /** Median store cost ÷ median raw cost; the goal is ≤ 1.5. */
  readonly ratio: number;
  /** For reference: preparing the SQL on every call, as Kysely's stock SQLite driver does. */
  readonly preparePerCallNs: Summary;
}

export interface StatementsResult {
  readonly insertEvent: StatementCost;
  readonly getRunForWrite: StatementCost;
}

const ROUNDS = 10;
const CALLS_PER_ROUND = 5_000;
const DATA = '{"json":{"name":"step","attempt":1,"result":42}}';

export async function measureStatements(dir: BenchDirectory, repetitions: number): Promise<StatementsResult> {
  const filename = dir.file("statements");
  await (await SqliteStore.open({ filename })).close();
  const db = new Database(filename);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.prepare(
    "insert into runs (id, workflow, status, input, cancel_requested, last_seq, created_at_ms, updated_at_ms) " +
      "values ('run-1', 'w', 'running', '{}', 0, 1, 1, 1)",
  ).run();
  const cached = new PreparedStatements(db);
  const rawInsert = db.prepare(QUERIES.insertEvent.sql);
  const rawGet = db.prepare(QUERIES.getRunForWrite.sql);

  /** Nanoseconds spent on `calls` calls of `call`, inside a transaction that is then rolled back. */
  const time = (call: (i: number) => void, calls: number): number => {
    db.exec("begin immediate");
    const started = nowMs();
    for (let i = 0; i < calls; i++) call(i);
    const ns = (nowMs() - started) * 1e6;
    db.exec("rollback");
    return ns;
  };
  /**
   * One repetition: the variants take turns in short rounds, in alternating order, so background load on a
   * shared machine falls on all of them alike; returns nanoseconds per call of each.
   */
  const compare = (variants: Record<"raw" | "store" | "prepare", (i: number) => void>) => {
    const totals = { raw: 0, store: 0, prepare: 0 };
    const names = Object.keys(totals) as (keyof typeof totals)[];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const name of order) totals[name] += time(variants[name], CALLS_PER_ROUND);
    }
    const perCall = (ns: number) => ns / (ROUNDS * CALLS_PER_ROUND);
    return { raw: perCall(totals.raw), store: perCall(totals.store), prepare: perCall(totals.prepare) };
  };
  const insert = await repeat(repetitions, 1, async () =>
    compare({
      raw: (i) => rawInsert.run(i, 2, "step_completed", i, DATA),
      store: (i) => cached.run("insertEvent", { runKey: i, seq: 2, type: "step_completed", atMs: i, data: DATA }),
      prepare: (i) => db.prepare(QUERIES.insertEvent.sql).run(i, 2, "step_completed", i, DATA),
    }),
  );
  const get = await repeat(repetitions, 1, async () =>
    compare({
      raw: () => rawGet.get("run-1"),
      store: () => cached.get("getRunForWrite", { id: "run-1" }),
      prepare: () => db.prepare(QUERIES.getRunForWrite.sql).get("run-1"),
    }),
  );
  db.close();
  return { insertEvent: cost(insert), getRunForWrite: cost(get) };
}

function cost(samples: { raw: number; store: number; prepare: number }[]): StatementCost {
  const rawNs = summarize(samples.map((s) => s.raw));
  const storeNs = summarize(samples.map((s) => s.store));
  return {
    rawNs,
    storeNs,
    ratio: storeNs.median / rawNs.median,
    preparePerCallNs: summarize(samples.map((s) => s.prepare)),
  };
}
