// Errors of @reprise/store-postgres: the server or the schema a store is pointed at cannot be used.
// Each extends core's StoreError (so `instanceof StoreError` and code STORE_ERROR hold) and says how to fix it.
import { StoreError } from "@reprise/core";

/**
 * The PostgreSQL server could not be reached (refused, unknown host, timed out, authentication failed) while
 * opening a store. `target` names host, port and database only: never the password.
 *
 * @example
 * try {
 *   await PostgresStore.open({ connectionString: process.env.DATABASE_URL });
 * } catch (error) {
 *   if (error instanceof PostgresUnreachableError) console.error(`is PostgreSQL running at ${error.target}?`);
 * }
 */
export class PostgresUnreachableError extends StoreError {
  /** `host:port/database`, as the store tried to connect. */
  readonly target: string;

  constructor(target: string, detail: string, options?: { cause?: unknown }) {
    super(
      `Cannot connect to PostgreSQL at ${target}: ${detail}. Check that the server is running and reachable from ` +
        `here, and that connectionString (user, password, host, port, database) is right.`,
      options,
    );
    this.target = target;
  }
}

/**
 * The schema was migrated by a newer @reprise/store-postgres than this one: this code does not know its tables.
 *
 * @example
 * try {
 *   await PostgresStore.open({ connectionString, schema: "reprise" });
 * } catch (error) {
 *   if (error instanceof SchemaTooNewError) console.error(error.found, ">", error.supported);
 * }
 */
export class SchemaTooNewError extends StoreError {
  readonly schema: string;
  readonly found: number;
  readonly supported: number;

  constructor(schema: string, found: number, supported: number) {
    super(
      `PostgreSQL schema '${schema}' has Reprise schema version ${found}, newer than this version of ` +
        `@reprise/store-postgres supports (${supported}). Upgrade @reprise/store-postgres in every process that ` +
        `opens it, or point this one at another schema.`,
    );
    this.schema = schema;
    this.found = found;
    this.supported = supported;
  }
}

/**
 * The schema holds tables that are not a Reprise store's (it has no Reprise `meta` table): the store refuses to
 * write next to them.
 *
 * @example
 * await PostgresStore.open({ connectionString, schema: "public" }); // rejects if `public` holds other tables
 */
export class NotAStoreSchemaError extends StoreError {
  readonly schema: string;

  constructor(schema: string) {
    super(
      `PostgreSQL schema '${schema}' already has tables but is not a Reprise store. Pass another schema ` +
        `(e.g. { schema: "reprise" }): the store creates it if it is missing.`,
    );
    this.schema = schema;
  }
}

/**
 * `PostgresStore.open({ migrate: false })` found no Reprise store in the schema (it is missing, or empty).
 *
 * @example
 * await PostgresStore.open({ connectionString, schema: "reprsie", migrate: false }); // rejects: no such store
 */
export class SchemaNotFoundError extends StoreError {
  readonly schema: string;

  constructor(schema: string) {
    super(
      `PostgreSQL schema '${schema}' holds no Reprise store. Check the schema name (?schema= in the URL, or ` +
        `--schema); a worker creates the store when it first opens the schema.`,
    );
    this.schema = schema;
  }
}

/**
 * `PostgresStore.open({ migrate: false })` found a store of an older schema version, which it must not migrate.
 *
 * @example
 * await PostgresStore.open({ connectionString, migrate: false }); // rejects until a worker has migrated it
 */
export class SchemaTooOldError extends StoreError {
  readonly schema: string;
  readonly found: number;
  readonly supported: number;

  constructor(schema: string, found: number, supported: number) {
    super(
      `PostgreSQL schema '${schema}' has Reprise schema version ${found}, older than this version of ` +
        `@reprise/store-postgres reads (${supported}). Start a worker of this version on it once to migrate it.`,
    );
    this.schema = schema;
    this.found = found;
    this.supported = supported;
  }
}
