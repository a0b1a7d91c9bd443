// Public surface of @reprise/store-sqlite: the SQLite-backed Store and its options.
// Schema, statements and migrations stay internal so they can change without breaking users.
export { SqliteStore, type SqliteStoreOptions, type SqliteStoreStats } from "./sqlite-store.js";
export { LATEST_SCHEMA_VERSION, REPRISE_APPLICATION_ID } from "./migrations.js";
