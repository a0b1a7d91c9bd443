// One run whose stored input, result or error cannot be decoded: listRuns still lists every run, marking that one;
// getRun and result() throw CorruptEventError naming the run and the column; the other runs read normally.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CorruptEventError, createEngine, workflow, type Engine } from "@reprise/core";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../src/index.js";

const greet = workflow("greet", function* (name: string) {
  return `hello ${name}`;
});
const refuse = workflow("refuse", function* () {
  throw new Error("no");
});

let directory: string;
let filename: string;
const cleanups: (() => Promise<void>)[] = [];

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "reprise-corrupt-"));
  filename = join(directory, "reprise.db");
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
  rmSync(directory, { recursive: true, force: true });
});

/** Five finished runs, written by a real engine: three of greet, two of refuse. */
async function seed(): Promise<void> {
  const store = await SqliteStore.open({ filename });
  const engine = createEngine({ store, workflows: [greet, refuse] });
  for (const id of ["good", "bad-result", "bad-input"]) await (await engine.start(greet, id, { id })).result();
  for (const id of ["bad-error", "bad-error-shape"]) {
    await expect((await engine.start(refuse, undefined, { id })).result()).rejects.toThrow("no");
  }
  await engine.close();
  await store.close();
}

/** Overwrites one column of one run behind the store's back, as a damaged disk or a hand edit would. */
function damage(runId: string, column: "input" | "result" | "error", text: string): void {
  const db = new Database(filename);
  expect(db.prepare(`update runs set ${column} = ? where id = ?`).run(text, runId).changes).toBe(1);
  db.close();
}

async function openClient(): Promise<Engine> {
  const store = await SqliteStore.open({ filename });
  const engine = createEngine({ store, workflows: [] });
  cleanups.push(async () => {
    await engine.close();
    await store.close();
  });
  return engine;
}

async function corruption(promise: Promise<unknown>): Promise<CorruptEventError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(CorruptEventError);
  return error as CorruptEventError;
}

describe("a run whose stored values cannot be decoded", () => {
  it("is listed with a corrupt marker for that column; every other run lists as before", async () => {
    await seed();
    damage("bad-result", "result", "{garbage");
    damage("bad-input", "input", "not json at all");
    damage("bad-error", "error", '{"json":');
    damage("bad-error-shape", "error", '{"json":42}');
    const engine = await openClient();

    const runs = await engine.listRuns();
    const byId = new Map(runs.map((run) => [run.id, run]));
    expect([...byId.keys()].sort()).toEqual(["bad-error", "bad-error-shape", "bad-input", "bad-result", "good"]);
    expect(byId.get("good")).toMatchObject({ status: "completed", input: "good", result: "hello good" });
    expect(byId.get("good")?.corrupt).toBeUndefined();

    const badResult = byId.get("bad-result");
    expect(badResult).toMatchObject({ status: "completed", input: "bad-result", result: undefined });
    expect(badResult?.corrupt).toEqual([{ column: "result", problem: expect.stringContaining("JSON") as string }]);

    const badInput = byId.get("bad-input");
    expect(badInput).toMatchObject({ input: undefined, result: "hello bad-input" });
    expect(badInput?.corrupt?.map((each) => each.column)).toEqual(["input"]);

    expect(byId.get("bad-error")).toMatchObject({ status: "failed", error: undefined });
    expect(byId.get("bad-error")?.corrupt?.map((each) => each.column)).toEqual(["error"]);
    expect(byId.get("bad-error-shape")?.corrupt).toEqual([
      { column: "error", problem: "not an encoded error (an object with a string name and message)" },
    ]);
    // The failed run that is not damaged still shows its error.
    expect((await engine.listRuns({ status: "failed" })).map((run) => run.id).sort()).toEqual([
      "bad-error",
      "bad-error-shape",
    ]);
  });

  it("getRun throws CorruptEventError naming the run and the column; other runs read fine", async () => {
    await seed();
    damage("bad-result", "result", "{garbage");
    damage("bad-error", "error", '{"json":42}');
    const engine = await openClient();

    const error = await corruption(engine.getRun("bad-result"));
    const lastSeq = (await engine.history("bad-result")).at(-1)?.seq;
    expect(error).toMatchObject({ code: "CORRUPT_EVENT", runId: "bad-result", column: "result", seq: lastSeq });
    expect(error.message).toContain(
      "Run 'bad-result' cannot be read: its stored result (column runs.result) is corrupt (result: ",
    );
    expect(error.message).toContain("restore the store from a backup");
    expect(error.cause).toBeInstanceOf(SyntaxError);

    const badError = await corruption(engine.getRun("bad-error"));
    expect(badError).toMatchObject({ runId: "bad-error", column: "error" });
    expect(badError.message).toContain("its stored error (column runs.error) is corrupt");

    expect(await engine.getRun("good")).toMatchObject({ status: "completed", result: "hello good" });
  });

  it("result() of such a run rejects with CorruptEventError, not a raw SyntaxError", async () => {
    await seed();
    damage("bad-result", "result", "{garbage");
    damage("bad-error", "error", "{garbage");
    const engine = await openClient();
    const completed = await corruption((await engine.start(greet, "bad-result", { id: "bad-result" })).result());
    expect(completed).toMatchObject({ runId: "bad-result", column: "result" });
    const failed = await corruption((await engine.start(refuse, undefined, { id: "bad-error" })).result());
    expect(failed).toMatchObject({ runId: "bad-error", column: "error" });
    expect(await (await engine.start(greet, "good", { id: "good" })).result()).toBe("hello good");
  });
});
