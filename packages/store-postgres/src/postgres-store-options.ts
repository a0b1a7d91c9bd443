// The options of PostgresStore.open: what each one means, its default, and the check that refuses a bad value.
// Pure: it validates, fills in defaults and freezes a copy; it never connects.
import { InvalidArgumentError } from "@reprise/core";
import type pg from "pg";

/**
 * Options of `PostgresStore.open`. Give `connectionString`, or a `pool` of your own.
 *
 * @example
 * await PostgresStore.open({ connectionString: "postgres://app@db:5432/app", schema: "reprise", max: 20 });
 */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; required unless `pool` is given. */
  readonly connectionString?: string | undefined;
  /**
   * The PostgreSQL schema holding the store's tables (created if missing). Default "reprise". A plain lower-case
   * identifier (letters, digits, `_`; not starting with a digit; at most 63 bytes), so it never needs quoting.
   */
  readonly schema?: string | undefined;
  /** Connections of the pool the store creates (ignored with `pool`). Default 10. */
  readonly max?: number | undefined;
  /**
   * How long opening a connection may take before it fails (ignored with `pool`). Default 10,000 ms: a server
   * that drops packets makes `open()` reject with PostgresUnreachableError instead of hanging. 0 waits for ever.
   */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * A pool of your own to run on instead of one from `connectionString`. The store does not end it on `close()`
   * (it is yours), and reads bigint columns as numbers per query, leaving the pool's type parsers alone.
   */
  readonly pool?: pg.Pool | undefined;
  /**
   * Group commit (default true): writes requested while a batch is being written share the next batch's
   * transaction and COMMIT, each still atomic and failing alone (group-commit.ts). `false` gives every write a
   * transaction of its own on any free pool connection: one COMMIT (and WAL flush) per write, the way to compare.
   */
  readonly groupCommit?: boolean | undefined;
  /**
   * Create and migrate the schema as needed (default true). `false` opens an existing store only, changing
   * nothing: a missing schema rejects with SchemaNotFoundError and an older version with SchemaTooOldError. Tools
   * that read or act on runs (the `reprise` CLI, the inspector) open this way, so a mistyped schema name is an
   * error rather than a new, empty store.
   */
  readonly migrate?: boolean | undefined;
}

/** PostgresStoreOptions checked, with every default filled in. */
export interface ResolvedPostgresStoreOptions {
  readonly connectionString: string | undefined;
  readonly schema: string;
  readonly max: number;
  readonly connectTimeoutMs: number;
  readonly pool: pg.Pool | undefined;
  readonly groupCommit: boolean;
  readonly migrate: boolean;
}

/** Default of `PostgresStoreOptions.schema`. */
export const DEFAULT_SCHEMA = "reprise";
/** Default of `PostgresStoreOptions.max`. */
const DEFAULT_MAX = 10;
/** Default of `PostgresStoreOptions.connectTimeoutMs`. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Unquoted identifiers only: no quoting rules to get wrong, and the name reads the same in psql. */
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Checks `options` and fills in the defaults; throws InvalidArgumentError naming the option and how to fix it.
 *
 * @example
 * resolvePostgresStoreOptions({ connectionString: "postgres://localhost/app" }).schema; // "reprise"
 */
export function resolvePostgresStoreOptions(options: PostgresStoreOptions): ResolvedPostgresStoreOptions {
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError(
      'PostgresStore.open() needs an options object, e.g. { connectionString: "postgres://localhost/app" }.',
    );
  }
  const {
    connectionString,
    schema = DEFAULT_SCHEMA,
    max = DEFAULT_MAX,
    connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS,
    pool,
    groupCommit = true,
    migrate = true,
  } = options;
  if (pool === undefined && (typeof connectionString !== "string" || connectionString.length === 0)) {
    throw new InvalidArgumentError(
      'PostgresStore.open() needs { connectionString } (e.g. "postgres://user@localhost:5432/app") or { pool }.',
    );
  }
  if (
    typeof schema !== "string" ||
    !IDENTIFIER.test(schema) ||
    Buffer.byteLength(schema) > 63 ||
    schema.startsWith("pg_")
  ) {
    throw new InvalidArgumentError(
      `PostgresStore.open({ schema }) must be a lower-case identifier (letters, digits and _, not starting with a ` +
        `digit or "pg_", at most 63 bytes), got ${JSON.stringify(schema)}; the default is "${DEFAULT_SCHEMA}".`,
    );
  }
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new InvalidArgumentError(
      `PostgresStore.open({ max }) must be an integer ≥ 1 (got ${String(max)}); the default is ${DEFAULT_MAX}.`,
    );
  }
  if (!Number.isSafeInteger(connectTimeoutMs) || connectTimeoutMs < 0) {
    throw new InvalidArgumentError(
      `PostgresStore.open({ connectTimeoutMs }) must be an integer ≥ 0 (got ${String(connectTimeoutMs)}); the ` +
        `default is ${DEFAULT_CONNECT_TIMEOUT_MS}.`,
    );
  }
  if (typeof groupCommit !== "boolean") {
    throw new InvalidArgumentError(
      `PostgresStore.open({ groupCommit }) must be true or false (got ${String(groupCommit)}); the default is true.`,
    );
  }
  if (typeof migrate !== "boolean") {
    throw new InvalidArgumentError(
      `PostgresStore.open({ migrate }) must be true or false (got ${String(migrate)}); the default is true.`,
    );
  }
  return Object.freeze({ connectionString, schema, max, connectTimeoutMs, pool, groupCommit, migrate });
}
