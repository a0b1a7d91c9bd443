// Names what a run recorded by the command it belongs to, not by seq, so two plays of a parallel workflow compare
// even when their branches finished in another order; and pairs the children of two plays by the command that started them.
import type { HistoryEvent, WorkflowDefinition } from "@reprise/core";
import { Replayer } from "@reprise/core/internal";
import type { Observation, RunObservation } from "./crash-scenario.js";
import { SCENARIO_RUN_ID } from "./crash-scenario.js";

/**
 * A run's events grouped by command. A command is named by the fiber that yielded it and its position there:
 * `#3` is the workflow's third command, `#2 > all[1] #1` the first command of branch 1 of the group that was the
 * workflow's second command. These names do not depend on the order in which parallel branches finished.
 */
export interface Timeline {
  /** Each command's events, in the order recorded (their order within a command is never free). */
  readonly commands: ReadonlyMap<string, readonly HistoryEvent[]>;
  /** The command that started each child run, by the child's id. */
  readonly childCommands: ReadonlyMap<string, string>;
}

/** Whether a run used parallel branches: then only the events of each command keep a fixed order. */
export function isParallel(events: readonly HistoryEvent[]): boolean {
  return events.some((event) => event.type === "branches_started");
}

/**
 * Groups `events` (one run's whole log) by command, replaying them with `definition` to learn which fiber each
 * command came from. Returns a sentence instead when the code does not replay that log.
 */
export function timelineOf(
  runId: string,
  events: readonly HistoryEvent[],
  definition: WorkflowDefinition<never, unknown> | undefined,
): Timeline | string {
  if (definition === undefined) return `no definition of the workflow of run '${runId}' was given`;
  const replayer = new Replayer(runId, definition);
  /** Replayer branch path → the name used here (a path names a fiber only while its group runs). */
  const fiberNames = new Map<string, string>();
  const positions = new Map<string, number>();
  const commandOfSeq = new Map<number, string>();
  const commands = new Map<string, HistoryEvent[]>();
  const childCommands = new Map<string, string>();
  for (const event of events) {
    const name = commandOf(event);
    const recorded = commands.get(name);
    if (recorded === undefined) commands.set(name, [event]);
    else recorded.push(event);
    try {
      replayer.apply(event);
    } catch (error) {
      return `replaying run '${runId}' at seq ${event.seq} failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return { commands, childCommands };

  function commandOf(event: HistoryEvent): string {
    const state = replayer.state.type;
    if (state !== "waiting" || event.type === "cancellation_requested") return "run";
    const next = replayer.next;
    if (next !== undefined) {
      const fiber = fiberNames.get(next.path) ?? next.path;
      const position = (positions.get(fiber) ?? 0) + 1;
      positions.set(fiber, position);
      const name = `${fiber === "" ? "" : `${fiber} `}#${position}`;
      commandOfSeq.set(event.seq, name);
      if (event.type === "branches_started") {
        for (let index = 0; index < event.count; index++) {
          const key = event.keys?.[index];
          const label = key === undefined ? `${event.combinator}[${index}]` : `${event.combinator}.${key}`;
          fiberNames.set(next.path === "" ? label : `${next.path} > ${label}`, `${name} > ${label}`);
        }
      }
      if (event.type === "child_started") childCommands.set(event.childId, name);
      return name;
    }
    const answered = "commandSeq" in event && event.commandSeq !== undefined ? event.commandSeq : onlyOpen();
    return (answered === undefined ? undefined : commandOfSeq.get(answered)) ?? `seq ${event.seq}`;
  }

  function onlyOpen(): number | undefined {
    return replayer.open.size === 1 ? [...replayer.open.keys()][0] : undefined;
  }
}

/** A run of a play with the name it is compared under: "the run", or the path of commands that started it. */
export interface NamedRun {
  readonly name: string;
  readonly run: RunObservation;
}

/**
 * Names the children of a play by the command of their parent that started them (`child #2`, `child #2 / #1`
 * for a grandchild), so that children of two plays pair up even when their default ids (`<parent>/<seq>`) differ.
 * Runs whose parent's log does not replay, or that no `child_started` names, keep their id.
 */
export function nameChildren(
  play: Observation,
  definitions: ReadonlyMap<string, WorkflowDefinition<never, unknown>>,
  rootWorkflow: string,
): { readonly named: ReadonlyMap<string, NamedRun>; readonly nameOfRun: ReadonlyMap<string, string> } {
  const nameOfRun = new Map<string, string>([[SCENARIO_RUN_ID, "the run"]]);
  const named = new Map<string, NamedRun>();
  const visit = (runId: string, workflowName: string, events: readonly HistoryEvent[], prefix: string): void => {
    const timeline = timelineOf(runId, events, definitions.get(workflowName));
    if (typeof timeline === "string") return;
    for (const [childId, command] of timeline.childCommands) {
      const run = play.children.get(childId);
      if (run === undefined || nameOfRun.has(childId)) continue;
      const name = `${prefix}${command}`;
      nameOfRun.set(childId, `child ${name}`);
      named.set(`child ${name}`, { name: `child ${name}`, run });
      visit(childId, run.workflow, run.events, `${name} / `);
    }
  };
  visit(SCENARIO_RUN_ID, rootWorkflow, play.events, "");
  for (const [id, run] of play.children) {
    if (nameOfRun.has(id)) continue;
    nameOfRun.set(id, `run '${id}'`);
    named.set(`run '${id}'`, { name: `run '${id}'`, run });
  }
  return { named, nameOfRun };
}
