// A run's history as a timeline: steps with their attempts, sleeps, signal and child waits as spans, signals as
// marks, groups of parallel branches with their items on lanes. Pure: built from decoded events, the run's row,
// the current time and the events' places (branch-lanes.ts); `reprise show` prints it, the inspector draws it.
import {
  type Combinator,
  FINISHED_STATUSES,
  type BlockedEpisodeEnd,
  type HistoryEvent,
  type RecordedValueSource,
  type RunInfo,
} from "@reprise/core";
import { groupPaths, lanesFromLog, type BranchLanes } from "./branch-lanes.js";

/**
 * What ended a sleep, a signal wait, a child wait or a step before it could finish: a cancellation delivered at
 * it, the run's end (`completed`, `failed`, `cancelled`), or `branch`: its branch lost (another branch won the
 * race, or failed the `all`), which only replay with the code shows.
 *
 * @example
 * if (item.kind === "sleep" && item.withdrawnBy === "cancellation") console.log("the sleep was cut short");
 */
export type WithdrawnBy = "cancellation" | "completed" | "failed" | "cancelled" | "branch";

/**
 * The part of a run's row the timeline needs: whether it is finished or blocked, since when, and the episodes
 * during which it was blocked (`getRun` gives them).
 *
 * @example
 * const run: TimelineRun = { status: "blocked", reason: "NonDeterminismError: ...", updatedAtMs: Date.now() };
 */
export type TimelineRun = Pick<RunInfo, "status" | "reason" | "updatedAtMs" | "finishedAtMs" | "blockedEpisodes">;

/** One attempt of a step. Its start is estimated: the engine records when attempts end, not when they begin. */
export interface TimelineAttempt {
  readonly attempt: number;
  /** When the attempt began, at the earliest: the previous event, or the retry time it waited for. */
  readonly startMs: number;
  readonly endMs: number;
  readonly ok: boolean;
  readonly error?: { readonly name: string; readonly message: string } | undefined;
  /** When the next attempt was due, for a failure that was retried. */
  readonly retryAtMs?: number | undefined;
}

/**
 * Where an item ran: absent for the workflow itself, else a branch path such as `all[2] > race.late` (the path
 * its command's first event recorded; see branch-lanes.ts).
 *
 * @example
 * const lanes = timeline.items.map((item) => item.lane ?? "workflow");
 */
export type TimelineLane = string | undefined;

/** Something that happened in a run, placed in time. `seq` is the seq of its first event (its command's seq). */
export type TimelineItem = (
  | {
      readonly kind: "step";
      readonly seq: number;
      readonly name: string;
      readonly startMs: number;
      endMs: number | undefined;
      /**
       * `running`: started in a branch (`step_started`), no attempt ended yet. `withdrawn`: a retry was due, or
       * the attempt still ran, when a cancellation, the run's end or a lost branch came first.
       */
      outcome: "completed" | "failed" | "retrying" | "running" | "withdrawn";
      readonly attempts: TimelineAttempt[];
      result?: unknown;
      nextAttemptAtMs?: number | undefined;
      withdrawnBy?: WithdrawnBy;
    }
  | {
      readonly kind: "sleep";
      readonly seq: number;
      readonly startMs: number;
      readonly wakeAtMs: number;
      firedAtMs?: number;
      /** Set when the timer never fired: a cancellation or the run's end came first. */
      withdrawnAtMs?: number;
      withdrawnBy?: WithdrawnBy;
    }
  | {
      readonly kind: "wait";
      readonly seq: number;
      readonly name: string;
      readonly startMs: number;
      readonly timeoutAtMs?: number | undefined;
      endMs: number | undefined;
      outcome: "waiting" | "received" | "timed-out" | "withdrawn";
      withdrawnBy?: WithdrawnBy;
    }
  | {
      readonly kind: "signal";
      readonly seq: number;
      readonly name: string;
      readonly atMs: number;
      readonly signalId: string;
      readonly payload: unknown;
      /** Seq of the wait this signal answered, when it was not taken at once from the inbox. */
      readonly commandSeq?: number | undefined;
    }
  | {
      readonly kind: "value";
      readonly seq: number;
      readonly source: RecordedValueSource;
      readonly atMs: number;
      readonly value: unknown;
    }
  | {
      /** `setTags()` changed the run's tags here (`null`: a key removed). */
      readonly kind: "tags";
      readonly seq: number;
      readonly atMs: number;
      readonly tags: Readonly<Record<string, string | null>>;
    }
  | {
      /** `patched(id)` took the patched path here (or `deprecatePatch(id)` marked its place). */
      readonly kind: "patch";
      readonly seq: number;
      readonly patchId: string;
      readonly deprecated: boolean;
      readonly atMs: number;
    }
  | {
      /** A group of parallel branches (`branches_started`); its branches' items carry lanes under `paths`. */
      readonly kind: "group";
      readonly seq: number;
      readonly atMs: number;
      readonly combinator: Combinator;
      readonly count: number;
      readonly keys?: readonly string[] | undefined;
      /** Each branch's full path (`all[0]`, `all[0] > race.late`), in argument order; empty if the owner is unknown. */
      readonly paths: readonly string[];
      /** When the last item seen in one of its lanes ended; the log records no end for a group. */
      endMs: number;
    }
  | {
      /**
       * A child run: started (`action: "start"`, by child() or startChild()) or waited for (`action: "wait"`,
       * by a handle's result()). `outcome` is the child's end once the parent recorded it.
       */
      readonly kind: "child";
      readonly seq: number;
      readonly action: "start" | "wait";
      readonly childId: string;
      readonly workflow: string;
      readonly startMs: number;
      endMs: number | undefined;
      outcome: "started" | "waiting" | "completed" | "failed" | "cancelled" | "start-failed" | "withdrawn";
      result?: unknown;
      error?: { readonly name: string; readonly message: string } | undefined;
      reason?: string | undefined;
      withdrawnBy?: WithdrawnBy;
    }
  | { readonly kind: "cancellation"; readonly seq: number; readonly atMs: number; readonly reason?: string | undefined }
  | {
      readonly kind: "end";
      readonly seq: number;
      readonly atMs: number;
      /** `continued`: the generation ended with `continueAsNew`; `result` is the next generation's input. */
      readonly status: "completed" | "failed" | "cancelled" | "continued";
      readonly result?: unknown;
      readonly error?: { readonly name: string; readonly message: string } | undefined;
      readonly reason?: string | undefined;
    }
  | {
      /**
       * An episode during which the run was blocked (it waited for code matching its history): a past one, with
       * `endedAtMs`, or the current one. Blocking writes nothing to the log, so this comes from the store's
       * record of blocked episodes (`getRun`'s `blockedEpisodes`); `seq` is that of the last event before it. A
       * run blocked before the store kept episodes has none: its current block then starts when the run's row
       * last changed (the block, unless a cancel was requested since).
       */
      readonly kind: "blocked";
      readonly seq: number;
      readonly atMs: number;
      readonly reason: string;
      /** When the episode ended; undefined while the run is still blocked. */
      readonly endedAtMs?: number | undefined;
      readonly endedBy?: BlockedEpisodeEnd | undefined;
    }
) & {
  /** Set only for items of a branch; see TimelineLane. */
  readonly lane?: TimelineLane;
};

/** A run's timeline: its items in log order, between the run's start and its end (or now). */
export interface Timeline {
  readonly startMs: number;
  /** The last event of a finished run, otherwise the later of the last event and now. */
  readonly endMs: number;
  /**
   * The run can still move on by itself: it is neither finished nor blocked. Only then do open deadlines
   * (a sleep's wake-up, a signal's timeout, a retry) count down.
   */
  readonly live: boolean;
  readonly items: TimelineItem[];
  /** How items were placed on lanes: by replaying the code, or from the log alone (see branch-lanes.ts). */
  readonly lanes: "replay" | "log";
  /** Why replay with the code stopped early, when it did. */
  readonly replayProblem?: string | undefined;
}

/**
 * Builds the timeline of a run from its decoded history and, when given, its row (`getRun`): a sleep, wait or
 * retry that a cancellation or the run's end overtook is marked withdrawn, past blocked episodes are placed
 * after the event they followed, and a blocked run ends in a `blocked` item. Items of parallel branches carry
 * their `lane`; `lanes` places them (default: from the log alone; pass `lanesFromReplay(...)` when the workflow
 * code is at hand).
 *
 * @example
 * const timeline = buildTimeline(await engine.history("order-1"), Date.now(), await engine.getRun("order-1"));
 * for (const item of timeline.items) if (item.kind === "step") console.log(item.name, item.attempts.length);
 */
export function buildTimeline(
  events: readonly HistoryEvent[],
  nowMs: number,
  run?: TimelineRun,
  lanes: BranchLanes = lanesFromLog(events),
): Timeline {
  const items: TimelineItem[] = [];
  const first = events[0];
  const startMs = first?.atMs ?? nowMs;
  let previousAtMs = startMs;
  /** Items of commands that wait for an answer, by command seq. */
  const open = new Map<number, OpenItem>();
  let finished = false;
  /** Closes an open item that a cancellation, the run's end or a lost branch overtook. */
  const withdraw = (item: OpenItem, atMs: number, by: WithdrawnBy) => {
    if (item.kind === "sleep") Object.assign(item, { withdrawnAtMs: atMs, withdrawnBy: by });
    else Object.assign(item, { endMs: atMs, outcome: "withdrawn", withdrawnBy: by });
  };
  const withdrawOpen = (atMs: number, by: WithdrawnBy) => {
    for (const item of open.values()) withdraw(item, atMs, by);
    open.clear();
  };
  const add = <T extends TimelineItem>(item: T, lane: TimelineLane): T => {
    const placed = lane === undefined ? item : { ...item, lane };
    items.push(placed);
    return placed;
  };
  for (const event of events) {
    const place = lanes.places[event.seq];
    const path = place?.path;
    const lane: TimelineLane = path === "" ? undefined : path;
    const commandSeq = place?.commandSeq ?? event.seq;
    const isFirst = commandSeq === event.seq;
    const answered = isFirst ? undefined : open.get(commandSeq);
    switch (event.type) {
      case "run_started":
        break;
      case "step_started":
        open.set(event.seq, add(newStep(event.seq, event.name, event.atMs, "running"), lane));
        break;
      case "step_completed":
      case "step_failed": {
        const continuing = answered?.kind === "step" ? answered : undefined;
        const inline = continuing === undefined;
        // Only the workflow's own steps run inline, with nothing else open: every group has finished, so what
        // is still open lost its branch without the log saying so (at the latest by the previous event).
        if (inline && path === "") withdrawOpen(previousAtMs, "branch");
        const step = continuing ?? add(newStep(event.seq, event.name, previousAtMs, "retrying"), lane);
        const last = step.attempts.at(-1);
        const base = inline ? previousAtMs : (last?.endMs ?? step.startMs);
        const attemptStartMs = Math.min(event.atMs, Math.max(base, last?.retryAtMs ?? base));
        const failed = event.type === "step_failed";
        step.attempts.push({
          attempt: event.attempt,
          startMs: attemptStartMs,
          endMs: event.atMs,
          ok: !failed,
          error: failed ? { name: event.error.name, message: event.error.message } : undefined,
          retryAtMs: failed ? event.retryAtMs : undefined,
        });
        if (!failed) Object.assign(step, { outcome: "completed", endMs: event.atMs, result: event.result });
        else if (event.retryAtMs !== undefined)
          Object.assign(step, { outcome: "retrying", nextAttemptAtMs: event.retryAtMs });
        else Object.assign(step, { outcome: "failed", endMs: event.atMs, nextAttemptAtMs: undefined });
        if (step.outcome === "retrying") open.set(step.seq, step);
        else open.delete(step.seq);
        break;
      }
      case "timer_started":
        open.set(
          event.seq,
          add({ kind: "sleep", seq: event.seq, startMs: event.atMs, wakeAtMs: event.wakeAtMs }, lane),
        );
        break;
      case "timer_fired":
        if (answered?.kind === "sleep") answered.firedAtMs = event.atMs;
        open.delete(commandSeq);
        break;
      case "signal_wait_started":
        open.set(
          event.seq,
          add(
            {
              kind: "wait",
              seq: event.seq,
              name: event.name,
              startMs: event.atMs,
              timeoutAtMs: event.timeoutAtMs,
              endMs: undefined,
              outcome: "waiting",
            },
            lane,
          ),
        );
        break;
      case "signal_received":
        if (answered?.kind === "wait") Object.assign(answered, { endMs: event.atMs, outcome: "received" });
        open.delete(commandSeq);
        add(
          {
            kind: "signal",
            seq: event.seq,
            name: event.name,
            atMs: event.atMs,
            signalId: event.signalId,
            payload: event.payload,
            ...(isFirst ? {} : { commandSeq }),
          },
          lane,
        );
        break;
      case "signal_timed_out":
        if (answered?.kind === "wait") Object.assign(answered, { endMs: event.atMs, outcome: "timed-out" });
        open.delete(commandSeq);
        break;
      case "value_recorded":
        add({ kind: "value", seq: event.seq, source: event.source, atMs: event.atMs, value: event.value }, lane);
        break;
      case "tags_set":
        add({ kind: "tags", seq: event.seq, atMs: event.atMs, tags: event.tags }, lane);
        break;
      case "patch_recorded":
        add(
          {
            kind: "patch",
            seq: event.seq,
            patchId: event.patchId,
            deprecated: event.deprecated === true,
            atMs: event.atMs,
          },
          lane,
        );
        break;
      case "branches_started":
        add(
          {
            kind: "group",
            seq: event.seq,
            atMs: event.atMs,
            combinator: event.combinator,
            count: event.count,
            keys: event.keys,
            paths: path === undefined ? [] : groupPaths(path, event),
            endMs: event.atMs,
          },
          lane,
        );
        break;
      case "child_started":
      case "child_start_failed":
        open.set(
          event.seq,
          add(
            {
              kind: "child",
              seq: event.seq,
              action: "start",
              childId: event.childId,
              workflow: event.workflow,
              startMs: event.atMs,
              endMs: event.type === "child_start_failed" ? event.atMs : undefined,
              outcome: event.type === "child_start_failed" ? "start-failed" : "started",
              error: event.type === "child_start_failed" ? briefError(event.error) : undefined,
            },
            lane,
          ),
        );
        // startChild() goes on at once: nothing answers its child_started (a later handle.result() waits on its own).
        if (event.type === "child_start_failed" || (event.type === "child_started" && event.detached === true)) {
          open.delete(event.seq);
        }
        break;
      case "child_wait_started":
        open.set(event.seq, add(newChildWait(event.seq, event.childId, "", event.atMs), lane));
        break;
      case "child_completed":
      case "child_failed":
      case "child_cancelled": {
        // A result() whose child had already ended is answered by its first event.
        const item =
          answered?.kind === "child"
            ? answered
            : add(newChildWait(event.seq, event.childId, event.workflow, event.atMs), lane);
        Object.assign(item, {
          workflow: event.workflow,
          endMs: event.atMs,
          outcome: event.type.slice("child_".length),
          ...(event.type === "child_completed" ? { result: event.result } : {}),
          ...(event.type === "child_failed" ? { error: briefError(event.error) } : {}),
          ...(event.type === "child_cancelled" ? { reason: event.reason } : {}),
        });
        open.delete(commandSeq);
        break;
      }
      case "cancellation_requested":
        withdrawOpen(event.atMs, "cancellation");
        items.push({ kind: "cancellation", seq: event.seq, atMs: event.atMs, reason: event.reason });
        break;
      case "run_completed":
        finished = true;
        withdrawOpen(event.atMs, "completed");
        items.push({ kind: "end", seq: event.seq, atMs: event.atMs, status: "completed", result: event.result });
        break;
      case "run_failed":
        finished = true;
        withdrawOpen(event.atMs, "failed");
        items.push({
          kind: "end",
          seq: event.seq,
          atMs: event.atMs,
          status: "failed",
          error: briefError(event.error),
        });
        break;
      case "run_cancelled":
        finished = true;
        withdrawOpen(event.atMs, "cancelled");
        items.push({ kind: "end", seq: event.seq, atMs: event.atMs, status: "cancelled", reason: event.reason });
        break;
      case "run_continued":
        finished = true;
        withdrawOpen(event.atMs, "completed");
        items.push({ kind: "end", seq: event.seq, atMs: event.atMs, status: "continued", result: event.input });
        break;
      default:
        // A new event kind fails to compile here until the timeline places it.
        event satisfies never;
    }
    // Replay knows which open commands this event withdrew (the losers of a race, the rest of a failed all).
    for (const seq of lanes.withdrawnBy.get(event.seq) ?? []) {
      const item = open.get(seq);
      if (item !== undefined) withdraw(item, event.atMs, "branch");
      open.delete(seq);
    }
    previousAtMs = event.atMs;
  }
  // The row is written with the log, so a finished row without its ending event is a log cut short; still end it.
  if (run !== undefined && FINISHED_STATUSES.has(run.status) && !finished) {
    finished = true;
    previousAtMs = Math.max(previousAtMs, run.finishedAtMs ?? run.updatedAtMs);
    withdrawOpen(previousAtMs, run.status as WithdrawnBy);
  }
  for (const item of items) if (item.kind === "group") item.endMs = groupEndMs(item, items);
  const blocked = run?.status === "blocked";
  const episodes = run?.blockedEpisodes ?? [];
  for (const episode of episodes) {
    if (episode.endedAtMs === undefined) continue;
    // After every item that began at or before the event the episode followed.
    const at = items.findIndex((item) => item.seq > episode.lastSeq);
    items.splice(at === -1 ? items.length : at, 0, {
      kind: "blocked",
      seq: episode.lastSeq,
      atMs: episode.blockedAtMs,
      reason: episode.reason,
      endedAtMs: episode.endedAtMs,
      endedBy: episode.endedBy,
    });
  }
  if (blocked) {
    const open = episodes.at(-1)?.endedAtMs === undefined ? episodes.at(-1) : undefined;
    items.push({
      kind: "blocked",
      seq: events.at(-1)?.seq ?? 0,
      atMs: open?.blockedAtMs ?? Math.max(run.updatedAtMs, previousAtMs),
      reason: run.reason ?? open?.reason ?? "no reason recorded",
    });
  }
  return {
    startMs,
    endMs: finished ? previousAtMs : Math.max(previousAtMs, nowMs),
    live: !finished && !blocked,
    items,
    lanes: lanes.source,
    ...(lanes.replayProblem === undefined ? {} : { replayProblem: lanes.replayProblem }),
  };
}

/** The items that wait for an answer (or a next attempt). */
type OpenItem = Extract<TimelineItem, { kind: "step" | "sleep" | "wait" | "child" }>;

/**
 * Whether `lane` lies inside the branch at `path` (the branch itself, or a group nested in it).
 *
 * @example
 * isInBranch("all[1] > race.late", "all[1]"); // true
 */
export function isInBranch(lane: TimelineLane, path: string): boolean {
  return typeof lane === "string" && (lane === path || lane.startsWith(`${path} > `));
}

/**
 * When an item ended (or, for a mark, happened); undefined while it is open.
 *
 * @example
 * const lastEndMs = Math.max(...timeline.items.map((item) => itemEndMs(item) ?? timeline.endMs));
 */
export function itemEndMs(item: TimelineItem): number | undefined {
  switch (item.kind) {
    case "step":
    case "wait":
    case "child":
      return item.endMs;
    case "sleep":
      return item.firedAtMs ?? item.withdrawnAtMs;
    case "blocked":
      return item.endedAtMs;
    case "group":
      return item.endMs;
    default:
      return item.atMs;
  }
}

function groupEndMs(group: Extract<TimelineItem, { kind: "group" }>, items: readonly TimelineItem[]): number {
  let endMs = group.atMs;
  for (const item of items) {
    if (item === group || !group.paths.some((path) => isInBranch(item.lane, path))) continue;
    endMs = Math.max(endMs, item.kind === "group" ? groupEndMs(item, items) : (itemEndMs(item) ?? endMs));
  }
  return endMs;
}

function briefError(error: { readonly name: string; readonly message: string }): { name: string; message: string } {
  return { name: error.name, message: error.message };
}

function newChildWait(
  seq: number,
  childId: string,
  workflow: string,
  startMs: number,
): Extract<TimelineItem, { kind: "child" }> {
  return { kind: "child", seq, action: "wait", childId, workflow, startMs, endMs: undefined, outcome: "waiting" };
}

function newStep(
  seq: number,
  name: string,
  startMs: number,
  outcome: "retrying" | "running",
): Extract<TimelineItem, { kind: "step" }> {
  return { kind: "step", seq, name, startMs, endMs: undefined, outcome, attempts: [] };
}
