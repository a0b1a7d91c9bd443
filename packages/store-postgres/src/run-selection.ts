// The SQL of a RunSelection (statuses, workflow, version, parent, queue, tags, creation window) for lists, counts, bulk
// cancellation and retention, in one schema. Builds text and `$n` parameters only; the caller runs them.
import type { RunSelection } from "@reprise/core";

/** A query built for one call: SQL text with `$n` placeholders and its parameters, in order. */
export interface DynamicQuery {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** What to select and in which order; the runs table is `r` (columns are named `r.<column>`). */
export interface SelectionShape {
  readonly columns: string;
  readonly order?: "newest" | "oldest" | undefined;
  readonly after?: { readonly createdAtMs: number; readonly id: string } | undefined;
  /** Only runs whose id contains this text (case ignored, as ILIKE does). */
  readonly idContains?: string | undefined;
  /** Extra conditions on `r`, e.g. `not r.cancel_requested`. */
  readonly where?: readonly string[] | undefined;
  readonly groupBy?: string | undefined;
  readonly limit?: number | undefined;
  /** Appended after the limit, e.g. `for update skip locked`. */
  readonly suffix?: string | undefined;
}

/**
 * A schema-qualified table name, quoted.
 *
 * @example
 * qualified("reprise", "runs"); // "\"reprise\".\"runs\""
 */
export function qualified(schema: string, table: string): string {
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  return `${quote(schema)}.${quote(table)}`;
}

/**
 * The query for `selection` in `shape`. With tags it is driven by the first tag's rows of `run_tags` (its key
 * gives list order), joined to the runs; without, the runs indexes serve.
 *
 * @example
 * const { sql, parameters } = selectionQuery("reprise", { tags: { customer: "7" } }, { columns: "r.id", limit: 50 });
 */
export function selectionQuery(schema: string, selection: RunSelection, shape: SelectionShape): DynamicQuery {
  const parameters: unknown[] = [];
  const p = (value: unknown): string => {
    parameters.push(value);
    return `$${parameters.length}`;
  };
  const where: string[] = [];
  const tags = Object.entries(selection.tags ?? {});
  const first = tags[0];
  const created = first === undefined ? "r.created_at_ms" : "t0.created_at_ms";
  const id = first === undefined ? "r.id" : "t0.run_id";
  const runs = `${qualified(schema, "runs")} r`;
  const tagTable = qualified(schema, "run_tags");
  let from = runs;
  if (first !== undefined) {
    from = `${tagTable} t0 join ${runs} on r.id = t0.run_id`;
    where.push(`t0.key = ${p(first[0])}`, `t0.value = ${p(first[1])}`);
    for (const [index, [key, value]] of tags.slice(1).entries()) {
      const t = `t${index + 1}`;
      where.push(
        `exists (select 1 from ${tagTable} ${t} where ${t}.key = ${p(key)} and ${t}.value = ${p(value)} and ` +
          `${t}.created_at_ms = t0.created_at_ms and ${t}.run_id = t0.run_id)`,
      );
    }
  }
  if (selection.statuses !== undefined) {
    where.push(selection.statuses.length === 0 ? "false" : `r.status = any(${p([...selection.statuses])}::text[])`);
  }
  if (selection.workflow !== undefined) where.push(`r.workflow = ${p(selection.workflow)}`);
  if (selection.version !== undefined) where.push(`r.version = ${p(selection.version)}`);
  if (selection.parent !== undefined) where.push(`r.parent_id = ${p(selection.parent)}`);
  if (selection.queue !== undefined) where.push(`r.queue = ${p(selection.queue)}`);
  if (selection.createdAfterMs !== undefined) where.push(`${created} >= ${p(selection.createdAfterMs)}`);
  if (selection.createdBeforeMs !== undefined) where.push(`${created} < ${p(selection.createdBeforeMs)}`);
  if (selection.finishedBeforeMs !== undefined) where.push(`r.finished_at_ms < ${p(selection.finishedBeforeMs)}`);
  if (shape.idContains !== undefined && shape.idContains !== "") {
    where.push(`r.id ilike ${p(`%${shape.idContains.replace(/[\\%_]/g, (char) => `\\${char}`)}%`)} escape '\\'`);
  }
  const newest = (shape.order ?? "newest") === "newest";
  if (shape.after !== undefined) {
    // A row comparison: PostgreSQL walks the (…, created_at_ms, id) order from the cursor on.
    where.push(`(${created}, ${id}) ${newest ? "<" : ">"} (${p(shape.after.createdAtMs)}, ${p(shape.after.id)})`);
  }
  where.push(...(shape.where ?? []));
  let text = `select ${shape.columns} from ${from}`;
  if (where.length > 0) text += ` where ${where.join(" and ")}`;
  if (shape.groupBy !== undefined) text += ` group by ${shape.groupBy}`;
  else {
    const direction = newest ? "desc" : "asc";
    text += ` order by ${created} ${direction}, ${id} ${direction}`;
  }
  if (shape.limit !== undefined) text += ` limit ${p(shape.limit)}`;
  if (shape.suffix !== undefined) text += ` ${shape.suffix}`;
  return { sql: text, parameters };
}

/**
 * `r.a, r.b, ...` for a list of run columns.
 *
 * @example
 * runColumnList(["id", "status"]); // "r.id, r.status"
 */
export function runColumnList(columns: readonly string[]): string {
  return columns.map((column) => `r.${column}`).join(", ");
}
