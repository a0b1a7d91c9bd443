// Input the codec refuses, typed on the command line: a value nested past MAX_VALUE_DEPTH, a lone surrogate.
// `reprise start` and `reprise signal` print the typed error in one line (a usage error), and store nothing.
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, runCli, seededDatabase, type SeededDatabase } from "./helpers.js";

let seeded: SeededDatabase;
beforeAll(async () => {
  seeded = await seededDatabase();
});
afterAll(() => seeded.cleanup());

const db = () => ["--db", seeded.filename];

/** JSON text of arrays nested `levels` deep, far past what the engine's recursive walks could survive. */
const deepJson = (levels: number) => `${"[".repeat(levels)}1${"]".repeat(levels)}`;

function counts(): { runs: number; events: number; signals: number } {
  const database = new Database(seeded.filename, { readonly: true });
  try {
    const count = (table: string) => (database.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
    return { runs: count("runs"), events: count("events"), signals: count("signals") };
  } finally {
    database.close();
  }
}

describe("input the codec refuses", () => {
  it("start and signal with JSON nested too deep print ValueTooDeepError's message, not 'unexpected error'", async () => {
    const before = counts();
    const started = await runCli(["start", "order", deepJson(5_000), "--workflows", FIXTURES.v1, ...db()]);
    expect(started.code).toBe(2);
    const lines = started.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^error: The workflow input cannot be stored: a value nested more than 256 levels deep at value\.0\.0/,
    );
    expect(started.stderr).not.toContain("unexpected error");
    const signalled = await runCli(["signal", "order-1", "approve", deepJson(5_000), ...db()]);
    expect(signalled.code).toBe(2);
    expect(signalled.stderr).toMatch(/^error: The payload of signal 'approve' cannot be stored: a value nested more/);
    expect(counts()).toEqual(before);
  });

  it("a lone surrogate written as a JSON escape is refused with the path of the string", async () => {
    const before = counts();
    const started = await runCli(["start", "order", '{"note":"\\ud800"}', "--workflows", FIXTURES.v1, ...db()]);
    expect(started.code).toBe(2);
    expect(started.stderr).toContain(
      "a string that is not well-formed Unicode (a lone surrogate at index 0) at value.note",
    );
    expect(counts()).toEqual(before);
  });
});
