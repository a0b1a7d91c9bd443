// Suites that need a program from outside node_modules (Chromium for the inspector's browser test) skip with
// one line where it is missing, and fail instead when REPRISE_REQUIRE names it, as .ci/run does.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const VITEST = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
const BROWSER_TEST = "packages/cli/test/inspector-browser.test.ts";
const MISSING = "/nonexistent/chromium";

/** Runs the browser test file in its own vitest, as `pnpm test` would, with Chromium pointed at nothing. */
function runBrowserTest(require: string | undefined): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string | undefined> = { ...process.env, REPRISE_CHROMIUM_PATH: MISSING, NO_COLOR: "1" };
  delete env.REPRISE_REQUIRE;
  if (require !== undefined) env.REPRISE_REQUIRE = require;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [VITEST, "run", BROWSER_TEST], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("the inspector's browser test without Chromium", () => {
  it("skips with one line saying why, or fails when REPRISE_REQUIRE names chromium", async () => {
    const [optional, required] = await Promise.all([runBrowserTest(undefined), runBrowserTest("postgres, chromium")]);

    expect(optional.code).toBe(0);
    const reasons = optional.output.split("\n").filter((line) => line.includes("Chromium not found"));
    expect(reasons).toEqual([
      `inspector browser tests skipped: Chromium not found at ${MISSING} (install with apt-get install -y chromium; CI requires it)`,
    ]);
    // Every test of the suite is skipped, none ran: the summary lists skipped tests only.
    expect(optional.output).toMatch(/Tests\s+\d+ skipped \(\d+\)/);
    expect(optional.output).not.toMatch(/\d+ (passed|failed)/);

    expect(required.code).toBe(1);
    expect(required.output).toContain(
      `Chromium not found at ${MISSING}, and REPRISE_REQUIRE=postgres, chromium requires it`,
    );
    expect(required.output).not.toContain("skipped: Chromium not found");
  });
});
