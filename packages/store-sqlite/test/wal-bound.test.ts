// The WAL stays bounded: checkpoints every walAutocheckpointPages pages, and the file is cut back to
// journalSizeLimitBytes after one, so a store needs a known amount of disk beside its database.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError } from "@reprise/core";
import { newRun } from "./new-run.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore, type SqliteStoreOptions } from "../src/index.js";

/** SQLite's WAL: a 32-byte header, then one frame per page written, each a 24-byte header and the page. */
const PAGE_BYTES = 4096;
const walBytes = (pages: number) => 32 + pages * (24 + PAGE_BYTES);
/** Pages one createRun below writes at most (runs row and its indexes, the event, the b-tree pages above them). */
const PAGES_PER_RUN = 16;

let directory: string;
let filename: string;
const opened: SqliteStore[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "reprise-wal-"));
  filename = join(directory, "reprise.db");
});

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
  rmSync(directory, { recursive: true, force: true });
});

async function open(options: Omit<SqliteStoreOptions, "filename"> = {}): Promise<SqliteStore> {
  const store = await SqliteStore.open({ filename, ...options });
  opened.push(store);
  return store;
}

const walSize = () => (existsSync(`${filename}-wal`) ? statSync(`${filename}-wal`).size : 0);

/** Commits `count` runs one transaction each and returns the largest size the -wal file had after a commit. */
async function largestWalAfterCommits(store: SqliteStore, count: number, inputBytes: number): Promise<number> {
  let largest = 0;
  for (let index = 0; index < count; index++) {
    await store.createRun(newRun(`run-${index}`, inputBytes));
    largest = Math.max(largest, walSize());
  }
  return largest;
}

describe("the WAL's size", () => {
  it("by default stays under 1,000 pages (about 4 MiB) plus one transaction, however many commits", async () => {
    // synchronous "normal" only spares the fsyncs (the WAL's size does not depend on it) to keep the test quick.
    const store = await open({ synchronous: "normal" });
    // 3,000 runs of 2 KB: about 24 MB through the WAL, several times the checkpoint interval.
    const largest = await largestWalAfterCommits(store, 3_000, 2_000);
    expect(store.stats().transactions).toBe(3_000);
    expect(statSync(filename).size).toBeGreaterThan(walBytes(1_000));
    expect(largest).toBeLessThanOrEqual(walBytes(1_000 + PAGES_PER_RUN));
  });

  it("walAutocheckpointPages sets the bound", async () => {
    const store = await open({ walAutocheckpointPages: 32, synchronous: "normal" });
    const largest = await largestWalAfterCommits(store, 600, 2_000);
    expect(largest).toBeLessThanOrEqual(walBytes(32 + PAGES_PER_RUN));
  });

  it("after a transaction larger than the bound, the WAL is cut back to journalSizeLimitBytes", async () => {
    const store = await open({ walAutocheckpointPages: 256, journalSizeLimitBytes: 256 * 1024 });
    // 100 runs in one turn: one transaction of about 3 MB.
    await Promise.all(Array.from({ length: 100 }, (_, index) => store.createRun(newRun(`big-${index}`, 30_000))));
    expect(store.stats().transactions).toBe(1);
    expect(walSize()).toBeGreaterThan(2 * 1024 * 1024);
    for (let index = 0; index < 3; index++) await store.createRun(newRun(`small-${index}`, 100));
    expect(walSize()).toBeLessThanOrEqual(256 * 1024);
  });

  it("refuses option values that are not whole numbers ≥ 0, naming the default", async () => {
    await expect(open({ walAutocheckpointPages: -1 })).rejects.toThrow(
      new InvalidArgumentError(
        "SqliteStore.open({ walAutocheckpointPages }) must be an integer ≥ 0 (got -1); the default is 1000.",
      ),
    );
    await expect(open({ journalSizeLimitBytes: 1.5 })).rejects.toThrow(
      new InvalidArgumentError(
        "SqliteStore.open({ journalSizeLimitBytes }) must be an integer ≥ 0 (got 1.5); the default is 4194304 (4 MiB).",
      ),
    );
    expect(existsSync(filename)).toBe(false);
  });
});
