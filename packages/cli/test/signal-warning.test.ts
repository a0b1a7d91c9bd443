// A signal the run is not waiting for: `reprise signal` stores it and warns (exit 0), and `show`, `show --json`
// and the inspector's run API list it as unconsumed. Real binary in child processes on a seeded SQLite file.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInspectorHandler } from "../src/index.js";
import { runCli, seededDatabase, type SeededDatabase } from "./helpers.js";

let seeded: SeededDatabase;
beforeAll(async () => {
  seeded = await seededDatabase();
});
afterAll(() => seeded.cleanup());

const db = () => ["--db", seeded.filename];

describe("reprise signal warns when the run does not wait for that name", () => {
  it("a misnamed signal to a waiting run is stored with a warning naming both signals, exit 0", async () => {
    const sent = await runCli(["signal", "order-1", "approval", '{"by":"ada"}', "--id", "stray-1", ...db()]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toBe("sent signal 'approval' to order-1 (signal id stray-1)\n");
    expect(sent.stderr).toBe(
      "warning: order-1 is waiting for signal 'approve', not 'approval'; " +
        "the signal is stored and waits for an awaitSignal('approval')\n",
    );

    const shown = await runCli(["show", "order-1", ...db()]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/\n {2}inbox {5}'approval' sent \S+Z \(.+ ago\), id stray-1\n/);
    expect(shown.stdout).toContain("not taken: the run waits for 'approve'");

    const json = JSON.parse((await runCli(["show", "order-1", "--json", ...db()])).stdout) as {
      run: { pendingSignals: unknown };
    };
    expect(json.run.pendingSignals).toEqual([
      { id: "stray-1", name: "approval", sentAtMs: expect.any(Number) as unknown },
    ]);
  });

  it("a signal to a sleeping run warns that it waits for no signal", async () => {
    const sent = await runCli(["signal", "nap-1", "wake", "--json", ...db()]);
    expect(sent.code).toBe(0);
    const warning =
      "nap-1 is not waiting for a signal (status sleeping); the signal is stored and waits for an awaitSignal('wake')";
    expect(sent.stderr).toBe(`warning: ${warning}\n`);
    expect(JSON.parse(sent.stdout)).toMatchObject({ runId: "nap-1", name: "wake", duplicate: false, warning });
  });

  it("the signal the run waits for gets no warning, and a resend of a known id gets none either", async () => {
    const sent = await runCli(["signal", "order-2", "approve", '{"by":"bob"}', "--id", "right-1", ...db()]);
    expect(sent).toMatchObject({ code: 0, stderr: "" });
    const resent = await runCli(["signal", "order-1", "approval", "--id", "stray-1", ...db()]);
    expect(resent).toMatchObject({ code: 0, stderr: "" });
    expect(resent.stdout).toContain("was already sent to order-1; nothing new stored");
  });

  it("the inspector's run API lists unconsumed signals, and a new one changes the run's ETag", async () => {
    const handler = await createInspectorHandler({ filename: seeded.filename });
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/runs/order-1`;
    try {
      const first = await fetch(url);
      const detail = (await first.json()) as { run: { pendingSignals: { id: string; name: string }[] } };
      expect(detail.run.pendingSignals.map(({ id, name }) => ({ id, name }))).toEqual([
        { id: "stray-1", name: "approval" },
      ]);
      const etag = first.headers.get("etag");
      expect(etag).not.toBeNull();
      expect((await fetch(url, { headers: { "if-none-match": etag ?? "" } })).status).toBe(304);
      expect((await runCli(["signal", "order-1", "approved", "--id", "stray-2", ...db()])).code).toBe(0);
      const second = await fetch(url, { headers: { "if-none-match": etag ?? "" } });
      expect(second.status).toBe(200);
      const after = (await second.json()) as { run: { pendingSignals: { id: string }[] } };
      expect(after.run.pendingSignals.map((signal) => signal.id)).toEqual(["stray-1", "stray-2"]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.close();
    }
  });
});
