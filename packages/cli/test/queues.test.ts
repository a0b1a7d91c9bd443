// `reprise queues` in child processes against a real SQLite file and a real PostgreSQL schema: per queue the
// running, queued and delayed runs, starts in the last minute and busiest keys (text and --json); no queues.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type Store } from "@reprise/core";
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
import { order } from "./fixtures/workflows-v1.js";
import { runCli } from "./helpers.js";

/**
 * Queue `imports`: acme-1 and acme-2 running, acme-3, beta-1 and loose-1 (no key) queued, acme-later delayed by
 * an hour; queue `email`: mail-1 queued. Runs are started by a client engine (which executes nothing), then two
 * are claimed through the store with a rate limit, so that their starts are recorded.
 */
async function seedQueues(store: Store): Promise<void> {
  const engine = createEngine({ store });
  try {
    const start = (id: string, queue: string, options: { key?: string; priority?: number; delay?: number } = {}) =>
      engine.start(order, { orderId: id, cents: 100 }, { id, queue, ...options });
    await start("acme-1", "imports", { key: "acme" });
    await start("acme-2", "imports", { key: "acme" });
    await start("acme-3", "imports", { key: "acme", priority: 5 });
    await start("beta-1", "imports", { key: "beta", priority: 5 });
    await start("loose-1", "imports", { priority: 10 });
    await start("acme-later", "imports", { key: "acme", delay: 3_600_000 });
    await start("mail-1", "email");
  } finally {
    await engine.close();
  }
  const version = (await store.getRun("acme-1"))?.version ?? 1;
  // Claimed (and their starts recorded) 30 s ahead of now: the runs created just before are due by then, the
  // delayed one is not, and the starts stay inside the command's one-minute window however slowly it launches.
  const claimed = await store.claimDueRuns({
    owner: "queues-test",
    nowMs: Date.now() + 30_000,
    leaseMs: 600_000,
    limit: 10,
    workflows: [{ name: order.name, version }],
    queues: {
      imports: { concurrency: 2, rateLimit: { limit: 100, periodMs: 60_000 } },
      email: { concurrency: 1, rateLimit: { limit: 100, periodMs: 60_000 } },
    },
  });
  // Two of imports (its concurrency), by priority and due time, and the email run.
  expect(claimed.map((run) => run.id).sort()).toEqual(["acme-1", "acme-2", "mail-1"]);
}

interface QueuesJson {
  nowMs: number;
  sinceMs: number;
  more: boolean;
  queues: {
    name: string;
    running: number;
    queued: number;
    delayed: number;
    startsSince: number;
    keys: { key: string; running: number; queued: number }[];
  }[];
}

/** What both stores must show for the seeded queues. */
async function expectSeededQueues(db: readonly string[]): Promise<void> {
  const { code, stdout, stderr } = await runCli(["queues", ...db]);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  const lines = stdout.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^QUEUE\s+RUNNING\s+QUEUED\s+DELAYED\s+STARTS\/MIN\s+TOP KEYS \(RUNNING\/QUEUED\)$/);
  expect(lines[1]).toMatch(/^email\s+1\s+0\s+0\s+1\s+-$/);
  expect(lines[2]).toMatch(/^imports\s+2\s+3\s+1\s+2\s+acme 2\/1, beta 0\/1$/);
  expect(lines).toHaveLength(3);

  const json = await runCli(["queues", "--json", "--keys", "1", ...db]);
  expect(json.code).toBe(0);
  const report = JSON.parse(json.stdout) as QueuesJson;
  expect(report.nowMs - report.sinceMs).toBe(60_000);
  expect(report.more).toBe(false);
  expect(report.queues.find((queue) => queue.name === "imports")).toEqual({
    name: "imports",
    running: 2,
    queued: 3,
    delayed: 1,
    startsSince: 2,
    keys: [{ key: "acme", running: 2, queued: 1 }],
  });

  const first = await runCli(["queues", "--limit", "1", "--keys", "0", ...db]);
  expect(first.stdout).toMatch(/^QUEUE\s+RUNNING\s+QUEUED\s+DELAYED\s+STARTS\/MIN\nemail\s+1\s+0\s+0\s+1\n/);
  expect(first.stdout).toContain("(first 1 queues; pass --limit for more)");
}

describe("reprise queues on a SQLite file", () => {
  let dir: string;
  let filename: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "reprise-cli-queues-"));
    filename = join(dir, "reprise.db");
    const store = await SqliteStore.open({ filename });
    try {
      await seedQueues(store);
    } finally {
      await store.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("shows each queue's running, queued and delayed runs, starts in the last minute and busiest keys", async () => {
    await expectSeededQueues(["--db", filename]);
  });

  it("says so in one line for a store without queues", async () => {
    const empty = join(dir, "empty.db");
    await (await SqliteStore.open({ filename: empty })).close();
    const { code, stdout } = await runCli(["queues", "--db", empty]);
    expect(code).toBe(0);
    expect(stdout).toBe(`no queues in ${empty}: no run was ever started in a queue\n`);
    const json = await runCli(["queues", "--db", empty, "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ queues: [], more: false });
  });

  it("refuses a --keys that is not a whole number from 0 to 100", async () => {
    const { code, stderr } = await runCli(["queues", "--db", filename, "--keys", "101"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--keys must be a whole number from 0 to 100 (got '101')");
  });
});

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "reprise queues on PostgreSQL", () => {
  const schema = freshSchemaName();
  beforeAll(async () => {
    requirePostgres();
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    try {
      await seedQueues(store);
    } finally {
      await store.close();
    }
  });
  afterAll(() => dropSchema(schema));

  it("shows the same queue view as on SQLite", async () => {
    await expectSeededQueues(["--db", `${POSTGRES_URL}?schema=${schema}`]);
  });
});
