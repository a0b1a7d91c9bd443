// The floor: what raw better-sqlite3 does on this disk with Reprise's durability (WAL, synchronous=FULL).
// Every engine number in the report is divided by one of these, measured minutes apart in the same process.
import Database from "better-sqlite3";
import { type BenchDirectory, nowMs, removeDatabase, repeat, summarize, type Summary } from "../measure.js";

export interface FloorResult {
  /** Transactions per second, one row each (BEGIN IMMEDIATE; INSERT; COMMIT). */
  readonly singleCommitsPerSecond: Summary;
  /** Milliseconds per single-row commit (1000 / the median rate): the unit of the latency goal. */
  readonly singleCommitMs: number;
  /** Single-row commits with automatic checkpoints off (wal_autocheckpoint=0): the WAL only grows. */
  readonly singleCommitsNoCheckpointPerSecond: Summary;
  /** Rows per second at 64 rows per transaction. */
  readonly rowsPerSecondAt64: Summary;
  /** Rows per second at 100 rows per transaction: the "batched floor" of the throughput goal. */
  readonly rowsPerSecondAt100: Summary;
}

const SINGLE_COMMITS = 2_000;
const BATCHED_ROWS = 64_000;

/** A row shaped like a Reprise event: an integer run key, a seq, a type, a time and a small JSON document. */
const DATA = '{"json":{"name":"step","attempt":1,"result":42}}';

export async function measureFloor(dir: BenchDirectory, repetitions: number): Promise<FloorResult> {
  // Interleaved, so that both variants see the same background load on a shared machine.
  const pairs = await repeat(repetitions, 1, async () => ({
    single: singleCommits(dir, true),
    noCheckpoint: singleCommits(dir, false),
  }));
  const single = pairs.map((pair) => pair.single);
  const noCheckpoint = pairs.map((pair) => pair.noCheckpoint);
  const at64 = await repeat(repetitions, 1, async () => batchedRows(dir, 64));
  const at100 = await repeat(repetitions, 1, async () => batchedRows(dir, 100));
  const singleCommitsPerSecond = summarize(single);
  return {
    singleCommitsPerSecond,
    singleCommitMs: 1000 / singleCommitsPerSecond.median,
    singleCommitsNoCheckpointPerSecond: summarize(noCheckpoint),
    rowsPerSecondAt64: summarize(at64),
    rowsPerSecondAt100: summarize(at100),
  };
}

function open(dir: BenchDirectory): { db: Database.Database; filename: string } {
  const filename = dir.file("floor");
  const db = new Database(filename);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.exec(
    "create table events (run_key integer not null, seq integer not null, type text not null, " +
      "at_ms integer not null, data text not null, primary key (run_key, seq)) without rowid",
  );
  return { db, filename };
}

function singleCommits(dir: BenchDirectory, autoCheckpoint: boolean): number {
  const { db, filename } = open(dir);
  if (!autoCheckpoint) db.pragma("wal_autocheckpoint = 0");
  const begin = db.prepare("begin immediate");
  const commit = db.prepare("commit");
  const insert = db.prepare("insert into events values (?, ?, ?, ?, ?)");
  const started = nowMs();
  for (let i = 0; i < SINGLE_COMMITS; i++) {
    begin.run();
    insert.run(i, 1, "step_completed", i, DATA);
    commit.run();
  }
  const seconds = (nowMs() - started) / 1000;
  db.close();
  removeDatabase(filename);
  return SINGLE_COMMITS / seconds;
}

function batchedRows(dir: BenchDirectory, rowsPerTransaction: number): number {
  const { db, filename } = open(dir);
  const begin = db.prepare("begin immediate");
  const commit = db.prepare("commit");
  const insert = db.prepare("insert into events values (?, ?, ?, ?, ?)");
  const started = nowMs();
  let row = 0;
  while (row < BATCHED_ROWS) {
    begin.run();
    for (let i = 0; i < rowsPerTransaction; i++, row++) insert.run(row, 1, "step_completed", row, DATA);
    commit.run();
  }
  const seconds = (nowMs() - started) / 1000;
  db.close();
  removeDatabase(filename);
  return row / seconds;
}
