// A database with one damaged run row: `reprise runs` (text and --json) lists every run and marks that one;
// `reprise show` of it is one clear line naming the run and the column (exit 1); other runs show as before.
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInspectorHandler } from "../src/index.js";
import { runCli, seededDatabase, type SeededDatabase } from "./helpers.js";

let seeded: SeededDatabase;
beforeAll(async () => {
  seeded = await seededDatabase();
  // order-3 completed: its stored result is overwritten with text that is not an encoded value.
  const db = new Database(seeded.filename);
  db.prepare("update runs set result = ? where id = ?").run("{garbage", "order-3");
  db.close();
});
afterAll(() => seeded.cleanup());

const db = () => ["--db", seeded.filename];

describe.concurrent("a run whose stored result cannot be decoded", () => {
  it("runs --json lists every run; the damaged one has corrupt: [{ column, problem }] and no result", async () => {
    const { code, stdout, stderr } = await runCli(["runs", "--json", ...db()]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const { runs } = JSON.parse(stdout) as { runs: Record<string, unknown>[] };
    expect(runs.map((run) => run.id).sort()).toEqual(["nap-1", "order-1", "order-2", "order-3"]);
    const damaged = runs.find((run) => run.id === "order-3");
    expect(damaged).toMatchObject({ status: "completed", input: { orderId: "order-3", cents: 1250 } });
    expect(damaged).not.toHaveProperty("result");
    expect(damaged?.corrupt).toEqual([{ column: "result", problem: expect.stringContaining("JSON") as string }]);
    for (const run of runs.filter((each) => each.id !== "order-3")) expect(run).not.toHaveProperty("corrupt");
  });

  it("runs prints the table with the damaged run marked and one line saying what cannot be read", async () => {
    const { code, stdout } = await runCli(["runs", ...db()]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    expect(lines.find((line) => line.startsWith("order-3"))).toMatch(/^order-3\s+order\s+completed \(corrupt result\)/);
    expect(lines.find((line) => line.startsWith("order-1"))).toMatch(/^order-1\s+order\s+waiting\s/);
    expect(lines.at(-1)).toMatch(/^run order-3: its stored result \(runs\.result\) cannot be decoded: .*JSON/);
  });

  it("show of the damaged run is one line naming the run and the column, exit code 1 (also with --json)", async () => {
    for (const extra of [[], ["--json"]]) {
      const { code, stdout, stderr } = await runCli(["show", "order-3", ...extra, ...db()]);
      expect(code).toBe(1);
      expect(stdout).toBe("");
      const lines = stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^error: Run 'order-3' cannot be read: its stored result \(column runs\.result\) is corrupt \(result: .*JSON/,
      );
    }
  });

  it("show of another run is unaffected", async () => {
    const { code, stdout } = await runCli(["show", "order-1", ...db()]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^order-1 {2}order {2}waiting\n/);
  });

  it("the inspector's run API answers 422 with the same message for it, and serves the other runs", async () => {
    const handler = await createInspectorHandler({ filename: seeded.filename });
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/runs/`;
    try {
      const damaged = await fetch(`${base}order-3`);
      expect(damaged.status).toBe(422);
      expect(((await damaged.json()) as { error: string }).error).toMatch(
        /^Run 'order-3' cannot be read: its stored result \(column runs\.result\) is corrupt/,
      );
      expect((await fetch(`${base}order-1`)).status).toBe(200);
      expect((await fetch(base.replace(/\/$/, ""))).status).toBe(200);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    }
  });
});
