// The SQL of a RunSelection (statuses, workflow, version, parent, queue, tags, creation window) for lists, counts,
// bulk cancellation and retention. Builds text and parameters only; the caller runs them in its read or write.
import type { RunSelection } from "@reprise/core";

/** A query built for one call: SQL text with `?` placeholders and its parameters, in order. */
export interface DynamicQuery {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** What to select and in which order; the runs table is `r` (columns are named `r.<column>`). */
export interface SelectionShape {
  /** The select list, e.g. `r.id, r.status`, or `r.status, count(*) as n` with `groupBy`. */
  readonly columns: string;
  /** Newest first (lists) or oldest first (bulk actions, which work from the oldest). */
  readonly order?: "newest" | "oldest" | undefined;
  readonly after?: { readonly createdAtMs: number; readonly id: string } | undefined;
  /** Only runs whose id contains this text (ASCII case ignored). */
  readonly idContains?: string | undefined;
  /** Extra conditions on `r`, e.g. `r.cancel_requested = 0`. */
  readonly where?: readonly string[] | undefined;
  readonly groupBy?: string | undefined;
  readonly limit?: number | undefined;
}

/**
 * The query for `selection` in `shape`. With tags, it is driven by the first tag's rows in `run_tags` (a CROSS
 * JOIN makes SQLite keep that table outermost): the runs with the tag are read in list order along its key, and
 * the query stops after `limit` of them, however many runs the store holds. Without tags, the runs indexes
 * serve as before.
 *
 * @example
 * const { sql, parameters } = selectionQuery({ tags: { customer: "7" } }, { columns: "r.id", limit: 50 });
 */
export function selectionQuery(selection: RunSelection, shape: SelectionShape): DynamicQuery {
  const parameters: unknown[] = [];
  const where: string[] = [];
  const tags = Object.entries(selection.tags ?? {});
  const first = tags[0];
  // The keyset columns: the driving table's copy of them, so that its index gives the order.
  const created = first === undefined ? "r.created_at_ms" : "t0.created_at_ms";
  const id = first === undefined ? "r.id" : "t0.run_id";
  let from = "runs r";
  if (first !== undefined) {
    from = "run_tags t0 cross join runs r";
    where.push("t0.key = ?", "t0.value = ?", "r.id = t0.run_id");
    parameters.push(first[0], first[1]);
    for (const [index, [key, value]] of tags.slice(1).entries()) {
      const t = `t${index + 1}`;
      where.push(
        `exists (select 1 from run_tags ${t} where ${t}.key = ? and ${t}.value = ? and ` +
          `${t}.created_at_ms = t0.created_at_ms and ${t}.run_id = t0.run_id)`,
      );
      parameters.push(key, value);
    }
  }
  if (selection.statuses !== undefined) {
    if (selection.statuses.length === 0) where.push("0");
    else {
      where.push(`r.status in (${selection.statuses.map(() => "?").join(", ")})`);
      parameters.push(...selection.statuses);
    }
  }
  const equal = (column: string, value: unknown): void => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    parameters.push(value);
  };
  equal("r.workflow", selection.workflow);
  equal("r.version", selection.version);
  equal("r.parent_id", selection.parent);
  equal("r.queue", selection.queue);
  if (selection.createdAfterMs !== undefined) {
    where.push(`${created} >= ?`);
    parameters.push(selection.createdAfterMs);
  }
  if (selection.createdBeforeMs !== undefined) {
    where.push(`${created} < ?`);
    parameters.push(selection.createdBeforeMs);
  }
  if (selection.finishedBeforeMs !== undefined) {
    where.push("r.finished_at_ms < ?");
    parameters.push(selection.finishedBeforeMs);
  }
  if (shape.idContains !== undefined && shape.idContains !== "") {
    where.push(`r.id like ? escape '\\'`);
    parameters.push(`%${shape.idContains.replace(/[\\%_]/g, (char) => `\\${char}`)}%`);
  }
  const newest = (shape.order ?? "newest") === "newest";
  const after = shape.after;
  if (after !== undefined) {
    // The first term bounds the index range; the second breaks ties between runs created in the same ms.
    const [bound, strict] = newest ? ["<=", "<"] : [">=", ">"];
    where.push(`${created} ${bound} ?`, `(${created} ${strict} ? or ${id} ${strict} ?)`);
    parameters.push(after.createdAtMs, after.createdAtMs, after.id);
  }
  where.push(...(shape.where ?? []));
  let text = `select ${shape.columns} from ${from}`;
  if (where.length > 0) text += ` where ${where.join(" and ")}`;
  if (shape.groupBy !== undefined) text += ` group by ${shape.groupBy}`;
  else {
    const direction = newest ? "desc" : "asc";
    text += ` order by ${created} ${direction}, ${id} ${direction}`;
  }
  if (shape.limit !== undefined) {
    text += " limit ?";
    parameters.push(shape.limit);
  }
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
