// Public surface of @reprise/store-sqlite: the SQLite-backed Store (also a RunReader), its options, the read-only
// SqliteRunReader for tools, and errors. The schema, statements and migrations stay internal.
export { SqliteStore, type SqliteStoreStats } from "./sqlite-store.js";
export type { SqliteStoreOptions } from "./sqlite-store-options.js";
export { SqliteRunReader } from "./run-reader.js";
export {
  DatabaseFileLostError,
  StoreFileUnreadableError,
  type StoreFileKind,
  type StoreFileProblem,
  type StoreFileUnreadableProblem,
} from "./errors.js";
export { LATEST_SCHEMA_VERSION, REPRISE_APPLICATION_ID } from "./migrations.js";
