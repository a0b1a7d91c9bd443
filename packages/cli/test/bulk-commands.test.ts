// Finding and acting on many runs from the CLI: `runs --tag` with the count that follows the filters, `cancel` by
// filters (shows how many, asks, refuses without a terminal unless --yes) and `purge`, on SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, step, workflow, type Store } from "@reprise/core";
import { PostgresStore } from "@reprise/store-postgres";
import { SqliteStore } from "@reprise/store-sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
} from "../../store-postgres/test/postgres-server.js";
import { main, type CliIo } from "../src/index.js";
import { runCli } from "./helpers.js";

const quick = workflow("quick", function* (n: number) {
  return yield* step("double", () => n * 2);
});
const broken = workflow("broken", function* () {
  yield* step(
    "fail",
    () => {
      throw new Error("broken on purpose");
    },
    { retry: { maxAttempts: 1 } },
  );
});
const queued = workflow("queued", function* () {
  return yield* step("never-runs-here", () => 1);
});

/**
 * 5 `queued` runs of customer 7 and 2 of customer 8 (pending: no worker serves them), 3 completed `quick` runs, and
 * 2 failed `broken` runs of customer 9.
 */
async function seed(store: Store): Promise<void> {
  const engine = createEngine({ store, workflows: [quick, broken], pollIntervalMs: 20 });
  try {
    await engine.startMany([
      ...Array.from({ length: 5 }, (_, i) => ({
        workflow: queued,
        input: undefined,
        id: `c7-${i}`,
        tags: { customer: "7" },
      })),
      ...Array.from({ length: 2 }, (_, i) => ({
        workflow: queued,
        input: undefined,
        id: `c8-${i}`,
        tags: { customer: "8" },
      })),
    ]);
    for (let i = 0; i < 3; i++) {
      await (await engine.start(quick, i, { id: `q-${i}`, tags: { kind: "quick" } })).result();
    }
    for (let i = 0; i < 2; i++) {
      const run = await engine.start(broken, undefined, { id: `b-${i}`, tags: { customer: "9" } });
      await run.result().catch(() => undefined);
    }
  } finally {
    await engine.close();
  }
}

/** Runs the CLI in this process with `confirm` answering as given (a terminal that says yes or no). */
async function inProcess(args: string[], answer: boolean): Promise<{ code: number; stdout: string; asked: string[] }> {
  let stdout = "";
  const asked: string[] = [];
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: () => true },
    env: { NO_COLOR: "1" },
    cwd: process.cwd(),
    readStdin: async () => "",
    confirm: async (question) => {
      asked.push(question);
      return answer;
    },
  };
  const code = await main(args, io);
  return { code, stdout, asked };
}

function describeBulkCommands(name: string, open: () => Promise<{ db: string[]; done: () => Promise<void> }>): void {
  describe(`bulk commands on ${name}`, () => {
    let db: string[] = [];
    let done: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      ({ db, done } = await open());
    }, 60_000);
    afterAll(async () => done?.());

    it("runs --tag lists only matching runs and counts all of them, however many the list shows", async () => {
      const json = await runCli(["runs", "--tag", "customer=7", "--limit", "2", "--json", ...db]);
      expect(json.code).toBe(0);
      const parsed = JSON.parse(json.stdout) as { runs: { id: string }[]; matching: number };
      expect(parsed.matching).toBe(5);
      expect(parsed.runs.map((run) => run.id)).toHaveLength(2);
      const text = await runCli(["runs", "--tag", "customer=7", "--limit", "2", ...db]);
      expect(text.stdout).toContain("(the newest 2 of 5 matching runs; pass --limit for more)");
      expect(text.stdout.split("\n")[0]).toMatch(/UPDATED\s+TAGS$/);
      expect(text.stdout).toContain("customer=7");
      const none = await runCli(["runs", "--tag", "customer=99", ...db]);
      expect(none.stdout).toContain("no runs with tag customer=99");
      const bad = await runCli(["runs", "--tag", "customer", ...db]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--tag takes key=value");
    });

    it("cancel by filters refuses without --yes when stdin is not a terminal, and changes nothing", async () => {
      const { code, stdout, stderr } = await runCli(["cancel", "--tag", "customer=7", "--status", "pending", ...db]);
      expect(code).toBe(1);
      expect(stdout).toContain("5 runs match (status pending, tag customer=7): 5 pending");
      expect(stderr).toContain("refusing to cancel 5 runs without confirmation");
      expect(stderr).toContain("--yes");
      const after = JSON.parse((await runCli(["runs", "--tag", "customer=7", "--json", ...db])).stdout) as {
        runs: { cancelRequested: boolean }[];
      };
      expect(after.runs.some((run) => run.cancelRequested)).toBe(false);
    });

    it("cancel by filters asks on a terminal: no cancels nothing, yes cancels every match once", async () => {
      const no = await inProcess(["cancel", "--tag", "customer=7", ...db], false);
      expect(no.code).toBe(0);
      expect(no.asked).toEqual(["Request cancellation of 5 runs?"]);
      expect(no.stdout).toContain("nothing cancelled");
      const yes = await inProcess(["cancel", "--tag", "customer=7", "--reason", "account closed", ...db], true);
      expect(yes.stdout).toContain("cancellation requested for 5 runs");
      const again = await runCli(["cancel", "--tag", "customer=7", "--yes", "--json", ...db]);
      expect(JSON.parse(again.stdout)).toEqual({ matching: 5, cancelRequested: 0 });
      const other = JSON.parse((await runCli(["runs", "--tag", "customer=8", "--json", ...db])).stdout) as {
        runs: { cancelRequested: boolean }[];
      };
      expect(other.runs.every((run) => !run.cancelRequested)).toBe(true);
      const usage = await runCli(["cancel", "c8-0", "--tag", "customer=8", ...db]);
      expect(usage.code).toBe(2);
    });

    it("rerun by filters reruns each matching failed run once, after confirming", async () => {
      const refused = await runCli(["rerun", "--status", "failed", "--tag", "customer=9", ...db]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain("2 runs match (status failed, tag customer=9)");
      const first = await runCli(["rerun", "--tag", "customer=9", "--yes", "--json", ...db]);
      expect(first.code).toBe(0);
      expect((JSON.parse(first.stdout) as { runIds: string[] }).runIds.sort()).toEqual(["b-0-rerun-1", "b-1-rerun-1"]);
      const again = await runCli(["rerun", "--tag", "customer=9", "--yes", "--json", ...db]);
      expect((JSON.parse(again.stdout) as { runIds: string[] }).runIds.sort()).toEqual(["b-0-rerun-1", "b-1-rerun-1"]);
      const tagged = JSON.parse((await runCli(["runs", "--tag", "rerunOf=b-0", "--json", ...db])).stdout) as {
        runs: { id: string; tags: Record<string, string> }[];
      };
      expect(tagged.runs.map((run) => [run.id, run.tags])).toEqual([
        ["b-0-rerun-1", { customer: "9", rerunOf: "b-0" }],
      ]);
      expect((await runCli(["rerun", "--status", "waiting", ...db])).code).toBe(2);
    });

    it("purge deletes old finished runs after confirming, and never unfinished ones", async () => {
      const refused = await runCli(["purge", "--completed-days", "0", ...db]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain("3 finished runs to delete: 3 completed (older than 0 days)");
      const kept = await runCli(["purge", "--completed-days", "30", "--yes", ...db]);
      expect(kept.stdout).toContain("nothing to delete");
      const purged = await runCli(["purge", "--completed-days", "0", "--failed-days", "0", "--yes", "--json", ...db]);
      expect(JSON.parse(purged.stdout)).toMatchObject({ deleted: 5 });
      const left = JSON.parse((await runCli(["runs", "--json", ...db])).stdout) as { matching: number };
      expect(left.matching).toBe(9); // the 7 queued runs and the 2 reruns, none finished
      expect(await runCli(["show", "b-0", ...db])).toMatchObject({ code: 1 });
      expect((await runCli(["purge", ...db])).code).toBe(2);
    });
  });
}

describeBulkCommands("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "reprise-cli-bulk-"));
  const filename = join(dir, "reprise.db");
  const store = await SqliteStore.open({ filename });
  await seed(store);
  await store.close();
  return { db: ["--db", filename], done: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "PostgreSQL", () => {
  describeBulkCommands("PostgreSQL", async () => {
    requirePostgres();
    const schema = freshSchemaName();
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    await seed(store);
    await store.close();
    return { db: ["--db", `${POSTGRES_URL}?schema=${schema}`], done: () => dropSchema(schema) };
  });
});
