// Tag filters and counts on PostgreSQL with 100,000 runs: the plans (EXPLAIN) read the first tag's rows of
// `run_tags` backwards along its key, which is list order, join each to its run by id, and stop at the limit.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import { runColumnList, selectionQuery } from "../src/run-selection.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
} from "./postgres-server.js";

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "tags over 100,000 runs on PostgreSQL", () => {
  const schema = freshSchemaName();
  let store: PostgresStore;
  let client: pg.Client;

  beforeAll(async () => {
    requirePostgres();
    store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    // Seeded in SQL: 1,000 customers of 100 runs each, half the runs on plan "pro", four runs per millisecond.
    const tags = `json_build_object('customer', (i % 1000)::text, 'plan', case when i % 2 = 0 then 'pro' else 'free' end)`;
    await client.query(
      `insert into "${schema}".runs (id, workflow, status, input, last_seq, created_at_ms, updated_at_ms, tags)
       select 'run-' || i, 'import', case when i % 4 = 0 then 'waiting' else 'completed' end, '{"json":null}', 1,
              1900000000000 + i / 4, 1900000000000, ${tags}::text
       from generate_series(0, 99999) i`,
    );
    await client.query(
      `insert into "${schema}".run_tags (key, value, created_at_ms, run_id)
       select 'customer', (i % 1000)::text, 1900000000000 + i / 4, 'run-' || i from generate_series(0, 99999) i
       union all
       select 'plan', case when i % 2 = 0 then 'pro' else 'free' end, 1900000000000 + i / 4, 'run-' || i
       from generate_series(0, 99999) i`,
    );
    await client.query(`analyze "${schema}".runs`);
    await client.query(`analyze "${schema}".run_tags`);
  }, 120_000);

  afterAll(async () => {
    await client?.end();
    await store?.close();
    await dropSchema(schema);
  });

  const plan = async (query: { sql: string; parameters: readonly unknown[] }): Promise<string> => {
    const { rows } = await client.query<{ "QUERY PLAN": string }>(`explain ${query.sql}`, [...query.parameters]);
    return rows.map((row) => row["QUERY PLAN"]).join("\n");
  };

  it("a tag filter walks the tag's index entries newest first and stops at the limit, also deep in the list", async () => {
    const shape = { columns: runColumnList(["id", "status"]), limit: 51 };
    for (const after of [undefined, { createdAtMs: 1_900_000_010_000, id: "run-040007" }]) {
      const text = await plan(selectionQuery(schema, { tags: { customer: "7" } }, { ...shape, after }));
      expect(text).toMatch(/Index (Only )?Scan Backward using run_tags_pk on run_tags t0/);
      expect(text).toMatch(/Index (Only )?Scan using runs_id_key on runs r/);
      expect(text).not.toMatch(/Sort|Seq Scan/);
    }
    const page = await store.listRuns({ tags: { customer: "7" }, limit: 50 });
    expect(page[0]?.id).toBe("run-99007");
    expect(page).toHaveLength(50);
  });

  it("several tags and a status are checked on the first tag's rows, without a sort", async () => {
    const query = selectionQuery(
      schema,
      { tags: { customer: "8", plan: "pro" }, statuses: ["waiting"] },
      { columns: runColumnList(["id"]), limit: 20 },
    );
    const text = await plan(query);
    expect(text).toMatch(/Index (Only )?Scan Backward using run_tags_pk on run_tags t0/);
    expect(text).not.toMatch(/Sort|Seq Scan/);
    expect(
      await store.listRuns({ tags: { customer: "8", plan: "pro" }, statuses: ["waiting"], limit: 200 }),
    ).toHaveLength(100);
  });

  it("counts a selective tag from its index entries, without reading every run", async () => {
    const query = selectionQuery(
      schema,
      { tags: { customer: "9" } },
      { columns: "r.status, count(*)", groupBy: "r.status" },
    );
    expect(await plan(query)).not.toMatch(/Seq Scan on runs/);
    expect(await store.countRuns({ tags: { customer: "9" } })).toMatchObject({ completed: 100, waiting: 0 });
    expect(await store.countRuns({ tags: { plan: "pro" }, statuses: ["waiting"] })).toMatchObject({ waiting: 25_000 });
  });
});
