// How `reprise` starts in a fresh clone: the package's bin runs dist/ when built and otherwise says how to build,
// and the root `pnpm reprise` script runs the CLI from its sources. Real node processes.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_VERSION } from "../src/version.js";

const LAUNCHER = fileURLToPath(new URL("../bin/reprise.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function run(
  file: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
    });
  });
}

/** A copy of the CLI package's layout with the launcher and, optionally, a stand-in dist/bin.js. */
function packageCopy(distBin?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "reprise-bin-"));
  dirs.push(dir);
  mkdirSync(join(dir, "bin"));
  copyFileSync(LAUNCHER, join(dir, "bin/reprise.js"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  if (distBin !== undefined) {
    mkdirSync(join(dir, "dist"));
    writeFileSync(join(dir, "dist/bin.js"), distBin);
  }
  return dir;
}

describe("the reprise executable", () => {
  it("without dist/ says the CLI is not built and how to build or run it from sources, exit 1", async () => {
    const dir = packageCopy();
    const result = await run(process.execPath, [join(dir, "bin/reprise.js"), "runs"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `error: the reprise CLI is not built (${join(dir, "dist/bin.js")} is missing). In the Reprise repository, ` +
        "run `pnpm build` once, or run the CLI from its sources without building: `pnpm reprise <command>`\n",
    );
  });

  it("with dist/ runs dist/bin.js with the same arguments", async () => {
    const dir = packageCopy("process.stdout.write(JSON.stringify(process.argv.slice(2)));\n");
    const result = await run(process.execPath, [join(dir, "bin/reprise.js"), "show", "order-1"], dir);
    expect(result).toEqual({ code: 0, stdout: '["show","order-1"]', stderr: "" });
  });

  it("is what the CLI package declares as its bin and ships", () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "packages/cli/package.json"), "utf8")) as {
      bin: Record<string, string>;
      files: string[];
    };
    expect(manifest.bin.reprise).toBe("./bin/reprise.js");
    expect(manifest.files).toEqual(expect.arrayContaining(["bin", "dist"]));
  });

  it("the root `reprise` script runs the CLI from its sources, with no build", async () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const [command, ...args] = (manifest.scripts.reprise ?? "").split(" ");
    expect(command).toBe("node");
    const result = await run(process.execPath, [...args, "--version"], ROOT);
    expect(result).toMatchObject({ code: 0, stdout: `${CLI_VERSION}\n` });
  });
});
