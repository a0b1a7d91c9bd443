// Tag filters, counts and retention stay index walks with 100,000 runs on SQLite: each query's plan (EXPLAIN QUERY
// PLAN) reads the tag's rows of `run_tags` in list order, never the whole runs table, and never sorts it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/index.js";
import { selectionQuery, runColumnList } from "../src/run-selection.js";

const RUNS = 100_000;
const BASE_MS = 1_900_000_000_000;
let dir: string;
let filename: string;
let store: SqliteStore;
let raw: BetterSqlite3.Database;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-tags-scale-"));
  filename = join(dir, "reprise.db");
  await (await SqliteStore.open({ filename })).close();
  const writer = new Database(filename);
  const insertRun = writer.prepare(
    `insert into runs (id, workflow, status, input, cancel_requested, last_seq, created_at_ms, updated_at_ms,
       finished_at_ms, tags)
     values (?, 'import', ?, '{"json":null}', 0, 1, ?, ?, ?, ?)`,
  );
  const insertTag = writer.prepare("insert into run_tags (key, value, created_at_ms, run_id) values (?, ?, ?, ?)");
  writer.transaction(() => {
    for (let i = 0; i < RUNS; i++) {
      const id = `run-${String(i).padStart(6, "0")}`;
      // Groups of four runs share a millisecond, so paging must break ties by id.
      const createdAtMs = BASE_MS + Math.floor(i / 4);
      const status = i % 4 === 0 ? "waiting" : "completed";
      // 1,000 customers of 100 runs each; half the runs are on the "pro" plan.
      const tags = { customer: String(i % 1_000), plan: i % 2 === 0 ? "pro" : "free" };
      insertRun.run(
        id,
        status,
        createdAtMs,
        createdAtMs,
        status === "completed" ? createdAtMs : null,
        JSON.stringify(tags),
      );
      for (const [key, value] of Object.entries(tags)) insertTag.run(key, value, createdAtMs, id);
    }
  })();
  writer.exec("analyze");
  writer.close();
  store = await SqliteStore.open({ filename });
  raw = new Database(filename, { readonly: true });
}, 120_000);

afterAll(async () => {
  raw?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** SQLite's plan for a query; parameters are left NULL, which does not change the plan. */
function plan(query: { sql: string; parameters: readonly unknown[] }): string {
  const rows = raw.prepare(`explain query plan ${query.sql}`).all(...query.parameters.map(() => null)) as {
    detail: string;
  }[];
  return rows.map((row) => row.detail).join(" | ");
}

describe("tags over 100,000 runs", () => {
  it("a tag filter walks the tag's rows newest first, also deep in the list, and stops at the limit", async () => {
    const shape = { columns: runColumnList(["id", "status"]), limit: 51 };
    const first = plan(selectionQuery({ tags: { customer: "7" } }, shape));
    const deep = plan(
      selectionQuery(
        { tags: { customer: "7" } },
        { ...shape, after: { createdAtMs: BASE_MS + 10_000, id: "run-040007" } },
      ),
    );
    expect(first).toMatch(/SEARCH t0 USING PRIMARY KEY \(key=\? AND value=\?\)/);
    expect(deep).toMatch(/SEARCH t0 USING PRIMARY KEY \(key=\? AND value=\? AND created_at_ms<\?\)/);
    for (const detail of [first, deep]) {
      expect(detail).not.toMatch(/TEMP B-TREE/);
      expect(detail).toMatch(/SEARCH r USING INDEX runs_id \(id=\?\)/);
    }
    const before = store.stats().statements;
    const page = await store.listRuns({ tags: { customer: "7" }, limit: 50 });
    expect(store.stats().statements - before).toBe(1);
    expect(page).toHaveLength(50);
    expect(page[0]?.id).toBe("run-099007");
    expect(page.every((run) => run.tags?.customer === "7")).toBe(true);
  });

  it("several tags and a status are checked on the first tag's rows, without a sort", async () => {
    const query = selectionQuery(
      { tags: { customer: "8", plan: "pro" }, statuses: ["waiting"] },
      { columns: runColumnList(["id"]), limit: 20 },
    );
    expect(plan(query)).toMatch(/SEARCH t0 USING PRIMARY KEY \(key=\? AND value=\?\)/);
    expect(plan(query)).toMatch(
      /SEARCH t1 (EXISTS )?USING PRIMARY KEY \(key=\? AND value=\? AND created_at_ms=\? AND run_id=\?\)/,
    );
    expect(plan(query)).not.toMatch(/TEMP B-TREE/);
    const runs = await store.listRuns({ tags: { customer: "8", plan: "pro" }, statuses: ["waiting"], limit: 200 });
    expect(runs).toHaveLength(100);
  });

  it("counts a tag's runs per status from its rows of run_tags, in one read", async () => {
    const query = selectionQuery({ tags: { customer: "9" } }, { columns: "r.status, count(*)", groupBy: "r.status" });
    expect(plan(query)).toMatch(/SEARCH t0 USING PRIMARY KEY \(key=\? AND value=\?\)/);
    expect(plan(query)).not.toMatch(/SCAN r\b/);
    expect(await store.countRuns({ tags: { customer: "9" } })).toMatchObject({ completed: 100, waiting: 0 });
    expect(await store.countRuns({ tags: { customer: "12" } })).toMatchObject({ completed: 0, waiting: 100 });
    expect(await store.countRuns({ tags: { plan: "pro" }, statuses: ["waiting"] })).toMatchObject({ waiting: 25_000 });
  });

  it("retention finds the oldest finished runs of a status along runs_status_finished", () => {
    const rows = raw
      .prepare(
        "explain query plan select r.run_key from runs r where r.status in (?) and r.finished_at_ms < ? " +
          "order by r.finished_at_ms limit ?",
      )
      .all(null, null, null) as { detail: string }[];
    expect(rows.map((row) => row.detail).join(" | ")).toMatch(
      /SEARCH r USING (COVERING )?INDEX runs_status_finished \(status=\? AND finished_at_ms<\?\)/,
    );
  });
});
