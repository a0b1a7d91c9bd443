// A run that was blocked by changed code and then resumed by fixed code: `reprise show` (text and --json) and the
// inspector's run detail still show the episode, placed after the event it followed, with its reason.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createEngine } from "@reprise/core";
import { temporaryStore, waitFor, type TemporaryStore } from "@reprise/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInspectorHandler } from "../src/index.js";
import { order as renamedOrder } from "./fixtures/workflows-v2-renamed.js";
import { nap, order } from "./fixtures/workflows-v1.js";
import { runCli } from "./helpers.js";

let tmp: TemporaryStore;
/** The episode as the store kept it (through getRun), to compare the outputs with. */
let episode: { blockedAtMs: number; endedAtMs: number; reason: string };
let startedAtMs: number;

beforeAll(async () => {
  tmp = await temporaryStore();
  const v1 = createEngine({ store: tmp.store, workflows: [order, nap], pollIntervalMs: 20 });
  await v1.start(order, { orderId: "1", cents: 100 }, { id: "order-1" });
  await waitFor(async () => (await v1.getRun("order-1"))?.status === "waiting", { message: "order-1 to wait" });
  await v1.close();
  // Code with a renamed step replays the run once the signal makes it due, and blocks it.
  const v2 = createEngine({ store: tmp.store, workflows: [renamedOrder, nap], pollIntervalMs: 20 });
  await v2.signal("order-1", "approve", { by: "ada" });
  await waitFor(async () => (await v2.getRun("order-1"))?.status === "blocked", { message: "order-1 to block" });
  await v2.close();
  // The original code back: the run is retried and completes with the signal that waited.
  const fixed = createEngine({ store: tmp.store, workflows: [order, nap], pollIntervalMs: 20 });
  await waitFor(async () => (await fixed.getRun("order-1"))?.status === "completed", { message: "order-1 to end" });
  const info = await fixed.getRun("order-1");
  await fixed.close();
  const [kept] = info?.blockedEpisodes ?? [];
  if (kept?.endedAtMs === undefined) throw new Error("the store kept no closed episode for order-1");
  episode = { blockedAtMs: kept.blockedAtMs, endedAtMs: kept.endedAtMs, reason: kept.reason };
  startedAtMs = info?.createdAtMs ?? 0;
}, 30_000);

afterAll(async () => {
  await tmp?.cleanup();
});

describe("a past blocked episode", () => {
  it("reprise show prints it after the wait it interrupted, with how long it lasted and why", async () => {
    const { code, stdout } = await runCli(["show", "order-1", "--db", tmp.filename]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^order-1 {2}order {2}completed\n/);
    const lines = stdout.split("\n");
    const at = lines.findIndex((line) => line.includes("blocked until"));
    expect(at).toBeGreaterThan(-1);
    expect(lines[at - 1]).toMatch(/wait for signal 'approve' \(timeout at \+1h 00m\); received at \+/);
    expect(lines[at]).toMatch(
      /^ {2}\+\S+ +blocked until \+\S+ \(\S+; retried when an engine serving the workflow started\): NonDeterminismError: Run 'order-1' diverged from its history at seq 2/,
    );
    expect(stdout).not.toContain("blocked since");
  });

  it("reprise show --json has it in the run and as a timeline item", async () => {
    const { code, stdout } = await runCli(["show", "order-1", "--json", "--db", tmp.filename]);
    expect(code).toBe(0);
    const shown = JSON.parse(stdout) as {
      run: { blockedEpisodes: unknown[] };
      timeline: { items: { kind: string; [field: string]: unknown }[] };
    };
    expect(shown.run.blockedEpisodes).toEqual([{ ...episode, lastSeq: 3, endedBy: "retried" }]);
    expect(shown.timeline.items.map((item) => item.kind)).toEqual(["step", "wait", "blocked", "signal", "step", "end"]);
    expect(shown.timeline.items[2]).toEqual({
      kind: "blocked",
      seq: 3,
      atMs: episode.blockedAtMs,
      endedAtMs: episode.endedAtMs,
      endedBy: "retried",
      reason: episode.reason,
    });
    expect(episode.blockedAtMs).toBeGreaterThanOrEqual(startedAtMs);
  });

  it("the inspector's run detail carries it as a blocked item that ended", async () => {
    const handler = await createInspectorHandler({ filename: tmp.filename });
    const server: Server = createServer(handler);
    try {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/runs/order-1`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        run: { blockedEpisodes: { endedBy: string }[] };
        timeline: { live: boolean; view: { endMs: number }; items: { kind: string; [field: string]: unknown }[] };
      };
      expect(body.run.blockedEpisodes.map((each) => each.endedBy)).toEqual(["retried"]);
      expect(body.timeline.live).toBe(false);
      expect(body.timeline.items.filter((item) => item.kind === "blocked")).toEqual([
        {
          kind: "blocked",
          seq: 3,
          atMs: episode.blockedAtMs,
          endedAtMs: episode.endedAtMs,
          endedBy: "retried",
          reason: episode.reason,
        },
      ]);
      expect(body.timeline.view.endMs).toBeGreaterThanOrEqual(episode.endedAtMs);
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await handler.close();
    }
  });
});

describe("reprise cancel of a blocked run", () => {
  it("without --force says the run is blocked and what --force would do; with it, ends the run at once", async () => {
    const v1 = createEngine({ store: tmp.store, workflows: [order, nap], pollIntervalMs: 20 });
    await v1.start(order, { orderId: "2", cents: 100 }, { id: "order-2" });
    await waitFor(async () => (await v1.getRun("order-2"))?.status === "waiting", { message: "order-2 to wait" });
    await v1.close();
    const v2 = createEngine({ store: tmp.store, workflows: [renamedOrder, nap], pollIntervalMs: 20 });
    await v2.signal("order-2", "approve", { by: "ada" });
    await waitFor(async () => (await v2.getRun("order-2"))?.status === "blocked", { message: "order-2 to block" });
    await v2.close();

    const plain = await runCli(["cancel", "order-2", "--db", tmp.filename]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^cancellation requested for order-2\nRun 'order-2' is blocked: .*--force/);
    const forced = await runCli(["cancel", "order-2", "--force", "--reason", "rolled forward", "--db", tmp.filename]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe("Run 'order-2' was blocked and is now cancelled; none of its code ran.\n");
    const shown = await runCli(["show", "order-2", "--json", "--db", tmp.filename]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ run: { status: "cancelled", reason: "rolled forward" } });
  });
});
