// Human-readable text for terminals: timestamps, durations, values and aligned tables.
// Pure functions of their arguments; colour is decided by the caller (cli-io.ts), never here.
import { inspect } from "node:util";

/**
 * An epoch-ms instant as ISO-8601 UTC with milliseconds.
 *
 * @example
 * formatTime(0); // "1970-01-01T00:00:00.000Z"
 */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A length of time, short: "850ms", "1.52s", "2m 05s", "3h 10m", "2d 4h".
 *
 * @example
 * formatDuration(125_000); // "2m 05s"
 */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const abs = Math.abs(Math.round(ms));
  if (abs < 1000) return `${sign}${abs}ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(abs < 10_000 ? 2 : 1)}s`;
  const seconds = Math.floor(abs / 1000);
  if (seconds < 3600) return `${sign}${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  if (seconds < 86_400) return `${sign}${Math.floor(seconds / 3600)}h ${pad(Math.floor(seconds / 60) % 60)}m`;
  return `${sign}${Math.floor(seconds / 86_400)}d ${Math.floor(seconds / 3600) % 24}h`;
}

/**
 * How far `ms` is from `nowMs`, in words: "in 5m 00s" or "3.20s ago".
 *
 * @example
 * formatFromNow(Date.now() + 60_000, Date.now()); // "in 1m 00s"
 */
export function formatFromNow(ms: number, nowMs: number): string {
  const delta = ms - nowMs;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/**
 * A decoded value on one line, as Node prints it (Dates, Maps and BigInts stay recognisable), cut at `maxLength`.
 *
 * @example
 * formatValue({ orderId: "1001", at: new Date(0) }); // "{ orderId: '1001', at: 1970-01-01T00:00:00.000Z }"
 */
export function formatValue(value: unknown, maxLength = 200): string {
  const text = inspect(value, { depth: 4, breakLength: Infinity, compact: true, maxArrayLength: 20, colors: false });
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}

/**
 * Left-aligned columns separated by two spaces. `header` is printed first; cells may contain ANSI colour,
 * which does not count towards the width.
 *
 * @example
 * formatTable(["ID", "STATUS"], [["order-1", "waiting"]]); // "ID       STATUS\norder-1  waiting\n"
 */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => visibleLength(row[column] ?? ""))));
  return all
    .map((row) =>
      row
        .map((cell, column) =>
          column === row.length - 1 ? cell : cell + " ".repeat((widths[column] ?? 0) - visibleLength(cell)),
        )
        .join("  "),
    )
    .map((line) => `${line}\n`)
    .join("");
}

// eslint-disable-next-line no-control-regex -- ANSI escape sequences start with ESC.
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Length of `text` as a terminal shows it (ANSI colour escapes take no columns).
 *
 * @example
 * visibleLength("\u001b[32mok\u001b[39m"); // 2
 */
export function visibleLength(text: string): number {
  return text.replace(ANSI, "").length;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
