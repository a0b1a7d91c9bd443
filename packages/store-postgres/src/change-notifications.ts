// What a PostgresStore write tells other processes: the changes a transaction collects, sent with pg_notify once at
// its end (PostgreSQL delivers them at COMMIT, never for a rollback), and their wire format on the schema's channel.
import { createHash } from "node:crypto";
import type { StoreChange } from "@reprise/core";
import type { Statements } from "./statements.js";

/** Version of the payload format; a listener treats any other as "anything may have changed". */
const FORMAT = 1;
/** PostgreSQL refuses payloads of 8000 bytes or more; stay well below, JSON and all. */
const MAX_PAYLOAD_BYTES = 7_000;
/** Run ids one transaction announces per kind, at most; beyond that the holders learn of them by polling. */
const MAX_RUN_IDS = 1_000;
/** Workflow names one `runsDue` lists, at most; more and it says "any workflow". */
const MAX_WORKFLOWS = 50;

/**
 * The channel a schema's changes go out on: `<schema>_reprise`, or (when that exceeds PostgreSQL's 63-byte
 * identifiers) `reprise_` and a hash of the schema, so that two schemas never share a channel.
 *
 * @example
 * changeChannel("reprise"); // "reprise_reprise"
 */
export function changeChannel(schema: string): string {
  const plain = `${schema}_reprise`;
  if (Buffer.byteLength(plain) <= 63) return plain;
  return `reprise_${createHash("sha256").update(schema).digest("hex").slice(0, 40)}`;
}

/** What one transaction changed so far, merged. */
class PendingChanges {
  /** Some run became due now. */
  dueNow = false;
  /** The earliest future due time announced (only when nothing is due now). */
  dueAtMs: number | undefined;
  /** Workflows of the due runs; undefined once one of unknown workflow was announced. */
  dueWorkflows: Set<string> | undefined = new Set();
  anyDue = false;
  ended = false;
  readonly woken = new Set<string>();
  readonly cancelled = new Set<string>();

  get empty(): boolean {
    return !this.anyDue && !this.ended && this.woken.size === 0 && this.cancelled.size === 0;
  }
}

/** Changes per transaction: keyed by the transaction's Statements, so no write path needs to pass them along. */
const pendingByTransaction = new WeakMap<Statements, PendingChanges>();

function pending(statements: Statements): PendingChanges {
  let changes = pendingByTransaction.get(statements);
  if (changes === undefined) {
    changes = new PendingChanges();
    pendingByTransaction.set(statements, changes);
  }
  return changes;
}

/**
 * Notes, inside a write transaction, that a run became due: now (`atMs` undefined or not after `nowMs`), or at
 * `atMs`. `workflow` is the run's, when the write knows it (engines serving others then skip a claim).
 *
 * @example
 * noteRunsDue(statements, { workflow: run.workflow });
 * noteRunsDue(statements, { atMs: wakeAtMs, nowMs });
 */
export function noteRunsDue(
  statements: Statements,
  due: { readonly atMs?: number | undefined; readonly nowMs?: number; readonly workflow?: string | undefined } = {},
): void {
  const changes = pending(statements);
  changes.anyDue = true;
  if (due.workflow === undefined) changes.dueWorkflows = undefined;
  else if (changes.dueWorkflows !== undefined) {
    changes.dueWorkflows.add(due.workflow);
    if (changes.dueWorkflows.size > MAX_WORKFLOWS) changes.dueWorkflows = undefined;
  }
  if (due.atMs === undefined || (due.nowMs !== undefined && due.atMs <= due.nowMs)) changes.dueNow = true;
  else changes.dueAtMs = Math.min(changes.dueAtMs ?? Number.POSITIVE_INFINITY, due.atMs);
}

/**
 * Notes, inside a write transaction, that a run ended (result() waiters elsewhere read the endings again).
 *
 * @example
 * noteRunEnded(statements);
 */
export function noteRunEnded(statements: Statements): void {
  pending(statements).ended = true;
}

/**
 * Notes that something arrived for these runs (a signal, a child's end): an engine executing one looks again.
 *
 * @example
 * noteRunsWoken(statements, [signal.runId]);
 */
export function noteRunsWoken(statements: Statements, runIds: Iterable<string>): void {
  const woken = pending(statements).woken;
  for (const runId of runIds) if (woken.size < MAX_RUN_IDS) woken.add(runId);
}

/**
 * Notes that cancellation was requested for these runs: an engine executing one delivers it now.
 *
 * @example
 * noteCancelRequested(statements, ["order-1"]);
 */
export function noteCancelRequested(statements: Statements, runIds: Iterable<string>): void {
  const cancelled = pending(statements).cancelled;
  for (const runId of runIds) if (cancelled.size < MAX_RUN_IDS) cancelled.add(runId);
}

/**
 * Sends what the transaction noted, in one statement (`pg_notify` per payload), as the transaction's last
 * statement; nothing when it noted nothing. PostgreSQL delivers the notifications when the transaction commits.
 *
 * @example
 * const result = await body(statements);
 * await sendNotedChanges(statements);
 */
export async function sendNotedChanges(statements: Statements): Promise<void> {
  const changes = pendingByTransaction.get(statements);
  pendingByTransaction.delete(statements);
  if (changes === undefined || changes.empty) return;
  await statements.run("notifyChanges", { payloads: encodeChanges(toStoreChanges(changes)) });
}

/**
 * Forgets what a transaction noted (it rolled back, or is retried from the start).
 *
 * @example
 * forgetNotedChanges(statements);
 */
export function forgetNotedChanges(statements: Statements): void {
  pendingByTransaction.delete(statements);
}

function toStoreChanges(changes: PendingChanges): StoreChange[] {
  const list: StoreChange[] = [];
  if (changes.anyDue) {
    const workflows = changes.dueWorkflows === undefined ? undefined : [...changes.dueWorkflows].sort();
    const atMs = changes.dueNow ? undefined : changes.dueAtMs;
    list.push({
      kind: "runsDue",
      ...(atMs === undefined ? {} : { atMs }),
      ...(workflows === undefined ? {} : { workflows }),
    });
  }
  if (changes.ended) list.push({ kind: "runsEnded" });
  if (changes.woken.size > 0) list.push({ kind: "runsWoken", runIds: [...changes.woken] });
  if (changes.cancelled.size > 0) list.push({ kind: "cancelRequested", runIds: [...changes.cancelled] });
  return list;
}

/**
 * Changes as payloads of at most MAX_PAYLOAD_BYTES: `{"v":1,"changes":[...]}`, run id lists split as needed.
 *
 * @example
 * encodeChanges([{ kind: "runsEnded" }]); // ['{"v":1,"changes":[{"kind":"runsEnded"}]}']
 */
export function encodeChanges(changes: readonly StoreChange[]): string[] {
  const pieces: StoreChange[] = [];
  for (const change of changes) {
    if (change.kind !== "runsWoken" && change.kind !== "cancelRequested") {
      pieces.push(change);
      continue;
    }
    // Ids are at most 200 characters (≤ 1,200 bytes as JSON), so each chunk fits a payload.
    let chunk: string[] = [];
    let bytes = 0;
    for (const runId of change.runIds) {
      const size = Buffer.byteLength(JSON.stringify(runId)) + 1;
      if (bytes + size > MAX_PAYLOAD_BYTES - 200 && chunk.length > 0) {
        pieces.push({ kind: change.kind, runIds: chunk });
        chunk = [];
        bytes = 0;
      }
      chunk.push(runId);
      bytes += size;
    }
    if (chunk.length > 0) pieces.push({ kind: change.kind, runIds: chunk });
  }
  const payloads: string[] = [];
  let batch: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (batch.length > 0) payloads.push(`{"v":${FORMAT},"changes":[${batch.join(",")}]}`);
    batch = [];
    bytes = 0;
  };
  for (const piece of pieces) {
    let json = JSON.stringify(piece);
    // A runsDue naming many long workflow names: say "any workflow" instead.
    if (piece.kind === "runsDue" && Buffer.byteLength(json) > MAX_PAYLOAD_BYTES - 100) {
      json = JSON.stringify({ kind: "runsDue", ...(piece.atMs === undefined ? {} : { atMs: piece.atMs }) });
    }
    const size = Buffer.byteLength(json) + 1;
    if (bytes + size > MAX_PAYLOAD_BYTES - 50) flush();
    batch.push(json);
    bytes += size;
  }
  flush();
  return payloads;
}

/** What a listener reports for a payload it cannot read: anything may have changed. */
export const CATCH_UP: readonly StoreChange[] = Object.freeze([{ kind: "runsDue" }, { kind: "runsEnded" }]);

/**
 * The changes of one payload; undefined when it is not one this format knows (another version of Reprise, or
 * someone else's notification on the channel): the listener then reports CATCH_UP.
 *
 * @example
 * decodeChanges('{"v":1,"changes":[{"kind":"runsEnded"}]}'); // [{ kind: "runsEnded" }]
 */
export function decodeChanges(payload: string): StoreChange[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { v, changes } = parsed as { v?: unknown; changes?: unknown };
  if (v !== FORMAT || !Array.isArray(changes)) return undefined;
  const decoded: StoreChange[] = [];
  for (const change of changes as unknown[]) {
    const checked = decodeChange(change);
    if (checked === undefined) return undefined;
    decoded.push(checked);
  }
  return decoded;
}

function decodeChange(value: unknown): StoreChange | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const change = value as { kind?: unknown; atMs?: unknown; workflows?: unknown; runIds?: unknown };
  switch (change.kind) {
    case "runsDue": {
      if (change.atMs !== undefined && !Number.isFinite(change.atMs)) return undefined;
      if (change.workflows !== undefined && !isStringArray(change.workflows)) return undefined;
      return {
        kind: "runsDue",
        ...(change.atMs === undefined ? {} : { atMs: change.atMs as number }),
        ...(change.workflows === undefined ? {} : { workflows: change.workflows }),
      };
    }
    case "runsEnded":
      return { kind: "runsEnded" };
    case "runsWoken":
    case "cancelRequested":
      return isStringArray(change.runIds) ? { kind: change.kind, runIds: change.runIds } : undefined;
    default:
      return undefined;
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
