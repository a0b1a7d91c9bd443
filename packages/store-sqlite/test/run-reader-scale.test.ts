// RunReader's run lists stay fast with 100,000 runs on SQLite: every page query walks an index from its cursor
// instead of sorting the table, whatever the filters and however deep the page; counts read the status index only.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { RunPageQuery } from "@reprise/core";
import Database from "better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/index.js";
import { SqliteRunQueries } from "../src/run-reader.js";

const RUNS = 100_000;
const STATUSES = ["waiting", "completed", "completed", "completed", "sleeping", "failed", "pending", "blocked"];
let dir: string;
let filename: string;
let db: BetterSqlite3.Database;
let raw: BetterSqlite3.Database;
let queries: SqliteRunQueries;
const preparedSql: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "reprise-scale-"));
  filename = join(dir, "reprise.db");
  await (await SqliteStore.open({ filename })).close();
  const writer = new Database(filename);
  const insert = writer.prepare(
    `insert into runs (id, workflow, status, input, cancel_requested, last_seq, created_at_ms, updated_at_ms)
     values (?, ?, ?, '{"json":null}', 0, 1, ?, ?)`,
  );
  writer.transaction(() => {
    for (let i = 0; i < RUNS; i++) {
      // Groups of five runs share a millisecond, so paging must break ties by id.
      const createdAtMs = 1_900_000_000_000 + Math.floor(i / 5);
      insert.run(
        `run-${String(i).padStart(6, "0")}`,
        i % 3 === 0 ? "invoice" : "order",
        STATUSES[i % 8],
        createdAtMs,
        createdAtMs,
      );
    }
  })();
  writer.close();
  const readonly = new Database(filename, { readonly: true, fileMustExist: true });
  raw = readonly;
  // Record the SQL each query prepares, to ask SQLite how it will run it.
  db = new Proxy(readonly, {
    get(target, property, receiver) {
      if (property === "prepare") {
        return (sql: string) => {
          preparedSql.push(sql);
          return target.prepare(sql);
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  queries = new SqliteRunQueries(db);
}, 60_000);

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a page query and returns SQLite's plan for it and how long it took. */
function planAndTime(query: RunPageQuery): { plan: string; ms: number; ids: string[] } {
  const before = preparedSql.length;
  const started = performance.now();
  const page = queries.runsPage(query);
  const ms = performance.now() - started;
  const sql = preparedSql[before] ?? preparedSql.at(-1) ?? "";
  return { plan: explain(sql), ms, ids: page.runs.map((run) => run.id) };
}

/** SQLite's plan for `sql`; parameters are left NULL, which does not change the plan. */
function explain(sql: string): string {
  const parameters = new Array<null>(sql.split("?").length - 1).fill(null);
  const rows = raw.prepare(`explain query plan ${sql}`).all(...parameters) as { detail: string }[];
  return rows.map((row) => row.detail).join(" | ");
}

describe("run pages over 100,000 runs", () => {
  it("walk the created_at index, also deep in the list", () => {
    const deep = { createdAtMs: 1_900_000_000_000 + 1000, id: "run-005003" };
    const first = planAndTime({ limit: 50 });
    const last = planAndTime({ limit: 50, after: deep });
    expect(first.plan).toMatch(/SCAN (runs|r) USING INDEX runs_created|SEARCH (runs|r) USING INDEX runs_created/);
    expect(last.plan).toMatch(/SEARCH (runs|r) USING INDEX runs_created \(created_at_ms<\?\)/);
    expect(first.plan).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
    expect(last.ids[0]).toBe("run-005002");
    expect(last.ids).toHaveLength(50);
    expect(last.ms).toBeLessThan(50);
  });

  it("use the status and workflow indexes when filtered", () => {
    const byStatus = planAndTime({
      limit: 50,
      statuses: ["waiting"],
      after: { createdAtMs: 1_900_000_010_000, id: "run-050000" },
    });
    expect(byStatus.plan).toMatch(/SEARCH (runs|r) USING INDEX runs_status_created \(status=\? AND created_at_ms<\?\)/);
    expect(byStatus.ids.every((id) => Number(id.slice(4)) % 8 === 0)).toBe(true);
    const byWorkflow = planAndTime({ limit: 50, workflow: "invoice" });
    expect(byWorkflow.plan).toMatch(/SEARCH (runs|r) USING INDEX runs_workflow_created \(workflow=\?\)/);
    expect(byWorkflow.ms).toBeLessThan(50);
  });

  it("count per status from the status index without reading the table", () => {
    const started = performance.now();
    const counts = queries.countRunsByStatus();
    const ms = performance.now() - started;
    expect(counts).toEqual({
      pending: 12_500,
      running: 0,
      sleeping: 12_500,
      waiting: 12_500,
      completed: 37_500,
      failed: 12_500,
      cancelled: 0,
      blocked: 12_500,
    });
    expect(explain(preparedSql.at(-1) ?? "")).toMatch(/USING COVERING INDEX runs_status_created/);
    expect(ms).toBeLessThan(200);
  });
});
