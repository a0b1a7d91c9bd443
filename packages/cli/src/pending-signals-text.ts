// Words for a run's unconsumed signals: the `inbox` lines of `reprise show`, and the warning `reprise signal`
// prints when the run is not waiting for the name it was sent. Pure text; it never reads or changes a run.
import { MAX_PENDING_SIGNALS_SHOWN, type RunInfo } from "@reprise/core";
import { formatFromNow, formatTime } from "./format.js";
import type { Painter } from "./timeline-text.js";

/**
 * The `inbox` lines of `reprise show`: one per signal that no `awaitSignal` has taken, or "" when there is none.
 *
 * @example
 * process.stdout.write(formatPendingSignals(info, Date.now(), (_, text) => text));
 * // "  inbox     'approve' sent 2030-01-01T00:00:00.000Z (5.00s ago), id webhook-1\n"
 */
export function formatPendingSignals(
  run: Pick<RunInfo, "status" | "waitingFor" | "pendingSignals">,
  nowMs: number,
  paint: Painter,
): string {
  const pending = run.pendingSignals ?? [];
  if (pending.length === 0) return "";
  const lines = pending.map(
    (signal, index) =>
      `  ${paint("gray", (index === 0 ? "inbox" : "").padEnd(10))}'${signal.name}' sent ${formatTime(signal.sentAtMs)} ` +
      `(${formatFromNow(signal.sentAtMs, nowMs)}), id ${signal.id}`,
  );
  const indent = " ".repeat(12);
  if (pending.length >= MAX_PENDING_SIGNALS_SHOWN)
    lines.push(`${indent}(only the oldest ${pending.length} are listed)`);
  const waitedName = run.waitingFor?.kind === "signal" ? run.waitingFor.name : undefined;
  lines.push(
    paint(
      "yellow",
      waitedName === undefined
        ? `${indent}not taken yet: each waits for an awaitSignal() of its name`
        : `${indent}not taken: the run waits for '${waitedName}'; a signal waits for an awaitSignal() of its own name`,
    ),
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Why a signal named `name` will not be taken now, or undefined when the run is waiting for exactly that name.
 *
 * @example
 * signalMismatch(info, "approve");
 * // "order-1 is waiting for signal 'approval', not 'approve'; the signal is stored and waits for an awaitSignal('approve')"
 */
export function signalMismatch(run: Pick<RunInfo, "id" | "status" | "waitingFor">, name: string): string | undefined {
  const wait = run.waitingFor;
  const stored = `the signal is stored and waits for an awaitSignal('${name}')`;
  if (run.status === "waiting" && wait?.kind === "signal") {
    return wait.name === name ? undefined : `${run.id} is waiting for signal '${wait.name}', not '${name}'; ${stored}`;
  }
  return `${run.id} is not waiting for a signal (status ${run.status}); ${stored}`;
}
