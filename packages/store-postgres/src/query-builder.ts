// Kysely as a query *compiler* for PostgreSQL: SQL text plus a binder from named arguments to $1, $2, ...
// Statements are compiled once per schema (statements.ts), so no hot path builds or compiles a query tree.
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
} from "kysely";
import type { Database } from "./schema.js";

/**
 * A Kysely instance typed with the store's schema that compiles PostgreSQL and never executes anything; the
 * store runs what it compiles through its own pool-backed Kysely (postgres-store.ts).
 *
 * @example
 * const { sql } = builder.withSchema("reprise").selectFrom("runs").select("id").compile();
 */
export const builder = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

/** Placeholder for a value supplied at execution time; see `param`. */
class NamedParameter {
  constructor(readonly name: string) {}
}

/**
 * A placeholder for use inside a Kysely query; the value comes from the arguments object at execution time under
 * `name`. Typed `never` so it fits any column; `compileStatement` types the arguments.
 *
 * @example
 * compileStatement<{ id: string }>(builder.selectFrom("runs").select("status").where("id", "=", param("id")));
 */
export function param(name: string): never {
  return new NamedParameter(name) as never;
}

/** A compiled query plus how to turn an arguments object into its positional parameters. */
export interface CompiledStatement<A> {
  readonly compiled: CompiledQuery;
  bind(args: A): unknown[];
}

/**
 * Compiles a query once; constants stay constants, `param()` placeholders are read from `args` at each call.
 * A named parameter used twice is bound twice (PostgreSQL's compiler numbers every occurrence).
 *
 * @example
 * const getRun = compileStatement<{ id: string }>(builder.selectFrom("runs").selectAll().where("id", "=", param("id")));
 * getRun.bind({ id: "order-1" }); // ["order-1"]
 */
export function compileStatement<A extends Record<string, unknown>>(query: {
  compile(): CompiledQuery;
}): CompiledStatement<A> {
  const compiled = query.compile();
  const slots = compiled.parameters.map((value): Slot =>
    value instanceof NamedParameter
      ? { name: value.name, constant: undefined }
      : { name: undefined, constant: toPostgres(value) },
  );
  return {
    compiled,
    bind(args: A): unknown[] {
      return slots.map((slot) => (slot.name === undefined ? slot.constant : toPostgres(args[slot.name])));
    },
  };
}

/** One positional parameter: read from the arguments under `name`, or a constant of the query. */
type Slot =
  { readonly name: string; readonly constant: undefined } | { readonly name: undefined; readonly constant: unknown };

/** node-postgres sends `undefined` as NULL already; making it explicit keeps bound arrays free of holes. */
function toPostgres(value: unknown): unknown {
  return value === undefined ? null : value;
}
