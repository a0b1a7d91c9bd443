// The command line itself, in-process through main(): --help everywhere, usage errors, exit codes, colours.
// Runs main() with captured streams: no child process is needed to check what the parser accepts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_CODES, main, type CliIo } from "../src/index.js";

const cwd = mkdtempSync(join(tmpdir(), "reprise-usage-"));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string> = {}, tty = false) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text), isTTY: tty },
    stderr: { write: (text: string) => (stderr += text), isTTY: tty },
    env,
    cwd,
    readStdin: async () => "",
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe("reprise command line", () => {
  it.each(["runs", "show", "signal", "cancel", "start", "rerun", "verify", "worker", "ui"])(
    "%s --help prints its usage and exits 0",
    async (command) => {
      const { code, stdout } = await run([command, "--help"]);
      expect(code).toBe(EXIT_CODES.ok);
      expect(stdout).toMatch(new RegExp(`^Usage: reprise ${command} `));
      expect(stdout).toContain("--help");
    },
  );

  it("--help at the top lists the commands and the exit codes", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Exit codes: 0 ok, 1 failure, 2 bad command line, 3 verify found runs that would block.");
    for (const command of ["runs", "show", "signal", "cancel", "start", "rerun", "verify", "worker", "ui"]) {
      expect(stdout).toMatch(new RegExp(`\\n  ${command} `));
    }
  });

  it("an unknown command, a missing argument or a bad option value exits 2", async () => {
    const unknown = await run(["explode"]);
    expect(unknown.code).toBe(EXIT_CODES.usage);
    expect(unknown.stderr).toContain("error: unknown command 'explode'");
    const missing = await run(["show"]);
    expect(missing.code).toBe(EXIT_CODES.usage);
    expect(missing.stderr).toContain("error: missing required argument 'runId'");
    const badLimit = await run(["runs", "--limit", "0"]);
    expect(badLimit.code).toBe(EXIT_CODES.usage);
    expect(badLimit.stderr).toContain("--limit must be a whole number from 1 to 10000 (got '0')");
    const badStatus = await run(["runs", "--status", "done"]);
    expect(badStatus.stderr).toContain("unknown status 'done'; use one of pending, running, sleeping");
    const noModule = await run(["verify"]);
    expect(noModule.stderr).toContain("error: required option '--workflows <module>' not specified");
  });

  it("payload and --file together is a usage error, checked before the database", async () => {
    const { code, stderr } = await run(["signal", "r", "go", "1", "--file", "p.json", "--db", "nowhere.db"]);
    expect(code).toBe(EXIT_CODES.usage);
    expect(stderr).toBe("error: give the payload either as an argument or with --file, not both\n");
  });

  it("colours only on a terminal, and never with NO_COLOR", async () => {
    const piped = await run(["runs", "--db", "nowhere.db"]);
    expect(piped.stderr).toBe(
      "error: no database at nowhere.db; pass --db <file> (or set REPRISE_DB). A worker creates it: reprise worker --workflows <module> --db <file>\n",
    );
    const tty = await run(["runs", "--db", "nowhere.db"], {}, true);
    expect(tty.stderr.startsWith("\u001b[31merror:\u001b[39m no database at nowhere.db")).toBe(true);
    const noColor = await run(["runs", "--db", "nowhere.db"], { NO_COLOR: "1" }, true);
    expect(noColor.stderr).toMatch(/^error: no database/);
  });
});
