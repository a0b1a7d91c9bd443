// Requesting a run's cancellation inside the caller's transaction, and cascading it to the children cancelled with it.
// Never throws for a finished run: callers that must refuse one (requestCancel) check first.
import { noteCancelRequested, noteRunsDue } from "./change-notifications.js";
import type { Statements } from "./statements.js";

/**
 * Marks the run (if unfinished and not marked yet) and, breadth first, every unfinished child created with
 * `onParentCancel: "cancel"`, their children in turn. Parent links never form a cycle (a child is created after
 * its parent), so the walk ends.
 *
 * @example
 * await cancelWithChildren(statements, "order-1", "customer request", nowMs);
 */
export async function cancelWithChildren(
  statements: Statements,
  runId: string,
  reason: string | undefined,
  nowMs: number,
): Promise<void> {
  const marked: string[] = [];
  if ((await statements.run("requestCancel", { id: runId, reason, nowMs })) > 0) marked.push(runId);
  const queue = [runId];
  for (let parentId = queue.shift(); parentId !== undefined; parentId = queue.shift()) {
    const children = await statements.all<{ id: string; cancel_requested: boolean }>("childrenToCancel", { parentId });
    for (const child of children) {
      if (!child.cancel_requested) {
        const why = `its parent run '${parentId}' was cancelled${reason === undefined ? "" : `: ${reason}`}`;
        if ((await statements.run("requestCancel", { id: child.id, reason: why, nowMs })) > 0) marked.push(child.id);
      }
      queue.push(child.id);
    }
  }
  // Parked ones are due now; running ones hear of it from their engine at once instead of at its next renewal.
  if (marked.length > 0) {
    noteRunsDue(statements);
    noteCancelRequested(statements, marked);
  }
}
