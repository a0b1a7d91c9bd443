// Prints a run and its timeline for a terminal (`reprise show`): what it is, what it waits for, what happened.
// Text only; colour comes in through the `paint` callback so that piped output stays plain.
import type { BlockedEpisodeEnd, RunInfo } from "@reprise/core";
import type { Style } from "./cli-io.js";
import { formatDuration, formatFromNow, formatTime, formatValue } from "./format.js";
import type { Timeline, TimelineItem, WithdrawnBy } from "./timeline.js";

/** Applies a style to text (or leaves it plain when colours are off). */
export type Painter = (style: Style, text: string) => string;

/** Colour of each run status in terminal output. */
export const STATUS_STYLE: Readonly<Record<string, Style>> = {
  pending: "cyan",
  running: "cyan",
  sleeping: "yellow",
  waiting: "yellow",
  completed: "green",
  failed: "red",
  cancelled: "gray",
  blocked: "red",
};

/**
 * What a run waits for now, in words, or undefined when it waits for nothing.
 *
 * @example
 * describeWait(info, Date.now()); // "signal 'shipped' (timeout 2030-01-01T00:00:00.000Z, in 59m 58s)"
 */
export function describeWait(
  run: Pick<RunInfo, "status" | "waitingFor" | "wakeAtMs">,
  nowMs: number,
): string | undefined {
  const until = run.wakeAtMs === undefined ? "" : `${formatTime(run.wakeAtMs)}, ${formatFromNow(run.wakeAtMs, nowMs)}`;
  const wait = run.waitingFor;
  if (wait?.kind === "signal") return `signal '${wait.name}'${until === "" ? " (no timeout)" : ` (timeout ${until})`}`;
  if (wait?.kind === "timer") return `timer${until === "" ? "" : ` until ${until}`}`;
  if (wait?.kind === "retry") return `retry of step '${wait.step}'${until === "" ? "" : ` at ${until}`}`;
  if (run.status === "pending") return "an engine to pick it up";
  return undefined;
}

/**
 * The header of `reprise show`: identity, status, input, outcome and current wait.
 *
 * @example
 * process.stdout.write(formatRunHeader(info, Date.now(), (_, text) => text));
 */
export function formatRunHeader(run: RunInfo, nowMs: number, paint: Painter): string {
  const lines = [`${paint("bold", run.id)}  ${run.workflow}  ${paint(STATUS_STYLE[run.status] ?? "bold", run.status)}`];
  const field = (label: string, value: string) => lines.push(`  ${paint("gray", label.padEnd(10))}${value}`);
  field("created", formatTime(run.createdAtMs));
  field("updated", `${formatTime(run.updatedAtMs)} (${formatFromNow(run.updatedAtMs, nowMs)})`);
  if (run.finishedAtMs !== undefined) field("finished", formatTime(run.finishedAtMs));
  field("input", formatValue(run.input));
  if (run.status === "completed") field("result", formatValue(run.result));
  if (run.error !== undefined)
    field(run.status === "blocked" ? "blocked" : "error", `${run.error.name}: ${run.error.message}`);
  const wait = describeWait(run, nowMs);
  if (wait !== undefined) field("waits for", wait);
  if (run.cancelRequested && run.status !== "cancelled")
    field("cancel", "requested; delivered when an engine resumes the run");
  if (run.reason !== undefined && run.status !== "blocked" && run.status !== "cancelled") field("note", run.reason);
  if (run.status === "cancelled" && run.reason !== undefined) field("reason", run.reason);
  return `${lines.join("\n")}\n`;
}

/**
 * The timeline of `reprise show`: one line per step, sleep, wait, signal and ending, with offsets from the start.
 *
 * @example
 * process.stdout.write(formatTimeline(buildTimeline(history, Date.now()), Date.now(), (_, text) => text));
 */
export function formatTimeline(timeline: Timeline, nowMs: number, paint: Painter): string {
  const offset = (ms: number) => `+${formatDuration(ms - timeline.startMs)}`;
  const lines = [`${paint("bold", "timeline")} ${paint("gray", `(offsets from ${formatTime(timeline.startMs)})`)}`];
  const line = (atMs: number | undefined, text: string) =>
    lines.push(`  ${paint("gray", (atMs === undefined ? "" : offset(atMs)).padEnd(10))}${text}`);
  line(timeline.startMs, "started");
  for (const item of timeline.items) {
    // The first line of an item carries its offset; detail lines (a step's attempts) are indented under it.
    describeItem(item, offset, nowMs, paint, timeline.live).forEach((text, index) =>
      line(index === 0 ? itemStartMs(item) : undefined, text),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Why a deadline is not counting down: the run is blocked (finished runs have no open deadlines). */
const ON_HOLD = "on hold while the run is blocked";

function withdrawnText(by: WithdrawnBy | undefined): string {
  if (by === "cancellation") return "by the cancellation";
  return by === undefined ? "" : `when the run ${by === "cancelled" ? "was cancelled" : by}`;
}

function describeItem(
  item: TimelineItem,
  offset: (ms: number) => string,
  nowMs: number,
  paint: Painter,
  live: boolean,
): string[] {
  switch (item.kind) {
    case "step": {
      const tries = item.attempts.length;
      // Steps record when they end, not when they start: durations run from the previous event, an upper bound.
      const span = item.endMs === undefined ? "" : ` in ≤${formatDuration(item.endMs - item.startMs)}`;
      const after = tries > 1 ? ` after ${tries} attempts` : "";
      const nextAttempt = (item.attempts.at(-1)?.attempt ?? 0) + 1;
      const nextAtMs = item.nextAttemptAtMs ?? nowMs;
      const head =
        item.outcome === "completed"
          ? `step '${item.name}' ${paint("green", "completed")}${span}${after} → ${formatValue(item.result, 120)}`
          : item.outcome === "failed"
            ? `step '${item.name}' ${paint("red", "failed")}${span}${after}`
            : item.outcome === "withdrawn"
              ? `step '${item.name}' ${paint("gray", "retry withdrawn")} at ${offset(item.endMs ?? nowMs)} ` +
                `${withdrawnText(item.withdrawnBy)} (attempt ${nextAttempt} was due at ${offset(nextAtMs)})`
              : `step '${item.name}' ${paint("yellow", "retrying")}: attempt ${nextAttempt} at ${offset(nextAtMs)} ` +
                `(${live ? formatFromNow(nextAtMs, nowMs) : ON_HOLD})`;
      const attempts =
        tries > 1 || item.outcome !== "completed"
          ? item.attempts.map((attempt) => {
              const took = formatDuration(attempt.endMs - attempt.startMs);
              if (attempt.ok) return `    attempt ${attempt.attempt} ok after ≤${took}`;
              const retry = attempt.retryAtMs === undefined ? "" : `; retry at ${offset(attempt.retryAtMs)}`;
              return `    attempt ${attempt.attempt} ${paint("red", "failed")} after ≤${took}: ${attempt.error?.name}: ${attempt.error?.message}${retry}`;
            })
          : [];
      return [head, ...attempts];
    }
    case "sleep": {
      const fired =
        item.firedAtMs !== undefined
          ? `fired at ${offset(item.firedAtMs)}`
          : item.withdrawnAtMs !== undefined
            ? paint("gray", `timer withdrawn at ${offset(item.withdrawnAtMs)} ${withdrawnText(item.withdrawnBy)}`)
            : live
              ? paint("yellow", `sleeping, wakes ${formatFromNow(item.wakeAtMs, nowMs)}`)
              : paint("yellow", ON_HOLD);
      return [`sleep ${formatDuration(item.wakeAtMs - item.startMs)} until ${formatTime(item.wakeAtMs)}; ${fired}`];
    }
    case "wait": {
      const timeout = item.timeoutAtMs === undefined ? "no timeout" : `timeout at ${offset(item.timeoutAtMs)}`;
      const state =
        item.outcome === "waiting"
          ? paint("yellow", live ? `waiting for ${formatDuration(nowMs - item.startMs)}` : ON_HOLD)
          : item.outcome === "received"
            ? `received at ${offset(item.endMs ?? item.startMs)}`
            : item.outcome === "withdrawn"
              ? paint("gray", `withdrawn at ${offset(item.endMs ?? item.startMs)} ${withdrawnText(item.withdrawnBy)}`)
              : paint("yellow", `timed out at ${offset(item.endMs ?? item.startMs)}`);
      return [`wait for signal '${item.name}' (${timeout}); ${state}`];
    }
    case "signal":
      return [`signal '${item.name}' received ← ${formatValue(item.payload, 120)}`];
    case "value":
      return [`${item.source}() recorded ${formatValue(item.value, 80)}`];
    case "cancellation":
      return [paint("yellow", `cancellation delivered${item.reason === undefined ? "" : `: ${item.reason}`}`)];
    case "end":
      if (item.status === "completed") return [`${paint("green", "completed")} → ${formatValue(item.result, 120)}`];
      if (item.status === "failed") return [`${paint("red", "failed")}: ${item.error?.name}: ${item.error?.message}`];
      return [`${paint("gray", "cancelled")}${item.reason === undefined ? "" : `: ${item.reason}`}`];
    case "blocked":
      // The header prints the whole reason of a current block; here its first line is enough to place the episode.
      if (item.endedAtMs !== undefined) {
        return [
          `${paint("red", "blocked")} until ${offset(item.endedAtMs)} (${formatDuration(item.endedAtMs - item.atMs)}; ` +
            `${endedText(item.endedBy)}): ${firstLine(item.reason, 160)}`,
        ];
      }
      return [
        `${paint("red", "blocked")} since ${formatTime(item.atMs)} (${formatFromNow(item.atMs, nowMs)}): ` +
          `${firstLine(item.reason, 160)}`,
      ];
  }
}

/** How a past blocked episode ended, in words. */
function endedText(by: BlockedEpisodeEnd | undefined): string {
  return by === "retried" ? "retried when an engine serving the workflow started" : "ended";
}

function firstLine(text: string, maxLength: number): string {
  const line = text.split("\n")[0] ?? "";
  return line.length <= maxLength ? line : `${line.slice(0, maxLength - 1)}…`;
}

function itemStartMs(item: TimelineItem): number {
  return "startMs" in item ? item.startMs : item.atMs;
}
