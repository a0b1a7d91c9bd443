// Requesting a run's cancellation inside the caller's write, and cascading it to the children cancelled with it.
// Never throws for a finished run: callers that must refuse one (requestCancel) check first.
import type { PreparedStatements } from "./statements.js";

/**
 * Marks the run (if unfinished and not marked yet) and, breadth first, every unfinished child created with
 * `onParentCancel: "cancel"`, their children in turn. Parent links never form a cycle (a child is created after
 * its parent), so the walk ends.
 *
 * @example
 * cancelWithChildren(statements, "order-1", "customer request", nowMs);
 */
export function cancelWithChildren(
  statements: PreparedStatements,
  runId: string,
  reason: string | undefined,
  nowMs: number,
): void {
  statements.run("requestCancel", { id: runId, reason, nowMs });
  const queue = [runId];
  for (let parentId = queue.shift(); parentId !== undefined; parentId = queue.shift()) {
    const children = statements.all<{ id: string; cancel_requested: number }>("childrenToCancel", { parentId });
    for (const child of children) {
      if (child.cancel_requested === 0) {
        const why = `its parent run '${parentId}' was cancelled${reason === undefined ? "" : `: ${reason}`}`;
        statements.run("requestCancel", { id: child.id, reason: why, nowMs });
      }
      queue.push(child.id);
    }
  }
}
