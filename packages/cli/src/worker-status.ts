// The worker's live one-line status on a terminal: runs active, waiting, sleeping, completed, failed, blocked, steps.
// Counts come from the store's RunReader every second; off a terminal nothing is printed here.
import type { Engine, RunReader, RunStatusCounts } from "@reprise/core";
import { paint, type CliIo } from "./cli-io.js";

/** How often the status line refreshes. */
const REFRESH_MS = 1000;

/**
 * Redraws one status line on stderr while the worker runs (only when stderr is a terminal).
 *
 * @example
 * const status = startWorkerStatus(io, engine, store, ["order"]);
 * // ... on shutdown:
 * status.stop();
 */
export function startWorkerStatus(
  io: CliIo,
  engine: Engine,
  reader: RunReader,
  workflows: readonly string[],
): { stop(): void } {
  if (io.stderr.isTTY !== true) return { stop() {} };
  let stopped = false;
  let drawing = false;
  const draw = async () => {
    // One count at a time: a slow store must not pile up reads, and a line drawn after stop() would stay.
    if (drawing || stopped) return;
    drawing = true;
    let counts: RunStatusCounts;
    try {
      counts = await reader.countRunsByStatus();
    } catch {
      return; // A busy store or a lost connection is not worth interrupting the worker for; the next tick retries.
    } finally {
      drawing = false;
    }
    if (stopped) return;
    const color = (style: Parameters<typeof paint>[2], text: string) => paint(io, io.stderr, style, text);
    const line =
      `${color("bold", "reprise worker")} ${workflows.join(", ")} · ` +
      `${color("cyan", `${counts.running + counts.pending} active`)} · ` +
      `${color("yellow", `${counts.waiting} waiting`)} · ${color("yellow", `${counts.sleeping} sleeping`)} · ` +
      `${color("green", `${counts.completed} completed`)} · ${counts.failed} failed · ` +
      `${counts.blocked > 0 ? color("red", `${counts.blocked} blocked`) : "0 blocked"} · ` +
      `${engine.stats().stepAttempts} step attempts here`;
    io.stderr.write(`\r\u001b[2K${truncate(line, io.stderr.columns)}`);
  };
  void draw();
  const timer = setInterval(() => void draw(), REFRESH_MS);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      io.stderr.write("\r\u001b[2K");
    },
  };
}

/** Cuts a line to the terminal's width so it never wraps (a wrapped line cannot be redrawn in place). */
function truncate(line: string, columns: number | undefined): string {
  if (columns === undefined || columns < 20) return line; // Unknown or implausible width: leave the line whole.
  // eslint-disable-next-line no-control-regex -- ANSI colour escapes do not take up columns.
  const visible = line.replace(/\u001b\[[0-9;]*m/g, "");
  return visible.length < columns ? line : `${visible.slice(0, Math.max(0, columns - 2))}…`;
}
