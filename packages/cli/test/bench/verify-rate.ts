// Measures `reprise verify` on a database of N waiting runs (default 10,000), as quoted in docs/operations.md.
// Usage: node --import tsx --conditions=@reprise/source packages/cli/test/bench/verify-rate.ts [runs] [keep-db-path]
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createEngine } from "@reprise/core";
import { SqliteStore } from "@reprise/store-sqlite";
import { waitFor } from "@reprise/testing";
import { openReader, verifyRuns } from "../../src/index.js";
import { nap, order } from "../fixtures/workflows-v1.js";
import { BIN, FIXTURES } from "../helpers.js";

const runs = Number(process.argv[2] ?? 10_000);
const keepAt = process.argv[3];
const dir = mkdtempSync(join(tmpdir(), "reprise-verify-bench-"));
const filename = join(dir, "reprise.db");

const store = await SqliteStore.open({ filename });
const engine = createEngine({ store, workflows: [order, nap], pollIntervalMs: 10, concurrency: 200 });
const seedStarted = performance.now();
for (let i = 0; i < runs; i++) await engine.start(order, { orderId: String(i), cents: i }, { id: `order-${i}` });
await waitFor(async () => (await store.listRuns({ statuses: ["waiting"], limit: runs })).length === runs, {
  timeoutMs: 600_000,
  intervalMs: 200,
  message: "every run to wait",
});
await engine.close();
await store.close();
console.log(`seeded ${runs} waiting runs in ${Math.round(performance.now() - seedStarted)} ms`);

const opened = await openReader(filename, process.cwd());
for (const [label, module] of [
  ["unchanged code", order],
  ["renamed step", (await import("../fixtures/workflows-v2-renamed.js")).order],
] as const) {
  const report = await verifyRuns(opened.reader, [module, nap]);
  console.log(
    `in-process verify (${label}): ${report.checked} runs in ${Math.round(report.durationMs)} ms = ` +
      `${report.runsPerSecond} runs/s, ${report.problems.length} problems`,
  );
}
await opened.close();

for (const module of [FIXTURES.v1, FIXTURES.v2]) {
  const started = performance.now();
  let output: string;
  try {
    output = execFileSync(
      process.execPath,
      ["--import", "tsx", "--conditions=@reprise/source", BIN, "verify", "--workflows", module, "--db", filename],
      {
        encoding: "utf8",
      },
    );
  } catch (error) {
    output = (error as { stdout: string }).stdout;
  }
  console.log(`reprise verify wall time ${Math.round(performance.now() - started)} ms:\n${output}`);
}
if (keepAt !== undefined) copyFileSync(filename, keepAt);
rmSync(dir, { recursive: true, force: true });
