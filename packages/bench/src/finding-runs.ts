// `pnpm --filter @reprise/bench finding-runs`: tag filters, counts, bulk cancellation and retention with 100,000+
// runs on SQLite and PostgreSQL, through the public engine API. Prints a table; writes nothing but its stores.
// Usage: finding-runs [--runs 100000] [--postgres-url <url>] [--dir <dir>]
import { parseArgs } from "node:util";
import pg from "pg";
import { createEngine, step, workflow, type Engine } from "@reprise/core";
import {
  BenchDirectory,
  nowMs,
  PostgresSchemas,
  round,
  summarize,
  type BenchStore,
  type StoreSource,
} from "./measure.js";

const job = workflow("bench-job", function* (n: number) {
  return yield* step("work", () => n);
});

/** Customers of the seeded runs: each has runs / CUSTOMERS of them. */
const CUSTOMERS = 1_000;
const REPETITIONS = 20;

interface Row {
  readonly store: string;
  readonly what: string;
  readonly ms: number;
  readonly note: string;
}

/** Median ms of `fn` over REPETITIONS calls, after one warm-up. */
async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const samples: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const started = nowMs();
    await fn();
    samples.push(nowMs() - started);
  }
  return round(summarize(samples).median);
}

/** `runs` pending runs, `CUSTOMERS` customers, half on plan "pro", created 1 ms apart in batches of 5,000. */
async function seed(engine: Engine, runs: number): Promise<void> {
  for (let start = 0; start < runs; start += 5_000) {
    const count = Math.min(5_000, runs - start);
    await engine.startMany(
      Array.from({ length: count }, (_, k) => {
        const i = start + k;
        return {
          workflow: job,
          input: i,
          id: `job-${i}`,
          tags: { customer: String(i % CUSTOMERS), plan: i % 2 === 0 ? "pro" : "free" },
        };
      }),
    );
  }
}

/** ANALYZE of the two tables the queries read. */
async function analyze(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const table of ["runs", "run_tags"]) await client.query(`analyze "${schema}"."${table}"`);
  } finally {
    await client.end();
  }
}

async function measure(source: StoreSource, runs: number): Promise<Row[]> {
  const store: BenchStore = await source.store("finding-runs");
  const engine = createEngine({ store });
  const rows: Row[] = [];
  const add = (what: string, ms: number, note = "") => rows.push({ store: source.kind, what, ms, note });
  try {
    const seeded = nowMs();
    await seed(engine, runs);
    add(`startMany ${runs} tagged runs (2 tags each)`, round(nowMs() - seeded), "once");
    // What autovacuum does soon after a load like this one: without statistics, PostgreSQL plans the join of a
    // two-tag filter as if the tables were empty.
    if (source instanceof PostgresSchemas) await analyze(source.url, (store as unknown as { schema: string }).schema);
    const perCustomer = runs / CUSTOMERS;
    add(
      "listRuns({ tags: { customer } }), first 50",
      await time(() => engine.listRuns({ tags: { customer: "7" }, limit: 50 })),
      `${perCustomer} match`,
    );
    const deep = await engine.listRunsPage({ tags: { plan: "pro" }, limit: 1_000 });
    add(
      "listRunsPage({ tags: { plan: 'pro' } }) after 1,000",
      await time(() => engine.listRunsPage({ tags: { plan: "pro" }, limit: 50, after: deep.next })),
      `${runs / 2} match`,
    );
    add(
      "listRuns({ tags: two tags, status })",
      await time(() => engine.listRuns({ tags: { customer: "8", plan: "pro" }, status: "pending", limit: 50 })),
      "",
    );
    add(
      "countRuns({ tags: { customer } })",
      await time(() => engine.countRuns({ tags: { customer: "7" } })),
      `= ${await engine.countRuns({ tags: { customer: "7" } })}`,
    );
    add(
      "countRuns({ tags: { plan: 'pro' } })",
      await time(() => engine.countRuns({ tags: { plan: "pro" } })),
      `= ${await engine.countRuns({ tags: { plan: "pro" } })}`,
    );
    add("countRuns({}) (all runs)", await time(() => engine.countRuns({})), `= ${await engine.countRuns({})}`);
    // Bulk cancellation of a tenth of the runs: customers 0-99.
    const before = store.stats();
    const started = nowMs();
    let cancelled = 0;
    for (let customer = 0; customer < CUSTOMERS / 10; customer++) {
      cancelled += await engine.cancelMany({ tags: { customer: String(customer) } });
    }
    const writes = store.stats().writes - before.writes;
    add(`cancelMany over ${CUSTOMERS / 10} customers`, round(nowMs() - started), `${cancelled} runs, ${writes} writes`);
    const single = nowMs();
    const plan = await engine.cancelMany({ tags: { plan: "free" } });
    add("cancelMany({ tags: { plan: 'free' } })", round(nowMs() - single), `${plan} runs`);
  } finally {
    await engine.close();
    await store.close();
  }
  return rows;
}

const { values } = parseArgs({
  options: { runs: { type: "string", default: "100000" }, "postgres-url": { type: "string" }, dir: { type: "string" } },
});
const runs = Number(values.runs);
const directory = new BenchDirectory(values.dir);
const rows: Row[] = [];
try {
  rows.push(...(await measure(directory, runs)));
  if (values["postgres-url"] !== undefined) {
    const schemas = new PostgresSchemas(values["postgres-url"], { groupCommit: true });
    try {
      rows.push(...(await measure(schemas, runs)));
    } finally {
      await schemas.cleanup();
    }
  }
} finally {
  directory.cleanup();
}
console.log("| store | operation | median ms | note |\n|---|---|---:|---|");
for (const row of rows) console.log(`| ${row.store} | ${row.what} | ${row.ms} | ${row.note} |`);
