// Prints a run and its timeline for a terminal (`reprise show`): what it is, what it waits for, what happened.
// Text only; colour comes in through the `paint` callback so that piped output stays plain.
import { FINISHED_STATUSES, type BlockedEpisodeEnd, type RunInfo } from "@reprise/core";
import type { Style } from "./cli-io.js";
import { formatDuration, formatFromNow, formatTime, formatValue } from "./format.js";
import { formatEarlierGenerations } from "./generation-text.js";
import type { RunGenerations } from "./run-generations.js";
import { branchLabel } from "./branch-lanes.js";
import { isInBranch, type Timeline, type TimelineItem, type WithdrawnBy } from "./timeline.js";

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
  if (wait?.kind === "child") return `child run ${wait.id}${until === "" ? "" : ` (or a deadline at ${until})`}`;
  if (run.status === "pending") return "an engine to pick it up";
  return undefined;
}

/**
 * The header of `reprise show`: identity, version, status, parent and children, input, outcome and current wait.
 * Given the timeline, a run waiting on several branches at once lists each open command with its lane: the row's
 * single `waitingFor` names only the first, and its `wakeAtMs` may be another branch's deadline. Given its
 * generations, a run that continued as new says which generation it is in and how to read the earlier ones.
 *
 * @example
 * process.stdout.write(formatRunHeader(info, Date.now(), (_, text) => text));
 */
export function formatRunHeader(
  run: RunInfo,
  nowMs: number,
  paint: Painter,
  timeline?: Timeline,
  generations?: RunGenerations,
): string {
  const status = paint(STATUS_STYLE[run.status] ?? "bold", run.status);
  const generation = run.generation > 1 ? `  ${paint("cyan", `generation ${run.generation}`)}` : "";
  const lines = [`${paint("bold", run.id)}  ${run.workflow}  ${status}${generation}`];
  const field = (label: string, value: string) => lines.push(`  ${paint("gray", label.padEnd(10))}${value}`);
  field("version", String(run.version));
  const earlier = generations === undefined ? undefined : formatEarlierGenerations(run.id, generations);
  if (earlier !== undefined) field("earlier", earlier);
  field("created", formatTime(run.createdAtMs));
  field("updated", `${formatTime(run.updatedAtMs)} (${formatFromNow(run.updatedAtMs, nowMs)})`);
  if (run.finishedAtMs !== undefined) field("finished", formatTime(run.finishedAtMs));
  if (run.parentId !== undefined) field("parent", run.parentId);
  const tags = Object.entries(run.tags ?? {});
  if (tags.length > 0) field("tags", tags.map(([key, value]) => `${key}=${value}`).join(", "));
  if (run.children !== undefined && run.children.length > 0) field("children", formatChildren(run.children));
  field("input", formatValue(run.input));
  if (run.status === "completed") field("result", formatValue(run.result));
  if (run.error !== undefined)
    field(run.status === "blocked" ? "blocked" : "error", `${run.error.name}: ${run.error.message}`);
  const open = timeline === undefined || FINISHED_STATUSES.has(run.status) ? [] : openCommands(timeline, nowMs);
  const wait = describeWait(run, nowMs);
  if (open.length > 1) {
    field("waits for", `${open.length} commands in parallel branches:`);
    for (const each of open) lines.push(`  ${"".padEnd(12)}${each}`);
  } else if (wait !== undefined) field("waits for", wait);
  if (run.cancelRequested && run.status !== "cancelled")
    field("cancel", "requested; delivered when an engine resumes the run");
  if (run.reason !== undefined && run.status !== "blocked" && run.status !== "cancelled") field("note", run.reason);
  if (run.status === "cancelled" && run.reason !== undefined) field("reason", run.reason);
  return `${lines.join("\n")}\n`;
}

/** The commands still waiting for an answer, each as "what (lane)", in log order. */
function openCommands(timeline: Timeline, nowMs: number): string[] {
  const open: string[] = [];
  const at = (ms: number) => `${formatTime(ms)}, ${formatFromNow(ms, nowMs)}`;
  for (const item of timeline.items) {
    const lane = item.lane === undefined ? "" : ` (${item.lane})`;
    if (item.kind === "step" && item.outcome === "running") open.push(`step '${item.name}' running${lane}`);
    if (item.kind === "step" && item.outcome === "retrying" && item.nextAttemptAtMs !== undefined) {
      open.push(`retry of step '${item.name}' at ${at(item.nextAttemptAtMs)}${lane}`);
    }
    if (item.kind === "sleep" && item.firedAtMs === undefined && item.withdrawnAtMs === undefined) {
      open.push(`timer until ${at(item.wakeAtMs)}${lane}`);
    }
    if (item.kind === "wait" && item.outcome === "waiting") {
      const timeout = item.timeoutAtMs === undefined ? "no timeout" : `timeout ${at(item.timeoutAtMs)}`;
      open.push(`signal '${item.name}' (${timeout})${lane}`);
    }
    if (item.kind === "child" && item.outcome === "waiting") open.push(`child run ${item.childId}${lane}`);
  }
  return open;
}

/** Most child ids the header lists before it counts the rest. */
const CHILDREN_LISTED = 10;

function formatChildren(children: readonly string[]): string {
  const more = children.length - CHILDREN_LISTED;
  return children.slice(0, CHILDREN_LISTED).join(", ") + (more > 0 ? `, and ${more} more (reprise runs --parent)` : "");
}

/**
 * The timeline of `reprise show`: one line per step, sleep, wait, signal, child and ending, with offsets from the
 * start. A group of parallel branches is a line of its own with its branches' items indented under it, lane by
 * lane (`[0]`, `.late`), as the branch paths in the log place them (see branch-lanes.ts).
 *
 * @example
 * process.stdout.write(formatTimeline(buildTimeline(history, Date.now()), Date.now(), (_, text) => text));
 */
export function formatTimeline(timeline: Timeline, nowMs: number, paint: Painter): string {
  const offset = (ms: number) => `+${formatDuration(ms - timeline.startMs)}`;
  const lines = [`${paint("bold", "timeline")} ${paint("gray", `(offsets from ${formatTime(timeline.startMs)})`)}`];
  const line = (atMs: number | undefined, depth: number, text: string) =>
    lines.push(`  ${paint("gray", (atMs === undefined ? "" : offset(atMs)).padEnd(10))}${"  ".repeat(depth)}${text}`);
  line(timeline.startMs, 0, "started");
  const print = (nodes: readonly LaneNode[], depth: number): void => {
    for (const node of nodes) {
      // The first line of an item carries its offset; detail lines (a step's attempts) are indented under it.
      describeItem(node.item, offset, nowMs, paint, timeline.live).forEach((text, index) =>
        line(index === 0 ? itemStartMs(node.item) : undefined, depth, text),
      );
      for (const lane of node.lanes ?? []) {
        if (lane.nodes.length === 0) continue;
        line(undefined, depth + 1, paint("bold", branchLabel(lane.path)));
        print(lane.nodes, depth + 2);
      }
    }
  };
  const tree = laneTree(timeline.items);
  print(tree, 0);
  if (timeline.replayProblem !== undefined) {
    lines.push(
      paint(
        "gray",
        `  lanes: replay with the code stopped (${firstLine(timeline.replayProblem, 160)}); later items placed from the log`,
      ),
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * An item with, for a group, its lanes: the items of each branch, by path.
 *
 * @example
 * const [group] = laneTree(timeline.items);
 * console.log(group?.lanes?.map((lane) => `${lane.path}: ${lane.nodes.length} items`));
 */
export interface LaneNode {
  readonly item: TimelineItem;
  readonly lanes?: { readonly path: string; readonly nodes: LaneNode[] }[] | undefined;
}

/**
 * The items in lane order, flattened for a picture: each with its depth under groups and the label of its lane
 * (`[0]`, `.late`). An item whose group is not among `items` (an earlier page) keeps its full path as label.
 *
 * @example
 * for (const row of laneRows(items)) console.log("  ".repeat(row.depth), row.label ?? "", row.item.kind);
 */
export function laneRows(items: readonly TimelineItem[]): { item: TimelineItem; depth: number; label?: string }[] {
  const rows: { item: TimelineItem; depth: number; label?: string }[] = [];
  const walk = (nodes: readonly LaneNode[], depth: number, label: string | undefined): void => {
    for (const node of nodes) {
      const own = label ?? node.item.lane;
      rows.push(own === undefined ? { item: node.item, depth } : { item: node.item, depth, label: own });
      for (const lane of node.lanes ?? []) {
        walk(lane.nodes, depth + 1, branchLabel(lane.path));
      }
    }
  };
  walk(laneTree(items), 0, undefined);
  return rows;
}

/**
 * Arranges items (in log order) under the groups whose branches they ran in: an item with a branch path goes to
 * the innermost group lane that contains it; everything else stays at the top, in order.
 *
 * @example
 * for (const node of laneTree(timeline.items)) console.log(node.item.kind, node.lanes?.length ?? 0);
 */
export function laneTree(items: readonly TimelineItem[]): LaneNode[] {
  const top: LaneNode[] = [];
  const groups: Required<LaneNode>[] = [];
  for (const item of items) {
    const node: LaneNode =
      item.kind === "group" ? { item, lanes: item.paths.map((path) => ({ path, nodes: [] })) } : { item };
    let target = top;
    if (item.lane !== undefined) {
      let best: { path: string; nodes: LaneNode[] } | undefined;
      for (const group of groups) {
        for (const lane of group.lanes) {
          if (isInBranch(item.lane, lane.path) && (best?.path.length ?? -1) < lane.path.length) best = lane;
        }
      }
      target = best?.nodes ?? top;
    }
    target.push(node);
    if (node.lanes !== undefined) groups.push(node as Required<LaneNode>);
  }
  return top;
}

/** Why a deadline is not counting down: the run is blocked (finished runs have no open deadlines). */
const ON_HOLD = "on hold while the run is blocked";

function withdrawnText(by: WithdrawnBy | undefined): string {
  if (by === "cancellation") return "by the cancellation";
  if (by === "branch") return "when its branch lost (another branch decided the group)";
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
            : item.outcome === "withdrawn" && item.nextAttemptAtMs === undefined
              ? `step '${item.name}' ${paint("gray", "withdrawn")} at ${offset(item.endMs ?? nowMs)} ` +
                `${withdrawnText(item.withdrawnBy)} (attempt ${nextAttempt} was running)`
              : item.outcome === "withdrawn"
                ? `step '${item.name}' ${paint("gray", "retry withdrawn")} at ${offset(item.endMs ?? nowMs)} ` +
                  `${withdrawnText(item.withdrawnBy)} (attempt ${nextAttempt} was due at ${offset(nextAtMs)})`
                : item.outcome === "running"
                  ? `step '${item.name}' ${paint("yellow", "running")}: attempt ${nextAttempt}` +
                    (live ? ` for ${formatDuration(nowMs - item.startMs)}` : ` (${ON_HOLD})`)
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
    case "tags":
      return [`setTags ${tagChangesText(item.tags)}`];
    case "patch":
      return [item.deprecated ? `deprecated patch '${item.patchId}'` : `patch '${item.patchId}' applied`];
    case "group": {
      const shape =
        item.keys === undefined
          ? `() of ${item.count} branch${item.count === 1 ? "" : "es"}`
          : `({ ${item.keys.join(", ")} })`;
      return [`${paint("bold", `${item.combinator}${shape}`)} ${paint("gray", `#${item.seq}`)}`];
    }
    case "child":
      return [describeChild(item, offset, nowMs, paint, live)];
    case "cancellation":
      return [paint("yellow", `cancellation delivered${item.reason === undefined ? "" : `: ${item.reason}`}`)];
    case "end":
      if (item.status === "completed") return [`${paint("green", "completed")} → ${formatValue(item.result, 120)}`];
      if (item.status === "failed") return [`${paint("red", "failed")}: ${item.error?.name}: ${item.error?.message}`];
      if (item.status === "continued") {
        return [`${paint("cyan", "continued as new")} → next generation's input ${formatValue(item.result, 120)}`];
      }
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

function describeChild(
  item: Extract<TimelineItem, { kind: "child" }>,
  offset: (ms: number) => string,
  nowMs: number,
  paint: Painter,
  live: boolean,
): string {
  const what =
    item.action === "start"
      ? `child ${item.workflow === "" ? "" : `'${item.workflow}' `}run ${item.childId}`
      : `result of child run ${item.childId}`;
  const at = offset(item.endMs ?? nowMs);
  switch (item.outcome) {
    case "started":
      return `${what} started`;
    case "waiting":
      return `${what} ${paint("yellow", live ? `waited for ${formatDuration(nowMs - item.startMs)}` : ON_HOLD)}`;
    case "completed":
      return `${what} ${paint("green", "completed")} at ${at} → ${formatValue(item.result, 120)}`;
    case "failed":
      return `${what} ${paint("red", "failed")} at ${at}: ${item.error?.name}: ${item.error?.message}`;
    case "cancelled":
      return `${what} ${paint("gray", "cancelled")} at ${at}${item.reason === undefined ? "" : `: ${item.reason}`}`;
    case "start-failed":
      return `${what} ${paint("red", "could not start")}: ${item.error?.name}: ${item.error?.message}`;
    case "withdrawn":
      return `${what} ${paint("gray", "no longer waited for")} at ${at} ${withdrawnText(item.withdrawnBy)}`;
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

/** `customer=42, draft removed`: a setTags() change as one line. */
function tagChangesText(tags: Readonly<Record<string, string | null>>): string {
  return Object.entries(tags)
    .map(([key, value]) => (value === null ? `${key} removed` : `${key}=${value}`))
    .join(", ");
}
