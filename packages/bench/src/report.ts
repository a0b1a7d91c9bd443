// Turns benchmark results into the printed table and the goals verdict. Pure formatting: no measuring here.
// Rows carry the median and the spread (min–max over repetitions) so a noisy machine is visible, not hidden.
import { round, type Summary } from "./measure.js";

/** One printed row. */
export interface Row {
  readonly section: string;
  readonly metric: string;
  readonly value: Summary | number;
  readonly unit: string;
  readonly goal?: string;
  readonly met?: boolean;
}

/** One goal of the issue, evaluated on this run's numbers. */
export interface GoalVerdict {
  readonly goal: string;
  readonly target: string;
  readonly measured: number;
  readonly met: boolean;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString("en-US");
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

function spread(value: Summary | number): string {
  if (typeof value === "number") return "";
  if (value.samples.length < 2) return "";
  return `${formatNumber(value.min)} – ${formatNumber(value.max)}`;
}

function median(value: Summary | number): number {
  return typeof value === "number" ? value : value.median;
}

/** A plain-text table, one line per row, grouped by section. */
export function renderTable(rows: readonly Row[]): string {
  const header = ["metric", "median", "spread (min – max)", "unit", "goal", ""];
  const body = rows.map((row) => [
    row.metric,
    formatNumber(median(row.value)),
    spread(row.value),
    row.unit,
    row.goal ?? "",
    row.met === undefined ? "" : row.met ? "met" : "NOT met",
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => cells[column]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 1 || column === 2 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join("  ")
      .trimEnd();
  const out: string[] = [line(header), line(widths.map((width) => "-".repeat(width)))];
  let section = "";
  rows.forEach((row, index) => {
    if (row.section !== section) {
      section = row.section;
      out.push(`[${section}]`);
    }
    out.push(line(body[index] as string[]));
  });
  return out.join("\n");
}

/** The same rows as a Markdown table (for docs/performance.md). */
export function renderMarkdown(rows: readonly Row[]): string {
  const out = [
    "| case | metric | median | spread (min – max) | unit | goal |",
    "| --- | --- | ---: | ---: | --- | --- |",
  ];
  for (const row of rows) {
    const verdict = row.met === undefined ? "" : row.met ? " ✔" : " ✘";
    out.push(
      `| ${row.section} | ${row.metric} | ${formatNumber(median(row.value))} | ${spread(row.value)} | ${row.unit} | ${row.goal ?? ""}${verdict} |`,
    );
  }
  return out.join("\n");
}

/** Rounds every number in a result tree, so results.json stays readable. */
export function rounded<T>(value: T): T {
  if (typeof value === "number") return round(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => rounded(item)) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rounded(item)])) as T;
  }
  return value;
}
