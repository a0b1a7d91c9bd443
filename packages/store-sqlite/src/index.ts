// Public surface of @reprise/store-sqlite: the SQLite-backed Store and its options, plus the schema's row types
// and a compile-only query builder for read-only tools. Statements and migrations stay internal.
export { SqliteStore, type SqliteStoreStats } from "./sqlite-store.js";
export type { SqliteStoreOptions } from "./sqlite-store-options.js";
export { DatabaseFileLostError, type StoreFileKind, type StoreFileProblem } from "./errors.js";
export { LATEST_SCHEMA_VERSION, REPRISE_APPLICATION_ID } from "./migrations.js";
export { builder as storeQueryBuilder } from "./query-builder.js";
export type { Database as StoreSchema, RunsTable, EventsTable, SignalsTable, WorkflowsTable } from "./schema.js";
