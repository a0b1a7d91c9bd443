// Replay: load a long history from the store and feed it through the workflow, as a cold engine does on recovery.
// The history is written through the Store API with the engine's own encoder, then replayed exactly like RunExecution.
import { createEngine, type EventRecord, type HistoryEvent } from "@reprise/core";
import { decodeEvent, encodeEvent, Replayer } from "@reprise/core/internal";
import type { SqliteStore } from "@reprise/store-sqlite";
import { type BenchDirectory, nowMs, repeat, summarize, type Summary } from "../measure.js";
import { newRun } from "../new-runs.js";
import { longHistory } from "../workflows.js";

export interface ReplayResult {
  readonly events: number;
  /** Read (one range query) + decode + apply to the generator, in milliseconds. */
  readonly totalMs: Summary;
  readonly microsecondsPerEvent: Summary;
  /** The parts of totalMs: the SQL read, decoding and validation, and feeding the generator. */
  readonly readMs: Summary;
  readonly decodeMs: Summary;
  readonly applyMs: Summary;
  /** Through the public API: signal sent to a run no engine has in memory → its result (includes the replay). */
  readonly coldResumeMs: Summary;
}

const LIMIT_BYTES = 1024 * 1024;

/** Writes a run with `events` events: run_started, step_completed × (events − 2), signal_wait_started. */
async function writeHistory(store: SqliteStore, runId: string, events: number): Promise<void> {
  const atMs = Date.now();
  await store.createRun(newRun(runId, longHistory.name, events - 2, atMs));
  const [claimed] = await store.claimDueRuns({
    owner: "bench-writer",
    nowMs: atMs,
    leaseMs: 60_000,
    limit: 1,
    workflows: [{ name: longHistory.name, version: 1 }],
  });
  if (claimed?.id !== runId) throw new Error(`could not claim ${runId}`);
  const records: EventRecord[] = [];
  for (let seq = 2; seq < events; seq++) {
    const event: HistoryEvent = {
      type: "step_completed",
      seq,
      atMs,
      name: `step-${seq - 2}`,
      attempt: 1,
      result: seq - 2,
    };
    records.push(encodeEvent(event, "result", LIMIT_BYTES));
  }
  records.push(encodeEvent({ type: "signal_wait_started", seq: events, atMs, name: "finish" }, "wait", LIMIT_BYTES));
  await store.commit({
    runId,
    owner: "bench-writer",
    expectedLastSeq: 1,
    events: records,
    consumedSignals: [],
    update: {
      status: "waiting",
      waitingFor: { kind: "signal", name: "finish" },
      release: true,
      wake: { signals: ["finish"] },
    },
    nowMs: atMs,
  });
}

/** One replay, timed in three parts; checks that it ends where the history says. */
async function replayOnce(store: SqliteStore, runId: string, events: number) {
  const t0 = nowMs();
  const records = await store.readEvents(runId);
  const t1 = nowMs();
  const decoded = records.map((record) => decodeEvent(runId, record));
  const t2 = nowMs();
  const replayer = new Replayer(runId, longHistory);
  for (const event of decoded) replayer.apply(event);
  const t3 = nowMs();
  const state = replayer.state;
  if (records.length !== events || state.type !== "waiting" || [...replayer.open.values()][0]?.kind !== "signal") {
    throw new Error(`replay of ${runId} ended in an unexpected state: ${JSON.stringify(state.type)}`);
  }
  return { read: t1 - t0, decode: t2 - t1, apply: t3 - t2, total: t3 - t0 };
}

export async function measureReplay(dir: BenchDirectory, events: number, repetitions: number): Promise<ReplayResult> {
  const store = await dir.store(`replay-${events}`);
  const ids = Array.from({ length: repetitions + 1 }, (_, i) => `replay-${events}-${i}`);
  for (const id of ids) await writeHistory(store, id, events);
  const parts = await repeat(repetitions, 2, (index) => replayOnce(store, ids[Math.max(0, index)] as string, events));

  // The same work through the engine: a fresh engine holds nothing in memory, so the signal makes it replay.
  const cold: number[] = [];
  for (const id of ids.slice(0, Math.min(3, ids.length))) {
    // Without the start-up check, which would replay the run before the signal and leave nothing to measure.
    const engine = createEngine({ store, workflows: [longHistory], checkParkedRuns: false });
    await engine.whenIdle();
    const replaysBefore = engine.stats().eventsReplayed;
    const started = nowMs();
    await engine.signal(id, "finish", 1);
    const result = await (await engine.start(longHistory, events - 2, { id })).result();
    cold.push(nowMs() - started);
    const replayed = engine.stats().eventsReplayed - replaysBefore;
    await engine.close();
    if (replayed !== events || typeof result !== "number") throw new Error(`cold resume replayed ${replayed} events`);
  }
  await store.close();
  return {
    events,
    totalMs: summarize(parts.map((p) => p.total)),
    microsecondsPerEvent: summarize(parts.map((p) => (p.total * 1000) / events)),
    readMs: summarize(parts.map((p) => p.read)),
    decodeMs: summarize(parts.map((p) => p.decode)),
    applyMs: summarize(parts.map((p) => p.apply)),
    coldResumeMs: summarize(cold),
  };
}
