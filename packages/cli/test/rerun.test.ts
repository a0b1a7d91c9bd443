// `reprise start` on an id that is taken says so instead of "started", and `reprise rerun` starts a new run with
// the same workflow and input. Real binary in child processes on a seeded SQLite file.
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, seededDatabase, type SeededDatabase } from "./helpers.js";

let seeded: SeededDatabase;
beforeAll(async () => {
  seeded = await seededDatabase();
});
afterAll(() => seeded.cleanup());

const db = () => ["--db", seeded.filename];

/** The runs in the seeded file, read through a client engine. */
async function runsById(): Promise<Map<string, { workflow: string; status: string; input: unknown }>> {
  const store = await SqliteStore.open({ filename: seeded.filename });
  const engine = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
  try {
    return new Map((await engine.listRuns({ limit: 100 })).map((run) => [run.id, run]));
  } finally {
    await engine.close();
    await store.close();
  }
}

describe("reprise start on an existing id", () => {
  it("a finished run: says it exists and its status, starts nothing, exit 1", async () => {
    const before = await runsById();
    const started = await runCli(["start", "order", '{"orderId":"x","cents":1}', "--id", "order-3", ...db()]);
    expect(started.code).toBe(1);
    expect(started.stdout).toBe("");
    expect(started.stderr).toBe(
      "error: run order-3 already exists (status completed); nothing started. " +
        "Use `reprise rerun order-3` to start it again under a new id\n",
    );
    const after = await runsById();
    expect(after.size).toBe(before.size);
    expect(after.get("order-3")?.status).toBe("completed");
  });

  it("an unfinished run: an idempotent resend, exit 0, reported as existing rather than started", async () => {
    const text = await runCli(["start", "order", '{"orderId":"order-1","cents":1250}', "--id", "order-1", ...db()]);
    expect(text).toMatchObject({ code: 0, stderr: "" });
    expect(text.stdout).toBe("run order-1 already exists (status waiting); nothing new started\n");
    const json = await runCli(["start", "order", "--id", "order-1", "--json", ...db()]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      runId: "order-1",
      workflow: "order",
      version: 1,
      status: "waiting",
      created: false,
    });
  });
});

describe("reprise rerun", () => {
  it("starts a new run of the same workflow with the same input under <id>-rerun-<n>", async () => {
    const first = await runCli(["rerun", "order-3", ...db()]);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toBe("started order run order-3-rerun-1 as a rerun of order-3 (status pending)\n");
    const second = await runCli(["rerun", "order-3", "--json", ...db()]);
    expect(JSON.parse(second.stdout)).toEqual({
      runId: "order-3-rerun-2",
      workflow: "order",
      version: 1,
      status: "pending",
      created: true,
      rerunOf: "order-3",
    });
    const runs = await runsById();
    for (const id of ["order-3-rerun-1", "order-3-rerun-2"]) {
      expect(runs.get(id)).toMatchObject({ workflow: "order", input: { orderId: "order-3", cents: 1250 } });
    }
    expect(runs.get("order-3")?.status).toBe("completed");
  });

  it("takes the new id from --id, and refuses an id that a finished run has", async () => {
    const named = await runCli(["rerun", "nap-1", "--id", "nap-again", ...db()]);
    expect(named.code).toBe(0);
    expect(named.stdout).toBe("started nap run nap-again as a rerun of nap-1 (status pending)\n");
    expect((await runsById()).get("nap-again")?.workflow).toBe("nap");
    const taken = await runCli(["rerun", "order-1", "--id", "order-3", ...db()]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^error: run order-3 already exists \(status completed\); nothing started\./);
  });

  it("an unknown run id is one line and exit 1", async () => {
    const missing = await runCli(["rerun", "no-such-run", ...db()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: no run with id 'no-such-run' in .*; list runs with: reprise runs\n$/);
  });
});
