// `reprise ui` as a process: prints where it listens, serves the inspector, stops on SIGINT; a token off loopback.
// Runs the real binary and talks to it over HTTP with fetch, as a browser or a script would.
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "@reprise/testing";
import { seededDatabase, spawnCli, type SeededDatabase } from "./helpers.js";

let seeded: SeededDatabase;
beforeAll(async () => {
  seeded = await seededDatabase();
});
afterAll(() => seeded.cleanup());

/** Starts `reprise ui`, waits for the URL it prints, and returns it with a way to stop the process. */
async function startUi(args: string[]) {
  const child = spawnCli(["ui", "--db", seeded.filename, "--port", "0", ...args]);
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const url = await waitFor(() => /at (http:\/\/\S+)\n/.exec(stdout)?.[1], { message: "the inspector URL" });
  const stop = async (signal: NodeJS.Signals) => {
    const exited = once(child, "exit") as Promise<[number | null]>;
    child.kill(signal);
    const [code] = await exited;
    return { code, stdout };
  };
  return { url, stop };
}

describe("reprise ui", () => {
  it("serves the inspector on 127.0.0.1 and stops on SIGINT with exit code 0", async () => {
    const ui = await startUi([]);
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(ui.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>Reprise inspector</title>");
    const runs = (await (await fetch(new URL("api/runs", ui.url))).json()) as { runs: unknown[] };
    expect(runs.runs).toHaveLength(4);
    const { code, stdout } = await ui.stop("SIGINT");
    expect(code).toBe(0);
    expect(stdout).toMatch(/inspector stopped\n$/);
  });

  it("off loopback requires the token it was given, and prints the URL that carries it", async () => {
    const token = "ui-test-token-0123456789";
    const ui = await startUi(["--host", "127.0.0.2", "--token", token]);
    expect(ui.url).toBe(`${/^(http:\/\/127\.0\.0\.2:\d+\/)/.exec(ui.url)?.[1]}?token=${token}`);
    const bare = new URL(ui.url);
    bare.search = "";
    expect((await fetch(bare)).status).toBe(401);
    const landing = await fetch(ui.url, { redirect: "manual" });
    expect(landing.status).toBe(303);
    expect(landing.headers.get("set-cookie")).toMatch(/^reprise_inspector_token=/);
    expect((await fetch(new URL("api/runs", bare), { headers: { authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect((await ui.stop("SIGTERM")).code).toBe(0);
  });
});
