// The PostgreSQL server the tests run against: found once per test file, or the suites are skipped with one line
// on the terminal; REPRISE_REQUIRE naming "postgres" (CI) turns a missing server into a failure instead.
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread } from "node:worker_threads";
import pg from "pg";

/** The server's URL; REPRISE_TEST_POSTGRES_URL points elsewhere. */
export const POSTGRES_URL = process.env.REPRISE_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/** Outside dependencies that must be present (comma-separated, e.g. "chromium,postgres"): .ci/run sets it. */
const REQUIRED = (process.env.REPRISE_REQUIRE ?? "").split(",").map((name) => name.trim().toLowerCase());

/** Why the server cannot be used, or undefined when it answered. */
async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

const problem = await probe();

/** Whether the suites of this file are skipped: no server, and none required. */
export const skipPostgres = problem !== undefined && !REQUIRED.includes("postgres");

/** The title of a skipped suite (and the one line printed): why, and how to run it. */
export const SKIPPED =
  `skipped: no PostgreSQL at ${withoutPassword(POSTGRES_URL)} (${problem ?? ""}); start one or set ` +
  `REPRISE_TEST_POSTGRES_URL (CI requires it via REPRISE_REQUIRE=postgres)`;

// One line on the terminal (vitest's summary only counts skipped tests): say why, and how to run them.
if (skipPostgres && firstToSay()) process.stderr.write(`PostgresStore tests ${SKIPPED}\n`);

/**
 * Whether this test file is the first of the vitest run to report the skip: every file probes on its own (each
 * runs in a worker of its own), but the terminal gets the line once. The run is told apart by the vitest
 * process all workers share: the parent of a forked worker, or the process of a worker thread.
 */
function firstToSay(): boolean {
  const run = isMainThread ? process.ppid : process.pid;
  try {
    closeSync(openSync(join(tmpdir(), `reprise-postgres-skip-${run}`), "wx"));
    return true;
  } catch {
    return false;
  }
}

/** A connection URL fit to print: its password replaced by "***". */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "REPRISE_TEST_POSTGRES_URL (not a valid URL)";
  }
}

/**
 * Fails with a fix when the server is required but missing (REPRISE_REQUIRE=postgres); call it before using one.
 *
 * @example
 * beforeAll(() => requirePostgres());
 */
export function requirePostgres(): void {
  if (problem === undefined) return;
  throw new Error(
    `PostgreSQL is not reachable at ${withoutPassword(POSTGRES_URL)} (${problem}), and REPRISE_REQUIRE=${process.env.REPRISE_REQUIRE ?? ""} ` +
      `requires it: start a server (trust auth, database "test"), or set REPRISE_TEST_POSTGRES_URL to one.`,
  );
}

/**
 * A schema name no other test uses (the schema itself does not exist yet).
 *
 * @example
 * const schema = freshSchemaName(); // "reprise_test_3f9c2a1b7d4e"
 */
export function freshSchemaName(): string {
  return `reprise_test_${randomBytes(6).toString("hex")}`;
}

/**
 * Drops a test's schema and everything in it.
 *
 * @example
 * await dropSchema(schema);
 */
export async function dropSchema(schema: string): Promise<void> {
  await withClient((client) => client.query(`drop schema if exists "${schema}" cascade`));
}

/**
 * Runs `body` with a connection of its own (outside any store), then closes it.
 *
 * @example
 * await withClient((client) => client.query("select 1"));
 */
export async function withClient<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}
