// Seeded chaos on one schema: three worker processes run a workload of steps, durable sleeps and signals while
// a seeded schedule SIGKILLs and restarts workers, terminates their connections, and sends (and re-sends)
// signals. At the end every run completed, each step and each signal is in its log once, no signal is left over.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, decodeValue, StoreError, type Engine } from "@reprise/core";
import { waitFor } from "@reprise/testing";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import {
  exactlyOnceProblem,
  killWorker,
  pause,
  readLedger,
  seeded,
  spawnWorker,
  taggedUrl,
  terminateBackends,
  type Worker,
} from "./fault-support.js";
import { chaosWorkflow } from "./fault-workflows.js";
import { dropSchema, freshSchemaName, requirePostgres, SKIPPED, skipPostgres } from "./postgres-server.js";

/** Override to replay a failing schedule: REPRISE_PG_CHAOS_SEED=<the seed the failing run printed>. */
const SEED = Number(process.env.REPRISE_PG_CHAOS_SEED ?? 20_300_515);
const WORKERS = 3;
const RUNS = 24;
/** Runs started before the chaos; the others are started at random moments during it. */
const FIRST_RUNS = 8;
const STEPS = 6;
const SIGNALS = 2;
/** Moments at which the schedule does something (kill, cut connections, send signals). */
const MOMENTS = 45;
const STEP_NAMES = Array.from({ length: STEPS }, (_, i) => `s${i + 1}`);

describe.skipIf(skipPostgres)(skipPostgres ? SKIPPED : "seeded chaos on PostgresStore", () => {
  const schema = freshSchemaName();
  let directory: string | undefined;
  const workers: (Worker | undefined)[] = [];
  const closers: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const worker of workers.splice(0)) if (worker !== undefined) await killWorker(worker);
    for (const close of closers.splice(0).reverse()) await close();
    await dropSchema(schema);
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it(
    `${WORKERS} workers killed, restarted and cut off at random finish every run exactly once`,
    { timeout: 100_000 },
    async () => {
      requirePostgres();
      console.log(`PostgreSQL chaos seed ${SEED} (set REPRISE_PG_CHAOS_SEED=${SEED} to replay this schedule)`);
      const random = seeded(SEED);
      const pick = (count: number) => Math.floor(random() * count);
      directory = mkdtempSync(join(tmpdir(), "reprise-pg-chaos-"));
      const ledger = join(directory, "ledger.jsonl");
      const clientApp = `fault-chaos-client-${process.pid}`;
      const store = await PostgresStore.open({ connectionString: taggedUrl(clientApp), schema, max: 2 });
      // The test's own engine serves nothing: it starts runs and sends signals, like an application's web tier.
      const clientErrors: unknown[] = [];
      const client: Engine = createEngine({ store, workflows: [], onError: (error) => clientErrors.push(error) });
      closers.push(
        () => store.close(),
        () => client.close(),
      );

      const ids = Array.from({ length: RUNS }, (_, i) => `chaos-${i + 1}`);
      // Steps long enough that kills and cuts land mid-step, between a side effect and the commit of its result.
      const input = { steps: STEPS, stepMs: 120, sleepMs: 40, signals: SIGNALS, ledger };
      /** Signals of started runs still to send; each is sent until acknowledged, some a second time (same id). */
      const toSend: { runId: string; j: number }[] = [];
      const unstarted = [...ids];
      /** Starts the next run (retried by id when the client's connection was cut); false when all are started. */
      async function startNext(): Promise<boolean> {
        const id = unstarted[0];
        if (id === undefined) return false;
        try {
          await client.start(chaosWorkflow, input, { id });
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(StoreError);
          return true;
        }
        unstarted.shift();
        toSend.push(...Array.from({ length: SIGNALS }, (_, j) => ({ runId: id, j: j + 1 })));
        return true;
      }

      const appOf = (slot: number) => `fault-chaos-w${slot}-${process.pid}`;
      /** Workers whose engine is up (and so has connections to cut). */
      const live = new Set<Worker>();
      const spawnSlot = (slot: number) => {
        const worker = spawnWorker({
          connectionString: taggedUrl(appOf(slot), { idle_in_transaction_session_timeout: "1s" }),
          schema,
          leaseMs: 1_000,
          pollIntervalMs: 20,
          max: 3,
        });
        workers[slot] = worker;
        worker.ready.then(
          () => live.add(worker),
          () => {},
        );
      };
      while (unstarted.length > RUNS - FIRST_RUNS) await startNext();
      for (let slot = 0; slot < WORKERS; slot++) spawnSlot(slot);
      await Promise.all(workers.flatMap((worker) => (worker === undefined ? [] : [worker.ready])));

      const sent: { runId: string; j: number }[] = [];
      let refusedSends = 0;
      async function send(signal: { runId: string; j: number }): Promise<boolean> {
        try {
          await client.signal(signal.runId, "sig", `${signal.runId}#${signal.j}`, {
            id: `${signal.runId}:sig-${signal.j}`,
          });
          return true;
        } catch (error) {
          expect(error, String(error)).toBeInstanceOf(StoreError); // its connection was cut: send it again later
          refusedSends += 1;
          return false;
        }
      }

      const schedule: string[] = [];
      let kills = 0;
      let cuts = 0;
      for (let moment = 0; moment < MOMENTS; moment++) {
        await pause(50 + pick(250));
        const roll = random();
        if (roll < 0.15) {
          const slot = pick(WORKERS);
          live.delete(workers[slot]!);
          await killWorker(workers[slot]!);
          kills += 1;
          spawnSlot(slot);
          schedule.push(`kill w${slot}`);
        } else if (roll < 0.35) {
          // A worker that is up, or the client's own connections (a worker still starting has none to cut).
          const targets = [...workers.keys()].filter((slot) => live.has(workers[slot]!));
          const slot = [...targets, WORKERS][pick(targets.length + 1)]!;
          const app = slot === WORKERS ? clientApp : appOf(slot);
          cuts += await terminateBackends(app);
          schedule.push(`cut ${slot === WORKERS ? "client" : `w${slot}`}`);
        } else if (roll < 0.55) {
          if (await startNext()) schedule.push(`start ${unstarted[0] ?? "(last)"}`);
        } else {
          // A random pending signal (of a started run), or now and then one already sent, again with its id.
          const next =
            random() < 0.3 && sent.length > 0 ? sent[pick(sent.length)]! : toSend.splice(pick(toSend.length), 1)[0];
          if (next === undefined) continue;
          const again = sent.includes(next);
          if (await send(next)) {
            if (!again) sent.push(next);
          } else if (!again) toSend.push(next);
          schedule.push(`${again ? "resend" : "send"} ${next.runId}#${next.j}`);
        }
      }
      console.log(`chaos schedule (${kills} kills, ${cuts} connections cut): ${schedule.join(", ")}`);
      // The schedule struck: workers died mid-work. (How many connections a cut finds depends on timing.)
      expect(kills, `seed ${SEED}`).toBeGreaterThan(0);

      // The chaos is over: the rest of the runs start and the rest of the signals go out; the workers finish.
      while (unstarted.length > 0) await startNext();
      for (const signal of toSend) {
        while (!(await send(signal))) await pause(50);
        sent.push(signal);
      }
      await waitFor(async () => (await store.listRuns({ statuses: ["completed"], limit: RUNS + 1 })).length === RUNS, {
        timeoutMs: 45_000,
        intervalMs: 100,
        message: `every run to complete (seed ${SEED})`,
      });

      const lines = readLedger(ledger);
      for (const id of ids) {
        const events = await store.readEvents(id);
        expect(exactlyOnceProblem(events, STEP_NAMES), `${id} (seed ${SEED})`).toBeUndefined();
        expect(
          events.filter((event) => event.type === "timer_fired"),
          id,
        ).toHaveLength(STEPS / 2);
        // Each signal id consumed once, and every one sent consumed: nothing is left in the inbox.
        const consumed = events
          .filter((event) => event.type === "signal_received")
          .map((event) => (decodeValue(event.data) as { signalId: string }).signalId);
        expect(consumed.sort(), `${id} (seed ${SEED})`).toEqual(
          Array.from({ length: SIGNALS }, (_, j) => `${id}:sig-${j + 1}`),
        );
        expect(await store.pendingSignals(id, 10), id).toEqual([]);
        const result = decodeValue((await store.getRun(id))?.result ?? "null") as { payloads: string[] };
        expect([...result.payloads].sort(), id).toEqual(Array.from({ length: SIGNALS }, (_, j) => `${id}#${j + 1}`));
        // Side effects ran at least once per step (again after a kill): the ledger misses none.
        expect(new Set(lines.filter((line) => line.runId === id).map((line) => line.step)), id).toEqual(
          new Set(STEP_NAMES),
        );
      }
      // A resend after the run ended is still acknowledged as a duplicate: the signal did arrive.
      expect(await client.signal("chaos-1", "sig", "late", { id: "chaos-1:sig-1" })).toMatchObject({ duplicate: true });
      // What the engines survived was the chaos itself (cut connections), reported as StoreErrors, nothing else.
      for (const error of clientErrors) expect(error, String(error)).toBeInstanceOf(StoreError);
      for (const worker of workers) {
        for (const message of worker?.messages().filter((line) => line.error !== undefined) ?? []) {
          expect(message, JSON.stringify(message)).toMatchObject({ error: "StoreError" });
        }
      }
      console.log(
        `${lines.length} step attempts for ${RUNS * STEPS} steps; ${refusedSends} signal sends refused and retried`,
      );
    },
  );
});
