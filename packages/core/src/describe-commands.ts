// How commands and events are named in errors and tools: "step 'charge'", "all[2] > sleep()", "timer_fired".
// Pure text; the replayer (replay.ts) and the CLI use these names, and NonDeterminismError carries them.
import type { Combinator } from "./branches.js";
import type { Command } from "./commands.js";
import type { HistoryEvent } from "./events.js";

/** A command with its branch path, e.g. "all[2] > step 'save-7'". */
export function describeAt(path: string, command: Command): string {
  return path === "" ? describeCommand(command) : `${path} > ${describeCommand(command)}`;
}

/** Names a command the way a workflow author wrote it. */
export function describeCommand(command: Command): string {
  // By kind, never instanceof: the command may come from another copy of @reprise/core (see isCommand).
  switch (command.kind) {
    case "step":
      return `step '${command.name}'`;
    case "sleep":
      return command.durationMs === undefined ? "sleepUntil()" : "sleep()";
    case "signal":
      return `awaitSignal '${command.name}'`;
    case "value":
      return `${command.source}()`;
    case "patch":
      return `${command.deprecated ? "deprecatePatch" : "patched"}('${command.patchId}')`;
    case "branches":
      return describeGroup(command.combinator, command.branches.length, command.keys, command.concurrency);
    case "child":
      return `${command.wait ? "child" : "startChild"}('${command.workflow.name}')`;
    case "childResult":
      return `result of child '${command.childId}'`;
    case "continueAsNew":
      return "continueAsNew()";
    case "tags":
      return `setTags({ ${Object.keys(command.changes).join(", ")} })`;
  }
}

function describeGroup(
  combinator: Combinator,
  count: number,
  keys: readonly string[] | undefined,
  concurrency: number | undefined,
): string {
  const group = keys === undefined ? `${combinator}() of ${count} branches` : `${combinator}({ ${keys.join(", ")} })`;
  return concurrency === undefined ? group : `${group} with concurrency ${concurrency}`;
}

/** Names an event as `type 'name'`, e.g. "step_completed 'charge'", with its branch path if it has one. */
export function describeEvent(event: HistoryEvent): string {
  const described = describeEventKind(event);
  return event.path === undefined ? described : `${described} at ${event.path}`;
}

function describeEventKind(event: HistoryEvent): string {
  if ("name" in event) return `${event.type} '${event.name}'`;
  if (event.type === "value_recorded") return `${event.type} (${event.source}())`;
  if (event.type === "branches_started") {
    return `${event.type} (${describeGroup(event.combinator, event.count, event.keys, event.concurrency)})`;
  }
  if ("childId" in event) return `${event.type} '${event.childId}'`;
  if (event.type === "tags_set") return `${event.type} (${Object.keys(event.tags).join(", ")})`;
  if (event.type === "patch_recorded")
    return `${event.type} '${event.patchId}'${event.deprecated ? " (deprecated)" : ""}`;
  return event.type;
}

export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return `a ${typeof value}`;
}
