// The PostgreSQL floor: what raw `pg` does on the same server with the server's own durability settings.
// Single-row commits (one client, and many at once), rows batched in one transaction, and a bare round trip.
import pg from "pg";
import { nowMs, percentile, type PostgresSchemas, repeat, summarize, type Summary } from "../measure.js";

export interface PostgresFloorResult {
  /** Autocommitted single-row INSERTs, one client, one after another: one round trip and one WAL flush each. */
  readonly singleCommitsPerSecond: Summary;
  /** Milliseconds per single-row commit (1000 / the median rate): the unit of the latency goal. */
  readonly singleCommitMs: number;
  /** The same commits from `clients` connections at once: the server shares WAL flushes among them. */
  readonly concurrentCommitsPerSecond: Summary;
  readonly clients: number;
  /** Rows per second at 100 rows per transaction, each batch one multi-row INSERT: the batched floor. */
  readonly rowsPerSecondAt100: Summary;
  /** `SELECT 1` round trip, p50 over many: what every statement of the store costs at least. */
  readonly roundTripP50Ms: Summary;
  /** The server's settings the numbers depend on. */
  readonly settings: Record<string, string>;
}

const SINGLE_COMMITS = 2_000;
const CONCURRENT_COMMITS = 10_000;
const CLIENTS = 16;
const BATCHED_ROWS = 50_000;
const ROUND_TRIPS = 2_000;
/** A row shaped like a Reprise event: a run key, a seq, a type, a time and a small JSON document. */
const DATA = '{"json":{"name":"step","attempt":1,"result":42}}';

/**
 * Measures the raw floor on fresh tables in a schema of its own.
 *
 * @example
 * const floor = await measurePostgresFloor(schemas, 5);
 * floor.singleCommitMs; // ms per durable single-row commit on this server
 */
export async function measurePostgresFloor(
  schemas: PostgresSchemas,
  repetitions: number,
): Promise<PostgresFloorResult> {
  const schema = schemas.schemaName("floor");
  const admin = await connect(schemas.url);
  let table = 0;
  // A fresh table per repetition, so no measurement inherits another's index size.
  const freshTable = async (): Promise<string> => {
    table += 1;
    const name = `"${schema}".events_${table}`;
    await admin.query(
      `create table ${name} (run_key bigint not null, seq integer not null, type text not null, ` +
        `at_ms bigint not null, data text not null, primary key (run_key, seq))`,
    );
    return name;
  };
  try {
    await admin.query(`create schema "${schema}"`);
    const settings: Record<string, string> = {};
    for (const name of ["server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay"]) {
      settings[name] = (await admin.query<{ value: string }>(`select current_setting($1) as value`, [name])).rows[0]
        ?.value as string;
    }
    const single = await repeat(repetitions, 1, async () => singleCommits(admin, await freshTable()));
    const concurrent = await repeat(repetitions, 1, async () => concurrentCommits(schemas.url, await freshTable()));
    const batched = await repeat(repetitions, 1, async () => batchedRows(admin, await freshTable()));
    const roundTrips = await repeat(repetitions, 1, async () => roundTrip(admin));
    const singleCommitsPerSecond = summarize(single);
    return {
      singleCommitsPerSecond,
      singleCommitMs: 1000 / singleCommitsPerSecond.median,
      concurrentCommitsPerSecond: summarize(concurrent),
      clients: CLIENTS,
      rowsPerSecondAt100: summarize(batched),
      roundTripP50Ms: summarize(roundTrips),
      settings,
    };
  } finally {
    await admin.end();
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

const INSERT = (table: string) => `insert into ${table} values ($1, $2, $3, $4, $5)`;

async function singleCommits(client: pg.Client, table: string): Promise<number> {
  const text = INSERT(table);
  const started = nowMs();
  for (let i = 0; i < SINGLE_COMMITS; i++) await client.query(text, [i, 1, "step_completed", i, DATA]);
  return SINGLE_COMMITS / ((nowMs() - started) / 1000);
}

async function concurrentCommits(url: string, table: string): Promise<number> {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(url)));
  try {
    const text = INSERT(table);
    let next = 0;
    const started = nowMs();
    await Promise.all(
      clients.map(async (client) => {
        for (let i = next++; i < CONCURRENT_COMMITS; i = next++) {
          await client.query(text, [i, 1, "step_completed", i, DATA]);
        }
      }),
    );
    return CONCURRENT_COMMITS / ((nowMs() - started) / 1000);
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

async function batchedRows(client: pg.Client, table: string): Promise<number> {
  const text = `insert into ${table} select * from unnest($1::bigint[], $2::int[], $3::text[], $4::bigint[], $5::text[])`;
  const perTransaction = 100;
  const started = nowMs();
  for (let row = 0; row < BATCHED_ROWS; row += perTransaction) {
    const keys = Array.from({ length: perTransaction }, (_, i) => row + i);
    await client.query("begin");
    await client.query(text, [keys, keys.map(() => 1), keys.map(() => "step_completed"), keys, keys.map(() => DATA)]);
    await client.query("commit");
  }
  return BATCHED_ROWS / ((nowMs() - started) / 1000);
}

async function roundTrip(client: pg.Client): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = nowMs();
    await client.query("select 1");
    times.push(nowMs() - started);
  }
  times.sort((a, b) => a - b);
  return percentile(times, 0.5);
}
