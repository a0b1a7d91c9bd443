// Which command each event of a run's log belongs to, and on which branch (lane) of an `all`/`race` it ran.
// From the log alone: the first event of a command yielded inside branches carries its branch path.
//
// Answering events name their command by `commandSeq` (format 2; format 1 logs have one command open at a time,
// all of the workflow itself). What the log does not record is which open commands a decided group withdrew (a
// race's losers): replaying with the workflow's code (`lanesFromReplay`, `--workflows`) also reports those.
import type { HistoryEvent, WorkflowDefinition } from "@reprise/core";
import { Replayer } from "@reprise/core/internal";

/**
 * Where one event belongs: the command it is part of (by that command's first seq) and the command's branch path
 * (`""` for the workflow itself, e.g. `all[2] > race.late`; `undefined` for a run-level event such as a cancellation).
 *
 * @example
 * const place = lanes.places[event.seq]; // { commandSeq: 3, path: "all[1]" }
 */
export interface EventPlace {
  /** Seq of the command's first event (the event's own seq for a first event); undefined for run-level events. */
  readonly commandSeq: number | undefined;
  readonly path: string | undefined;
}

/**
 * The places of a run's events, indexed by seq, and (from replay only) which open commands each event withdrew:
 * the losers of a race, the other branches of a failed `all`.
 *
 * @example
 * const lanes = lanesFromLog(history);
 * console.log(lanes.places[5]?.path, lanes.source); // "race.late" "log"
 */
export interface BranchLanes {
  readonly places: readonly (EventPlace | undefined)[];
  /** Command seqs withdrawn by the event with this seq (replay only; the log records no withdrawal). */
  readonly withdrawnBy: ReadonlyMap<number, readonly number[]>;
  readonly source: "replay" | "log";
  /** Why replay with the code stopped early, when it did (the rest was placed from the log alone). */
  readonly replayProblem?: string | undefined;
}

/** Events that end or interrupt the run as a whole: they belong to no command. */
const RUN_LEVEL = new Set<HistoryEvent["type"]>([
  "run_started",
  "run_continued",
  "cancellation_requested",
  "run_completed",
  "run_failed",
  "run_cancelled",
]);

/**
 * The branch label of a path's last segment, as the timeline shows it: `[2]` for `all[2]`, `.late` for `race.late`.
 *
 * @example
 * branchLabel("all[2] > race.late"); // ".late"
 */
export function branchLabel(path: string): string {
  const last = path.split(" > ").at(-1) ?? path;
  const at = last.search(/[[.]/);
  return at === -1 ? last : last.slice(at);
}

/**
 * The branch paths of a group recorded by `branches_started`, owned by the fiber at `ownerPath`.
 *
 * @example
 * groupPaths("", { combinator: "race", count: 2, keys: ["shipped", "late"] }); // ["race.shipped", "race.late"]
 */
export function groupPaths(
  ownerPath: string,
  event: { readonly combinator: string; readonly count: number; readonly keys?: readonly string[] | undefined },
): string[] {
  return Array.from({ length: event.count }, (_, index) => {
    const label =
      event.keys === undefined ? `${event.combinator}[${index}]` : `${event.combinator}.${event.keys[index] ?? index}`;
    return ownerPath === "" ? label : `${ownerPath} > ${label}`;
  });
}

/**
 * Places every event from the log alone: a first event by its own `path` (absent: the workflow itself), an
 * answer by the command it names.
 *
 * @example
 * const lanes = lanesFromLog(await engine.history("order-1"));
 */
export function lanesFromLog(events: readonly HistoryEvent[]): BranchLanes {
  const places: (EventPlace | undefined)[] = [];
  const pathOf = new Map<number, string>();
  /** Format 1: the one open command (a step between retries, a timer, a signal wait). */
  let openSeq: number | undefined;
  for (const event of events) {
    if (RUN_LEVEL.has(event.type)) {
      places[event.seq] = { commandSeq: undefined, path: event.type === "cancellation_requested" ? undefined : "" };
      continue;
    }
    const answered = answeredCommand(event, openSeq);
    if (answered !== undefined) {
      places[event.seq] = { commandSeq: answered, path: pathOf.get(answered) ?? "" };
      if (!(event.type === "step_failed" && event.retryAtMs !== undefined)) openSeq = undefined;
      continue;
    }
    const path = event.path ?? "";
    pathOf.set(event.seq, path);
    places[event.seq] = { commandSeq: event.seq, path };
    if (opensCommand(event)) openSeq = event.seq;
  }
  return { places, withdrawnBy: new Map(), source: "log" };
}

/** Whether a command's first event leaves it waiting for an answer. */
function opensCommand(event: HistoryEvent): boolean {
  return (
    event.type === "step_started" ||
    event.type === "timer_started" ||
    event.type === "signal_wait_started" ||
    event.type === "child_wait_started" ||
    (event.type === "child_started" && event.detached !== true) ||
    (event.type === "step_failed" && event.retryAtMs !== undefined)
  );
}

/** The seq of the command this event answers, or undefined when it is a command's first event. */
function answeredCommand(event: HistoryEvent, openSeq: number | undefined): number | undefined {
  if ("commandSeq" in event && event.commandSeq !== undefined) {
    return event.commandSeq === event.seq ? undefined : event.commandSeq;
  }
  // Format 1: events of these kinds answer the one open command when there is one.
  const answers =
    event.type === "timer_fired" ||
    event.type === "signal_timed_out" ||
    event.type === "signal_received" ||
    event.type === "step_completed" ||
    event.type === "step_failed";
  return answers ? openSeq : undefined;
}

/**
 * Places every event by replaying the log with the workflow's code: the exact branch of each command, and the
 * commands each event withdrew. If the code no longer matches the log, the rest is placed from the log alone and
 * `replayProblem` says why.
 *
 * @example
 * const lanes = lanesFromReplay("order-1", history, order);
 */
export function lanesFromReplay(
  runId: string,
  events: readonly HistoryEvent[],
  definition: WorkflowDefinition<never, unknown>,
): BranchLanes {
  const replayer = new Replayer(runId, definition);
  const places: (EventPlace | undefined)[] = [];
  const withdrawnBy = new Map<number, number[]>();
  for (const [index, event] of events.entries()) {
    const next = replayer.next;
    let place: EventPlace;
    if (RUN_LEVEL.has(event.type)) {
      place = { commandSeq: undefined, path: event.type === "cancellation_requested" ? undefined : "" };
    } else if (next !== undefined) {
      place = { commandSeq: event.seq, path: next.path };
    } else {
      let seq = "commandSeq" in event ? event.commandSeq : undefined;
      if (seq === undefined && replayer.open.size === 1) seq = replayer.open.keys().next().value;
      place = { commandSeq: seq, path: seq === undefined ? undefined : replayer.open.get(seq)?.path };
    }
    try {
      replayer.apply(event);
    } catch (error) {
      // The code and the log disagree from here on: the rest is placed from the log alone.
      const rest = lanesFromLog(events);
      for (const later of events.slice(index)) places[later.seq] = rest.places[later.seq];
      const problem = error instanceof Error ? error.message : String(error);
      return { places, withdrawnBy, source: "replay", replayProblem: problem };
    }
    places[event.seq] = place;
    const withdrawn = replayer.takeWithdrawn();
    if (withdrawn.length > 0)
      withdrawnBy.set(
        event.seq,
        withdrawn.map((entry) => entry.open.seq),
      );
  }
  return { places, withdrawnBy, source: "replay" };
}
