// Kysely as a query *compiler* only: builds SQL and parameter lists that better-sqlite3 executes directly.
// Named parameters let one compiled statement be prepared once and reused with new values (the hot path).
import {
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
} from "kysely";
import type { Database } from "./schema.js";

/**
 * A Kysely instance typed with the store's schema that compiles queries for SQLite and never executes them.
 * Tools that read a store file directly (read-only) build their SQL with it, so a schema change is a type error.
 *
 * @example
 * const { sql, parameters } = storeQueryBuilder.selectFrom("runs").select("id").where("status", "=", "waiting").compile();
 * const ids = readonlyDb.prepare(sql).all(...parameters);
 */
export const builder = new Kysely<Database>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new SqliteIntrospector(db),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

/** Placeholder for a value supplied at execution time; see `param`. */
class NamedParameter {
  constructor(readonly name: string) {}
}

/**
 * A placeholder for use inside a Kysely query; the value comes from the arguments object at
 * execution time under `name`. Typed `never` so it fits any column; `compileStatement` types the arguments.
 */
export function param(name: string): never {
  return new NamedParameter(name) as never;
}

/** SQL plus how to turn an arguments object into better-sqlite3's positional parameters. */
export interface CompiledStatement<A> {
  readonly sql: string;
  bind(args: A): unknown[];
}

/**
 * Compiles a query once; constants stay constants, `param()` placeholders are read from `args`.
 *
 * The binder is generated per statement (`new Function`, from parameter names the code itself chose, never
 * from input): a shared generic binder reads every statement's arguments at one call site, which V8 then
 * handles as megamorphic, and costs up to 0.6 µs per call on the hot path; a binder of its own reads one
 * object shape and keeps the cached statement within a few percent of raw better-sqlite3.
 */
export function compileStatement<A extends Record<string, unknown>>(query: {
  compile(): CompiledQuery;
}): CompiledStatement<A> {
  const compiled = query.compile();
  const constants = compiled.parameters.map((value) => (value instanceof NamedParameter ? undefined : toSqlite(value)));
  const slots = compiled.parameters.map((value, index) =>
    value instanceof NamedParameter ? `toSqlite(args[${JSON.stringify(value.name)}])` : `constants[${index}]`,
  );
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from fixed names, see above
  const makeBinder = new Function("toSqlite", "constants", `return (args) => [${slots.join(", ")}];`) as (
    convert: typeof toSqlite,
    values: readonly unknown[],
  ) => (args: A) => unknown[];
  return { sql: compiled.sql, bind: makeBinder(toSqlite, constants) };
}

/** better-sqlite3 has no `undefined` and stores booleans as integers. */
export function toSqlite(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}
