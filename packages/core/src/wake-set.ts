// How a parked run's projection is derived from its open commands: status, what it waits for, its wake set.
// Pure: the Store contract (WakeSet in store.ts) says what a store does with it.
import type { OpenCommand } from "./replay.js";
import type { RunUpdate, WaitInfo } from "./store.js";

/**
 * The release of a run whose open commands can only move on by time, a signal, a child's end or a
 * cancellation: due at the earliest deadline, or when one of the awaited signals or children arrives.
 * Steps still running are not parked; a step waiting for its next attempt counts as a deadline.
 *
 * @example
 * parkUpdate([{ kind: "sleep", seq: 3, path: "", command, wakeAtMs: 1_000 }]);
 * // { status: "sleeping", waitingFor: { kind: "timer" }, wakeAtMs: 1000, release: true, wake: { atMs: 1000 } }
 */
export function parkUpdate(open: Iterable<OpenCommand>): RunUpdate {
  let atMs: number | undefined;
  const signals = new Set<string>();
  const children = new Set<string>();
  let first: WaitInfo | undefined;
  const deadline = (ms: number | undefined): void => {
    if (ms !== undefined && (atMs === undefined || ms < atMs)) atMs = ms;
  };
  for (const entry of open) {
    first ??= waitInfo(entry);
    switch (entry.kind) {
      case "step":
        deadline(entry.retryAtMs);
        break;
      case "sleep":
        deadline(entry.wakeAtMs);
        break;
      case "signal":
        signals.add(entry.command.name);
        deadline(entry.timeoutAtMs);
        break;
      case "child":
      case "childResult":
        children.add(entry.childId);
        break;
    }
  }
  const waits = signals.size > 0 || children.size > 0;
  return {
    status: waits ? "waiting" : "sleeping",
    waitingFor: first,
    wakeAtMs: atMs,
    release: true,
    wake: {
      atMs,
      signals: signals.size > 0 ? [...signals] : undefined,
      children: children.size > 0 ? [...children] : undefined,
    },
  };
}

function waitInfo(entry: OpenCommand): WaitInfo {
  switch (entry.kind) {
    case "step":
      return { kind: "retry", step: entry.command.name };
    case "sleep":
      return { kind: "timer" };
    case "signal":
      return { kind: "signal", name: entry.command.name };
    case "child":
    case "childResult":
      return { kind: "child", id: entry.childId };
  }
}
