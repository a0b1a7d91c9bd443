// PostgreSQL restarted under load: two engines keep running 200 workflows through the restart, reconnect, and
// finish every run whose start was acknowledged, each step recorded once. Opt-in (REPRISE_PG_RESTART_TEST=1):
// it restarts the shared server, so .ci/run runs this file on its own, after every other suite.
import { exec } from "node:child_process";
import { promisify } from "node:util";
import { createEngine, StoreError, type Engine } from "@reprise/core";
import { waitFor } from "@reprise/testing";
import { afterEach, describe, expect, it } from "vitest";
import { PostgresStore } from "../src/index.js";
import { exactlyOnceProblem, pause } from "./fault-support.js";
import { stepsWorkflow } from "./fault-workflows.js";
import {
  dropSchema,
  freshSchemaName,
  POSTGRES_URL,
  requirePostgres,
  SKIPPED,
  skipPostgres,
  withClient,
} from "./postgres-server.js";

/** Opt-in: every other suite on the server would see its connections drop. */
const ENABLED = process.env.REPRISE_PG_RESTART_TEST === "1";
/** How to restart the server: the newest local Debian cluster by default (run as root, as CI does). */
const RESTART_COMMAND =
  process.env.REPRISE_PG_RESTART_COMMAND ??
  'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main restart';
const RUNS = 200;
const STEPS = 3;
const STEP_NAMES = ["s1", "s2", "s3"];

const skipped = skipPostgres || !ENABLED;
const title = skipPostgres
  ? SKIPPED
  : !ENABLED
    ? "skipped: restarts the PostgreSQL server; set REPRISE_PG_RESTART_TEST=1 to run it (alone)"
    : "PostgreSQL restarted mid-load";

/** When the server (postmaster) started: it changes with each restart. */
async function serverStartedAt(): Promise<string> {
  return withClient(async (client) => {
    const { rows } = await client.query<{ at: string }>("select pg_postmaster_start_time()::text as at");
    return rows[0]?.at ?? "";
  });
}

/** Waits until the server takes connections again (after a restart). */
async function serverBack(): Promise<void> {
  await waitFor(() => serverStartedAt().then(Boolean, () => false), {
    timeoutMs: 30_000,
    intervalMs: 100,
    message: "PostgreSQL to accept connections again",
  });
}

describe.skipIf(skipped)(title, () => {
  const schema = freshSchemaName();
  const closers: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await serverBack();
    await dropSchema(schema);
  });

  it(
    "two engines reconnect after the restart and finish every acknowledged run, each step once",
    { timeout: 90_000 },
    async () => {
      requirePostgres();
      const errors: unknown[] = [];
      const engines: Engine[] = [];
      const stores: PostgresStore[] = [];
      for (let i = 0; i < 2; i++) {
        const store = await PostgresStore.open({
          connectionString: POSTGRES_URL,
          schema,
          max: 4,
          connectTimeoutMs: 2_000,
        });
        const engine = createEngine({
          store,
          workflows: [stepsWorkflow],
          leaseMs: 1_000,
          pollIntervalMs: 20,
          onError: (error) => errors.push(error),
        });
        closers.push(
          () => store.close(),
          () => engine.close(),
        );
        stores.push(store);
        engines.push(engine);
      }
      const startedAt = await serverStartedAt();

      // Runs are started one by one, alternating engines; a start that fails (the server is down) is retried with
      // the same id until it is acknowledged, as a client must. The restart begins a quarter of the way in.
      const acknowledged: string[] = [];
      let refused = 0;
      let restart: Promise<unknown> | undefined;
      for (let i = 1; i <= RUNS; i++) {
        const id = `restart-${i}`;
        if (i === RUNS / 4) restart = promisify(exec)(RESTART_COMMAND);
        for (;;) {
          try {
            await engines[i % 2]!.start(stepsWorkflow, { steps: STEPS, stepMs: 10 }, { id });
            acknowledged.push(id);
            break;
          } catch (error) {
            expect(error, String(error)).toBeInstanceOf(StoreError);
            refused += 1;
            await pause(50);
          }
        }
      }
      await restart;
      await serverBack();
      expect(await serverStartedAt()).not.toBe(startedAt);
      expect(acknowledged).toHaveLength(RUNS);

      const store = stores[0]!;
      await waitFor(async () => (await store.listRuns({ statuses: ["completed"], limit: RUNS + 1 })).length === RUNS, {
        timeoutMs: 60_000,
        intervalMs: 100,
        message: "every run to complete after the restart",
      });
      for (const id of acknowledged) {
        expect(exactlyOnceProblem(await store.readEvents(id), STEP_NAMES), id).toBeUndefined();
      }
      // The engines saw the outage (as StoreErrors, never anything else) and carried on.
      expect(errors.length + refused).toBeGreaterThan(0);
      for (const error of errors) expect(error, String(error)).toBeInstanceOf(StoreError);
      console.log(`restart: ${refused} starts refused and retried, ${errors.length} engine errors reported`);
    },
  );
});
