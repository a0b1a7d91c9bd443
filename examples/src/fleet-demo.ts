// `pnpm --filter @reprise/examples fleet [fleet-id]`: provisions a fleet of four machines in parallel against
// ./reprise.db and shows what reached the fake cloud. Owns the process side only; the workflow is provision-fleet.ts.
import path from "node:path";
import { createEngine, RunFailedError } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { demoPaths, shownPath } from "./db-path.js";
import { Narrator } from "./narrator.js";
import { createProvisionFleetWorkflow, FakeCloud, FleetRolledBackError, type FleetInput } from "./provision-fleet.js";

const FLEET_COMMAND = "pnpm --filter @reprise/examples fleet";

/** The fleet the demo asks for. */
const MACHINES: FleetInput["machines"] = [
  { name: "web-1", role: "web", image: "nginx:1.27" },
  { name: "web-2", role: "web", image: "nginx:1.27" },
  { name: "worker-1", role: "worker", image: "acme/worker:broken" },
  { name: "db-1", role: "db", image: "postgres:17" },
];

async function main(): Promise<number> {
  const fleetId = process.argv[2] ?? "fleet-1";
  const paths = demoPaths();
  // The fake cloud keeps its machines next to the database, so a resumed run finds what it allocated.
  const cloudFile = path.join(path.dirname(paths.db), `${path.parse(paths.db).name}-fleet-cloud.json`);
  // FLEET_BROKEN names the machines whose image does not boot; set it empty to watch a fleet come up.
  const broken = (process.env.FLEET_BROKEN ?? "worker-1").split(",").filter((name) => name !== "");
  const say = new Narrator();
  say.line(
    `Provisioning fleet '${fleetId}' (${MACHINES.map((m) => m.name).join(", ")}), durable in ${shownPath(paths, paths.db)}; ` +
      `the fake cloud lives in ${shownPath(paths, cloudFile)}` +
      (broken.length > 0 ? ` and cannot boot ${broken.join(", ")}` : ""),
  );

  const cloud = new FakeCloud({ failConfigure: broken, file: cloudFile, latencyMs: 200 });
  const fleet = createProvisionFleetWorkflow({ cloud, concurrency: 3 });
  const store = await SqliteStore.open({ filename: paths.db });
  const engine = createEngine({ store, workflows: [fleet] });
  const interrupted = new Promise<"interrupted">((resolve) => process.once("SIGINT", () => resolve("interrupted")));
  try {
    const run = await engine.start(fleet, { fleetId, machines: MACHINES }, { id: fleetId });
    const outcome = await Promise.race([
      run.result().then(
        (result) => ({ ok: true, result }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      ),
      interrupted,
    ]);
    if (outcome === "interrupted") {
      say.line("interrupted — run the same command again to resume where it stopped", fleetId);
      return 0;
    }
    // The cloud file also holds the calls of earlier fleets; the idempotency keys (`<run id>:<seq>`) tell them apart.
    for (const call of cloud.calls().filter((c) => c.idempotencyKey.startsWith(`${fleetId}:`))) {
      say.line(
        `cloud: ${call.op.padEnd(9)} ${call.name.padEnd(8)} key=${call.idempotencyKey}  ${call.outcome}`,
        fleetId,
      );
    }
    if (outcome.ok) {
      say.line(`fleet is up: ${outcome.result.machines.map((m) => `${m.name}@${m.address}`).join(", ")}`, fleetId);
      return 0;
    }
    const cause = outcome.error instanceof RunFailedError ? outcome.error.cause : outcome.error;
    if (cause instanceof FleetRolledBackError) {
      const left = cloud.machines().filter((m) => m.state !== "released");
      say.line(cause.message, fleetId);
      say.line(
        `machines still held in the cloud: ${left.length === 0 ? "none" : left.map((m) => m.name).join(", ")}`,
        fleetId,
      );
      say.line(`Try another fleet id (\`${FLEET_COMMAND} fleet-2\`), with FLEET_BROKEN= to boot every machine.`);
      return 0;
    }
    throw outcome.error;
  } finally {
    await engine.close();
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
