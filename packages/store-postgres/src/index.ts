// Public surface of @reprise/store-postgres: the PostgreSQL-backed Store, its options and errors, and the schema's
// row types. Statements, migrations and the pool plumbing stay internal.
export { PostgresStore, type PostgresStoreStats } from "./postgres-store.js";
export type { PostgresStoreOptions } from "./postgres-store-options.js";
export { NotAStoreSchemaError, PostgresUnreachableError, SchemaTooNewError } from "./errors.js";
export { LATEST_SCHEMA_VERSION } from "./migrations.js";
export type { Database as StoreSchema, RunsTable, EventsTable, SignalsTable, WorkflowsTable } from "./schema.js";
