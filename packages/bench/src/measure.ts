// Measuring helpers for the benchmark: repetitions summarised as median and spread, percentiles, temp stores.
// Nothing here knows about Reprise's internals; cases use the public API and raw better-sqlite3 / pg only.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "@reprise/core";
import { PostgresStore } from "@reprise/store-postgres";
import { SqliteStore } from "@reprise/store-sqlite";
import pg from "pg";

/** Several repetitions of one number: the median is what the table shows, min and max are its spread. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

/** Median, min and max of repeated measurements. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("summarize() needs at least one sample");
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    median: percentile(sorted, 0.5),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    samples: samples.map((value) => round(value)),
  };
}

/** The p-th percentile (0..1) of sorted values, by the nearest-rank method. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error("percentile() of no values");
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Keeps three significant decimals: enough for a table, small enough for a readable JSON file. */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 1 : magnitude >= 1 ? 3 : 5;
  return Number(value.toFixed(digits));
}

/** Milliseconds since some fixed point, with sub-millisecond resolution. */
export function nowMs(): number {
  return performance.now();
}

/** Runs `fn` `count` times (after `warmups` unrecorded runs) and returns the recorded results. */
export async function repeat<T>(count: number, warmups: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  for (let i = 0; i < warmups; i++) await fn(-1 - i);
  const results: T[] = [];
  for (let i = 0; i < count; i++) results.push(await fn(i));
  return results;
}

/** Where a case's store lives: a file in the benchmark directory (durable), or `:memory:` (no disk at all). */
export type Storage = "file" | "memory";

/** A store a case runs on: the Store contract plus the counters both stores keep (`stats()`). */
export type BenchStore = Store & {
  stats(): { transactions: number; writes: number; statements: number };
  close(): Promise<void>;
};

/**
 * Where the workload cases get their stores: fresh SQLite files (BenchDirectory) or fresh PostgreSQL schemas
 * (PostgresSchemas), so the same case measures either store.
 */
export interface StoreSource {
  /** Which store this source makes, for the table's headings. */
  readonly kind: "sqlite" | "postgres";
  /** A new, empty store; `storage: "memory"` only exists for SQLite. */
  store(label: string, storage?: Storage): Promise<BenchStore>;
}

/** A fresh directory for the benchmark's databases; every case creates its files under it. */
export class BenchDirectory implements StoreSource {
  readonly kind = "sqlite";
  readonly path: string;
  #next = 0;

  constructor(parent = tmpdir()) {
    this.path = mkdtempSync(join(parent, "reprise-bench-"));
  }

  /** A new database file name (not created yet). */
  file(label: string): string {
    this.#next += 1;
    return join(this.path, `${String(this.#next).padStart(3, "0")}-${label}.db`);
  }

  /** A new Reprise store with the default (durable) settings, deleted by `cleanup`; or one in memory. */
  async store(label: string, storage: Storage = "file"): Promise<SqliteStore> {
    return SqliteStore.open({ filename: storage === "memory" ? ":memory:" : this.file(label) });
  }

  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/**
 * Fresh PostgreSQL schemas on one server, one per store, dropped by `cleanup`; `groupCommit` is passed to every
 * PostgresStore it opens, so one run can measure the store with and without it.
 *
 * @example
 * const schemas = new PostgresSchemas("postgres://postgres@127.0.0.1:5432/test", { groupCommit: true });
 * const store = await schemas.store("throughput");
 */
export class PostgresSchemas implements StoreSource {
  readonly kind = "postgres";
  readonly url: string;
  readonly groupCommit: boolean;
  readonly #created: string[];

  constructor(url: string, options: { groupCommit: boolean }, created: string[] = []) {
    this.url = url;
    this.groupCommit = options.groupCommit;
    this.#created = created;
  }

  /** The same server and schema list with group commit set otherwise (cleanup drops the schemas of both). */
  withGroupCommit(groupCommit: boolean): PostgresSchemas {
    return new PostgresSchemas(this.url, { groupCommit }, this.#created);
  }

  /** A schema name no other store of this run uses (created by the store that opens it). */
  schemaName(label: string): string {
    const name = `bench_${label.replace(/[^a-z0-9]/g, "_")}_${randomBytes(4).toString("hex")}`;
    this.#created.push(name);
    return name;
  }

  async store(label: string, storage: Storage = "file"): Promise<PostgresStore> {
    if (storage === "memory") throw new Error("PostgreSQL has no in-memory store; this case is SQLite only.");
    return this.open(this.schemaName(label));
  }

  /** A store on `schema` (created and migrated if new). */
  open(schema: string): Promise<PostgresStore> {
    return PostgresStore.open({ connectionString: this.url, schema, groupCommit: this.groupCommit });
  }

  /** Drops every schema this run created. */
  async cleanup(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    await client.connect();
    try {
      for (const schema of this.#created.splice(0)) await client.query(`drop schema if exists "${schema}" cascade`);
    } finally {
      await client.end();
    }
  }
}

/**
 * The store's transaction and write counters (stats()). NaN on a store without them, so the same
 * benchmark can also be run against an older checkout for a before/after comparison.
 */
export function storeCounters(store: Store): { transactions: number; writes: number; statements: number } {
  type Counters = { transactions: number; writes: number; statements?: number };
  const stats = (store as { stats?: () => Counters }).stats;
  if (stats === undefined) return { transactions: Number.NaN, writes: Number.NaN, statements: Number.NaN };
  const counters = stats.call(store);
  return { ...counters, statements: counters.statements ?? Number.NaN };
}

/** Removes a database and its WAL files. */
export function removeDatabase(filename: string): void {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${filename}${suffix}`, { force: true });
}

/** Collects garbage (node --expose-gc) until the heap stops shrinking, then reports the used heap in bytes. */
export function settledHeapBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("Run the benchmark with node --expose-gc (pnpm bench does).");
  let previous = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 10; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (used >= previous * 0.999) return used;
    previous = used;
  }
  return previous;
}

/** Lets the event loop turn, so queued work (timers, immediates) runs before a measurement starts. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves after `ms` milliseconds. */
export function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
