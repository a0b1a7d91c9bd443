// A deliberately broken store for crash-safety tests: it acknowledges every commit but loses the last one when its
// process goes away, as a disk that did not flush would. checkCrashSafety must notice.
import type { Store } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import Database from "better-sqlite3";

/**
 * A deliberately broken store: it acknowledges every commit, but when its process goes away the last
 * commit is lost (as with a disk that did not flush). The harness must notice.
 */
export async function openLossyStore(filename: string): Promise<Store> {
  const inner = await SqliteStore.open({ filename });
  let last: { runId: string; keepSeq: number } | undefined;
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === "commit") {
        return async (commit: Parameters<Store["commit"]>[0]) => {
          await target.commit(commit);
          last = { runId: commit.runId, keepSeq: commit.expectedLastSeq };
        };
      }
      if (property === "close") {
        return async () => {
          await target.close();
          if (last === undefined) return;
          const db = new Database(filename);
          db.prepare("delete from events where run_key = (select run_key from runs where id = ?) and seq > ?").run(
            last.runId,
            last.keepSeq,
          );
          db.prepare(
            "update runs set last_seq = ?, status = 'running', due_at_ms = 0, lease_owner = null, finished_at_ms = null where id = ?",
          ).run(last.keepSeq, last.runId);
          db.close();
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
