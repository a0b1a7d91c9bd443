// The connection pool under a PostgresStore: a pg.Pool whose clients read bigint columns as numbers, or the
// caller's own pool wrapped so that only the store's queries do. Also how a connection failure is described.
import type { PostgresPool, PostgresPoolClient } from "kysely";
import pg from "pg";
import type { ResolvedPostgresStoreOptions } from "./postgres-store-options.js";

/** PostgreSQL's type oid of `bigint` (int8). */
const INT8_OID = 20;

/**
 * The store's own type parsers: `bigint` (epoch-ms times, run keys, signal positions, counters) as a JS number.
 * They stay within Number.MAX_SAFE_INTEGER (a ms time reaches it in the year 287,586). Everything else is pg's
 * default. Set per pool or per query, never on the global `pg.types`, so other users of `pg` keep strings.
 */
export const STORE_TYPES: pg.CustomTypesConfig = {
  getTypeParser: storeTypeParser as pg.CustomTypesConfig["getTypeParser"],
};

/** A bigint in text form as a number; see STORE_TYPES. */
const parseInt8 = (value: string): number => Number(value);

function storeTypeParser(oid: number, format?: "text" | "binary"): (value: string) => unknown {
  if (oid === INT8_OID && format !== "binary") return parseInt8;
  return pg.types.getTypeParser(oid, format ?? "text") as (value: string) => unknown;
}

/** What a store runs on: the pool Kysely borrows connections from, and whether closing the store ends it. */
export interface StorePool {
  readonly pool: PostgresPool;
  /** Ends the pool if the store created it; a caller's pool is left open. */
  end(): Promise<void>;
}

/**
 * Creates the store's pool from the options (or wraps the caller's).
 *
 * @example
 * const { pool, end } = createStorePool(resolvePostgresStoreOptions({ connectionString }));
 */
export function createStorePool(options: ResolvedPostgresStoreOptions): StorePool {
  if (options.pool !== undefined) return { pool: borrowed(options.pool), end: async () => {} };
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    types: STORE_TYPES,
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, that would crash the process.
  // The next query on a fresh client reports the problem where it can be handled, so nothing is lost here.
  pool.on("error", () => {});
  // While a client is checked out pg-pool drops that listener, and a connection lost between two statements
  // (a transaction between its queries, a backend terminated, the server restarted) makes the client emit
  // 'error' with no listener: an uncaught exception that kills the whole process. Every client keeps a listener
  // for good; the loss still surfaces as the rejection of the statement that tries it, and pg-pool discards
  // the unusable client when it comes back.
  pool.on("connect", (client) => client.on("error", ignoreClientError));
  return { pool, end: () => pool.end() };
}

/** Swallows a client's 'error' event: the failed statement (or the next one) reports the loss where it is handled. */
function ignoreClientError(): void {}

/** A caller's pool whose clients run the store's queries with STORE_TYPES, and which the store never ends. */
function borrowed(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      // As for the store's own pool (see createStorePool): a connection lost while the store holds the client
      // must not crash the caller's process. The listener lives as long as the checkout.
      client.on("error", ignoreClientError);
      return {
        query: ((sql: string, parameters: readonly unknown[]) =>
          client.query({
            text: sql,
            values: [...parameters],
            types: STORE_TYPES,
          })) as unknown as PostgresPoolClient["query"],
        release: (destroy?: boolean) => {
          client.removeListener("error", ignoreClientError);
          client.release(destroy);
        },
      };
    },
    end: async () => {},
  };
}

/**
 * `host:port/database` of a connection string, for messages: never its user or password.
 *
 * @example
 * describeTarget("postgres://app:secret@db:5432/shop"); // "db:5432/shop"
 */
export function describeTarget(connectionString: string | undefined): string {
  if (connectionString === undefined) return "the given pool's server";
  try {
    const url = new URL(connectionString);
    return `${url.hostname || "localhost"}:${url.port || "5432"}${url.pathname === "/" ? "" : url.pathname}`;
  } catch {
    return "the server in connectionString (not a valid URL)";
  }
}

/** Codes of errors that mean "no usable connection to the server", as node and PostgreSQL report them. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "28000", // invalid_authorization_specification
  "28P01", // invalid_password
  "3D000", // invalid_catalog_name: the database does not exist
  "57P03", // cannot_connect_now: the server is starting up or shutting down
]);

/**
 * Whether `error` says the server cannot be used at all (as opposed to a failing statement).
 *
 * @example
 * if (isUnreachable(error)) throw new PostgresUnreachableError(target, describePgError(error));
 */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNREACHABLE_CODES.has(code)) return true;
  // AggregateError (node tries each address of "localhost") carries the codes on its members.
  if (error instanceof AggregateError) return error.errors.some(isUnreachable);
  return error instanceof Error && /connection terminated|timeout exceeded when trying to connect/i.test(error.message);
}

/**
 * PostgreSQL's words plus its SQLSTATE (or node's error code), for a StoreError's message.
 *
 * @example
 * describePgError(error); // 'relation "reprise.runs" does not exist [42P01]'
 */
export function describePgError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message =
    error.message || (error instanceof AggregateError ? error.errors.map(describePgError).join("; ") : "");
  return `${message || error.name}${typeof code === "string" ? ` [${code}]` : ""}`;
}
