// How a run's projection is stored by every store: its wait as two columns (kind, name) and back, and which
// commits may skip rewriting the projection. Pure; the stores (SQLite, PostgreSQL) share these rules.
import type { RunUpdate, WaitInfo } from "./store.js";

/**
 * Whether a commit may change nothing about a run but its log: it keeps the run `running` under the same lease,
 * with no wait, result, error or reason. It is progress only if the row has none of these either; a store's
 * guarded statement checks that part. The full update would write the same values back, except the due time:
 * it would move to `nowMs`, and leaving it at the (earlier) time the run was claimed is just as correct: either
 * way the run is due at once if this engine dies and its lease expires.
 *
 * @example
 * if (mayBeProgressOnly(commit.update)) statements.get("recordProgress", args);
 */
export function mayBeProgressOnly(update: RunUpdate): boolean {
  return (
    !update.release &&
    update.status === "running" &&
    update.waitingFor === undefined &&
    update.wakeAtMs === undefined &&
    update.wake === undefined &&
    update.result === undefined &&
    update.error === undefined &&
    update.reason === undefined
  );
}

/**
 * The stored wait columns as a WaitInfo (undefined for none or an unknown kind).
 *
 * @example
 * toWaitInfo("signal", "approved"); // { kind: "signal", name: "approved" }
 */
export function toWaitInfo(kind: string | null, name: string | null): WaitInfo | undefined {
  if (kind === "timer") return { kind: "timer" };
  if (kind === "retry" && name !== null) return { kind: "retry", step: name };
  if (kind === "signal" && name !== null) return { kind: "signal", name };
  if (kind === "child" && name !== null) return { kind: "child", id: name };
  return undefined;
}

/**
 * The name column of a WaitInfo: the step of a retry, the signal's name, the child's id.
 *
 * @example
 * waitName({ kind: "retry", step: "charge" }); // "charge"
 */
export function waitName(wait: WaitInfo | undefined): string | undefined {
  if (wait?.kind === "retry") return wait.step;
  if (wait?.kind === "signal") return wait.name;
  if (wait?.kind === "child") return wait.id;
  return undefined;
}
