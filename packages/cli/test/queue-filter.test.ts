// --queue on the commands that select runs: `runs` lists and counts a queue's runs, `cancel` acts on them only.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nap } from "./fixtures/workflows-v1.js";
import { runCli } from "./helpers.js";

describe("--queue", () => {
  let dir: string;
  let filename: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "reprise-queue-filter-"));
    filename = join(dir, "reprise.db");
    const store = await SqliteStore.open({ filename });
    // A client: the runs stay pending, as they would while no worker has picked them up yet.
    const client = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
    await client.start(nap, undefined, { id: "import-1", queue: "imports", key: "customer-1", priority: 2 });
    await client.start(nap, undefined, { id: "import-2", queue: "imports", key: "customer-2" });
    await client.start(nap, undefined, { id: "email-1", queue: "email" });
    await client.start(nap, undefined, { id: "plain-1" });
    await client.close();
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("runs lists and counts only the queue's runs", async () => {
    const { code, stdout } = await runCli(["runs", "--db", filename, "--queue", "imports", "--json"]);
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as { runs: { id: string }[]; matching: number };
    expect(listed.runs.map((run) => run.id).sort()).toEqual(["import-1", "import-2"]);
    expect(listed.matching).toBe(2);
  });

  it("runs shows a QUEUE column, with the key, once a listed run is in a queue", async () => {
    const { code, stdout } = await runCli(["runs", "--db", filename]);
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toMatch(/UPDATED +QUEUE$/);
    expect(stdout).toMatch(/import-1 .* imports \(customer-1\)\n/);
    expect(stdout).toMatch(/plain-1 .* -\n/);
  });

  it("cancel --queue cancels the queue's unfinished runs and no others", async () => {
    const { code, stdout } = await runCli(["cancel", "--db", filename, "--queue", "imports", "--yes"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/2/);
    const store = await SqliteStore.open({ filename });
    try {
      for (const id of ["import-1", "import-2"]) expect((await store.getRun(id))?.cancelRequested).toBe(true);
      for (const id of ["email-1", "plain-1"]) expect((await store.getRun(id))?.cancelRequested).toBe(false);
    } finally {
      await store.close();
    }
  });
});
