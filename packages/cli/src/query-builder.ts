// The CLI's read-only queries are built with @reprise/store-sqlite's own schema types and compile-only Kysely
// builder, so a schema change there is a type error here. run-queries.ts runs the SQL on a read-only connection.
import type { CompiledQuery } from "kysely";

export { storeQueryBuilder as builder } from "@reprise/store-sqlite";

/** A compiled query: SQL text and its positional parameters. */
export type Compiled = Pick<CompiledQuery, "sql" | "parameters">;
