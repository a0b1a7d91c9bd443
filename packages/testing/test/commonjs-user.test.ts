// A CommonJS test file, run by plain node as a Jest-style user would: it requires fast-check's CommonJS build
// and the built @reprise packages (ESM, loaded through require), and checkCrashSafety must use its arbitraries.
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installedPackagesProject } from "./processes/installed-packages.js";

/** The user's test file. It prints one JSON line with what it saw, or the error. */
const USER_TEST = String.raw`
const fc = require("fast-check");
const { awaitSignal, step, workflow } = require("@reprise/core");
const { checkCrashSafety } = require("@reprise/testing");

const inputs = [];
const order = workflow("send-order", function* (input) {
  inputs.push(input);
  const shipped = yield* awaitSignal("shipped", { timeout: { days: 1 } });
  return yield* step("bill", () => input.sku + " x" + input.qty + " by " + (shipped ? shipped.carrier : "nobody"));
});

checkCrashSafety(order, {
  input: fc.record({ sku: fc.string({ maxLength: 4 }).map((s) => "sku-" + s), qty: fc.integer({ min: 1, max: 9 }) }),
  signals: [{ name: "shipped", payload: fc.constantFrom({ carrier: "DHL" }, { carrier: "UPS" }) }],
  numRuns: 8,
}).then(
  (report) => {
    const shapes = inputs.every((i) => typeof i.sku === "string" && i.sku.startsWith("sku-") && Number.isInteger(i.qty));
    const loaded = require.resolve("@reprise/testing");
    console.log(JSON.stringify({ report, shapes, distinctInputs: new Set(inputs.map((i) => JSON.stringify(i))).size, loaded }));
  },
  (error) => {
    console.log(JSON.stringify({ error: String(error && error.message) }));
    process.exitCode = 1;
  },
);
`;

let project: string;

beforeAll(() => {
  project = installedPackagesProject();
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true }));
  writeFileSync(join(project, "order.test.cjs"), USER_TEST);
}, 30_000);

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe("a CommonJS test file using the built packages", () => {
  it("runs checkCrashSafety with arbitraries from fast-check's CommonJS build", async () => {
    const { code, stdout, stderr } = await runNode(project, ["order.test.cjs"]);
    const lastLine = stdout.trim().split("\n").at(-1) ?? "";
    expect({ code, lastLine, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, lastLine, stderr: "" });
    const outcome = JSON.parse(lastLine) as {
      report: { scenarios: number };
      shapes: boolean;
      distinctInputs: number;
      loaded: string;
    };
    expect(outcome.report.scenarios).toBe(8);
    expect(outcome.shapes).toBe(true);
    expect(outcome.distinctInputs).toBeGreaterThan(1);
    expect(outcome.loaded).toBe(join(project, "node_modules", "@reprise", "testing", "dist", "index.js"));
  });
});

function runNode(
  cwd: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
