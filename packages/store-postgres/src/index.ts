// Public surface of @reprise/store-postgres: the PostgreSQL-backed Store (also a RunReader), its options, stats and
// errors. The schema, statements, migrations and the pool plumbing stay internal.
export { PostgresStore, type PostgresStoreStats } from "./postgres-store.js";
export type { PostgresStoreOptions } from "./postgres-store-options.js";
export {
  NotAStoreSchemaError,
  PostgresUnreachableError,
  SchemaNotFoundError,
  SchemaTooNewError,
  SchemaTooOldError,
} from "./errors.js";
export { LATEST_SCHEMA_VERSION } from "./migrations.js";
