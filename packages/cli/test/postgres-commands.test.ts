// The commands against PostgreSQL: --db takes a postgres:// URL (schema from ?schema= or --schema) and every
// command reads and acts through the same store interfaces as on a SQLite file. Each suite seeds a fresh schema.
import { createEngine } from "@reprise/core";
import { PostgresStore } from "@reprise/store-postgres";
import { waitFor } from "@reprise/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
} from "../../store-postgres/test/postgres-server.js";
import { parseDbOption } from "../src/index.js";
import { nap, order } from "./fixtures/workflows-v1.js";
import { FIXTURES, runCli } from "./helpers.js";

describe("--db as a URL", () => {
  it("takes the schema from ?schema=, else --schema, else reprise, and hides the password", () => {
    expect(parseDbOption("postgres://u:secret@db:5432/app?schema=orders", "/")).toMatchObject({
      kind: "postgres",
      connectionString: "postgres://u:secret@db:5432/app",
      schema: "orders",
      shownAs: "postgres://u:***@db:5432/app (schema orders)",
    });
    expect(parseDbOption("postgresql://db/app", "/", "billing")).toMatchObject({ schema: "billing" });
    expect(parseDbOption("postgres://db/app", "/")).toMatchObject({ schema: "reprise" });
    expect(parseDbOption("./reprise.db", "/srv")).toEqual({
      kind: "sqlite",
      filename: "/srv/reprise.db",
      shownAs: "./reprise.db",
    });
    expect(() => parseDbOption("postgres://db/app?schema=a", "/", "b")).toThrow(/names schema 'a' and --schema 'b'/);
    expect(() => parseDbOption("./reprise.db", "/", "b")).toThrow(/--schema applies to a PostgreSQL --db/);
  });
});

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "the commands on PostgreSQL", () => {
  const schema = freshSchemaName();
  const url = `${POSTGRES_URL}?schema=${schema}`;

  beforeAll(async () => {
    requirePostgres();
    // order-1 and order-2 wait for `approve`, nap-1 sleeps, order-3 completed: as helpers.ts seeds a file.
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    const engine = createEngine({ store, workflows: [order, nap], pollIntervalMs: 20 });
    try {
      for (const id of ["order-1", "order-2", "order-3"])
        await engine.start(order, { orderId: id, cents: 1250 }, { id });
      await engine.start(nap, undefined, { id: "nap-1" });
      await waitFor(async () => (await engine.getRun("order-3"))?.status === "waiting", { message: "order-3 to wait" });
      await engine.signal("order-3", "approve", { by: "ada" });
      await waitFor(async () => (await engine.getRun("order-3"))?.status === "completed", { message: "order-3" });
      await waitFor(async () => (await engine.listRuns({ status: ["waiting", "sleeping"] })).length === 3, {
        message: "the other runs to park",
      });
    } finally {
      await engine.close();
      await store.close();
    }
  }, 60_000);
  afterAll(() => dropSchema(schema));

  it("runs lists the schema's runs, newest first, with filters", async () => {
    const { code, stdout } = await runCli(["runs", "--db", url, "--json"]);
    expect(code).toBe(0);
    const runs = (JSON.parse(stdout) as { runs: { id: string; status: string }[] }).runs;
    expect(runs.map((run) => run.id)).toEqual(["nap-1", "order-3", "order-2", "order-1"]);
    const waiting = await runCli(["runs", "--db", POSTGRES_URL, "--schema", schema, "--status", "waiting"]);
    expect(waiting.code).toBe(0);
    expect(waiting.stdout).toMatch(/order-2 .*waiting/);
    expect(waiting.stdout).not.toContain("nap-1");
  });

  it("show prints a run's header and timeline", async () => {
    const { code, stdout } = await runCli(["show", "order-3", "--db", url]);
    expect(code).toBe(0);
    expect(stdout).toContain("order-3");
    expect(stdout).toContain("completed");
    const missing = await runCli(["show", "no-such-run", "--db", url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no run with id 'no-such-run'/);
  });

  it("signal stores a signal, cancel requests a cancellation", async () => {
    const signal = await runCli(["signal", "order-1", "approve", '{"by":"grace"}', "--db", url, "--id", "s-1"]);
    expect(signal.code).toBe(0);
    expect(signal.stdout).toContain("sent signal 'approve' to order-1");
    const again = await runCli(["signal", "order-1", "approve", '{"by":"grace"}', "--db", url, "--id", "s-1"]);
    expect(again.stdout).toContain("already sent");
    const cancel = await runCli(["cancel", "order-2", "--db", url, "--reason", "test"]);
    expect(cancel.code).toBe(0);
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    try {
      expect((await store.getRun("order-2"))?.cancelRequested).toBe(true);
      expect((await store.pendingSignals("order-1", 10)).map((s) => s.signalId)).toEqual(["s-1"]);
    } finally {
      await store.close();
    }
  });

  it("verify replays the unfinished runs: passes with the same code, fails (exit 3) with a renamed step", async () => {
    const same = await runCli(["verify", "--workflows", FIXTURES.v1, "--db", url]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^checked 3 unfinished runs in /);
    const renamed = await runCli(["verify", "--workflows", FIXTURES.v2, "--db", url, "--json"]);
    expect(renamed.code).toBe(3);
    expect((JSON.parse(renamed.stdout) as { problems: unknown[] }).problems.length).toBeGreaterThan(0);
  });

  it("start creates a run by name on the highest version served", async () => {
    const { code, stdout } = await runCli(["start", "nap", "--id", "nap-2", "--db", url, "--json"]);
    expect(code).toBe(0);
    expect(stdout).toContain("nap-2");
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema });
    try {
      expect(await store.getRun("nap-2")).toMatchObject({ workflow: "nap", version: 1, status: "pending" });
    } finally {
      await store.close();
    }
  });

  it("a mistyped schema is an error for every reading or acting command, and is not created", async () => {
    const typo = `${schema}_typo`;
    for (const args of [["runs"], ["show", "order-1"], ["cancel", "order-1"], ["start", "nap"]]) {
      const { code, stderr } = await runCli([...args, "--db", `${POSTGRES_URL}?schema=${typo}`]);
      expect(code, args.join(" ")).toBe(1);
      expect(stderr).toContain(`schema '${typo}' holds no Reprise store. Check the schema name`);
    }
    const probe = await PostgresStore.open({ connectionString: POSTGRES_URL, schema: typo, migrate: false }).catch(
      (error: unknown) => error,
    );
    expect(probe).toMatchObject({ name: "SchemaNotFoundError" });
  });

  it("an unreachable server is one clear line (exit 1)", async () => {
    const { code, stderr } = await runCli(["runs", "--db", "postgres://nobody@127.0.0.1:1/none?schema=x"]);
    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toMatch(/^error: cannot open postgres:\/\/nobody@127\.0\.0\.1:1\/none \(schema x\)/);
  });
});
