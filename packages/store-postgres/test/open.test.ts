// Opening a PostgresStore: options are checked and frozen, and each way it cannot be used says why and how to fix
// it (no server, a bad schema name, a schema from a newer version, a schema with other tables); a caller's pool.
import { EVENT_LOG_FORMAT_VERSION } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import {
  LATEST_SCHEMA_VERSION,
  NotAStoreSchemaError,
  PostgresStore,
  PostgresUnreachableError,
  SchemaNotFoundError,
  SchemaTooNewError,
  SchemaTooOldError,
} from "../src/index.js";
import { resolvePostgresStoreOptions } from "../src/postgres-store-options.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
  withClient,
} from "./postgres-server.js";

describe("PostgresStore.open options (no server needed)", () => {
  it("refuses a schema that is not a plain lower-case identifier, naming the default", async () => {
    for (const schema of ["", "Reprise", "1st", "a-b", 'x"; drop table runs; --', "pg_catalog", "x".repeat(64)]) {
      await expect(PostgresStore.open({ connectionString: POSTGRES_URL, schema }), schema).rejects.toMatchObject({
        code: "INVALID_ARGUMENT",
        message: expect.stringContaining('the default is "reprise"') as unknown,
      });
    }
  });

  it("needs a connectionString or a pool, a pool size of at least 1 and a connect timeout of at least 0", async () => {
    await expect(PostgresStore.open({})).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(PostgresStore.open({ connectionString: POSTGRES_URL, max: 0 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(PostgresStore.open({ connectionString: POSTGRES_URL, connectTimeoutMs: -1 })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("refuses a groupCommit that is not a boolean", async () => {
    await expect(
      PostgresStore.open({ connectionString: POSTGRES_URL, groupCommit: "yes" as unknown as boolean }),
    ).rejects.toThrow(/groupCommit/);
  });

  it("fills in the defaults and freezes its own copy", () => {
    const options = { connectionString: POSTGRES_URL };
    const resolved = resolvePostgresStoreOptions(options);
    expect(resolved).toEqual({
      connectionString: POSTGRES_URL,
      schema: "reprise",
      max: 10,
      connectTimeoutMs: 10_000,
      pool: undefined,
      groupCommit: true,
      migrate: true,
    });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(resolved).not.toBe(options);
  });

  it("reports an unreachable server as PostgresUnreachableError, without the password", async () => {
    const error: unknown = await PostgresStore.open({
      connectionString: "postgres://app:s3cret@127.0.0.1:1/app",
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PostgresUnreachableError);
    expect(error).toMatchObject({ code: "STORE_ERROR", target: "127.0.0.1:1/app" });
    expect((error as Error).message).toMatch(
      /Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/app: .*server is running/,
    );
    expect((error as Error).message).not.toContain("s3cret");
  });

  it("gives up on a server that does not answer after connectTimeoutMs", async () => {
    // A non-routable address: packets are dropped (or the network says so at once); either way, no hang.
    const opening = PostgresStore.open({
      connectionString: "postgres://app@10.255.255.1:5432/app",
      connectTimeoutMs: 300,
    });
    await expect(opening).rejects.toBeInstanceOf(PostgresUnreachableError);
  });
});

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "PostgresStore.open on a server", () => {
  const schemas: string[] = [];
  const schema = () => {
    requirePostgres();
    const name = freshSchemaName();
    schemas.push(name);
    return name;
  };

  afterEach(async () => {
    for (const name of schemas.splice(0)) await dropSchema(name);
  });

  it("refuses a schema migrated by a newer version, and leaves it as it was", async () => {
    const name = schema();
    await (await PostgresStore.open({ connectionString: POSTGRES_URL, schema: name })).close();
    const newer = LATEST_SCHEMA_VERSION + 1;
    await withClient((client) =>
      client.query(`update "${name}".meta set value = ${newer} where key = 'schema_version'`),
    );
    const error: unknown = await PostgresStore.open({ connectionString: POSTGRES_URL, schema: name }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect(error).toMatchObject({ code: "STORE_ERROR", found: newer, supported: LATEST_SCHEMA_VERSION });
    expect((error as Error).message).toContain("Upgrade @reprise/store-postgres");
    const { rows } = await withClient((client) =>
      client.query<{ value: string }>(`select value from "${name}".meta where key = 'schema_version'`),
    );
    expect(Number(rows[0]?.value)).toBe(newer);
  });

  it("with migrate: false, opens an existing store and creates no missing schema", async () => {
    const name = schema();
    const missing: unknown = await PostgresStore.open({
      connectionString: POSTGRES_URL,
      schema: name,
      migrate: false,
    }).catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(SchemaNotFoundError);
    expect((missing as Error).message).toContain(`schema '${name}' holds no Reprise store. Check the schema name`);
    const { rows } = await withClient((client) =>
      client.query(`select 1 from pg_namespace where nspname = $1`, [name]),
    );
    expect(rows).toEqual([]);
    await (await PostgresStore.open({ connectionString: POSTGRES_URL, schema: name })).close();
    const store = await PostgresStore.open({ connectionString: POSTGRES_URL, schema: name, migrate: false });
    expect(await store.listRuns({ limit: 1 })).toEqual([]);
    await store.close();
  });

  // An older store needs a schema version before the latest: none exists while the latest is 1.
  it.skipIf(LATEST_SCHEMA_VERSION < 2)("with migrate: false, refuses an older store without migrating it", async () => {
    const name = schema();
    const older = LATEST_SCHEMA_VERSION - 1;
    await (await PostgresStore.open({ connectionString: POSTGRES_URL, schema: name })).close();
    await withClient((client) =>
      client.query(`update "${name}".meta set value = ${older} where key = 'schema_version'`),
    );
    const error: unknown = await PostgresStore.open({
      connectionString: POSTGRES_URL,
      schema: name,
      migrate: false,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaTooOldError);
    expect(error).toMatchObject({ found: older, supported: LATEST_SCHEMA_VERSION });
    expect((error as Error).message).toContain("Start a worker of this version on it once to migrate it");
    const { rows } = await withClient((client) =>
      client.query<{ value: string }>(`select value from "${name}".meta where key = 'schema_version'`),
    );
    expect(Number(rows[0]?.value)).toBe(older);
  });

  it("refuses a migrate option that is not a boolean", async () => {
    await expect(
      PostgresStore.open({ connectionString: POSTGRES_URL, migrate: "no" as unknown as boolean }),
    ).rejects.toThrow(/migrate/);
  });

  it("refuses a schema that holds other tables, and creates nothing in it", async () => {
    const name = schema();
    await withClient(async (client) => {
      await client.query(`create schema "${name}"`);
      await client.query(`create table "${name}".customers (id int)`);
    });
    await expect(PostgresStore.open({ connectionString: POSTGRES_URL, schema: name })).rejects.toBeInstanceOf(
      NotAStoreSchemaError,
    );
    const { rows } = await withClient((client) =>
      client.query<{ tablename: string }>(`select tablename from pg_tables where schemaname = $1`, [name]),
    );
    expect(rows.map((row) => row.tablename)).toEqual(["customers"]);
  });

  it("runs on a caller's pool: numbers come back as numbers, and close() leaves the pool open", async () => {
    const name = schema();
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 2 });
    try {
      const store = await PostgresStore.open({ pool, schema: name });
      const atMs = Date.UTC(2200, 0, 1);
      const startedEvent = encodeEvent(
        { type: "run_started", seq: 1, atMs, workflow: "w", input: null, formatVersion: EVENT_LOG_FORMAT_VERSION },
        "input",
        1 << 20,
      );
      const { run } = await store.createRun({ id: "r1", workflow: "w", input: "null", startedEvent, nowMs: atMs });
      expect(await store.getRun("r1")).toEqual(run);
      expect((await store.readEvents("r1"))[0]?.atMs).toBe(atMs);
      expect(await store.nextDueAtMs([{ name: "w", version: 1 }])).toBe(atMs);
      await store.close();
      // The pool is still the caller's, with pg's own parsers: bigint stays a string there.
      const { rows } = await pool.query<{ created: unknown }>(`select created_at_ms as created from "${name}".runs`);
      expect(rows[0]?.created).toBe(String(atMs));
    } finally {
      await pool.end();
    }
  });
});
