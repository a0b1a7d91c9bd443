// The inspector's queue filter and schedules view over HTTP against a real SQLite file: the run list narrows to
// a queue with counts that follow it, a run shows its queue, and /api/schedules lists schedules with fire times.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createEngine } from "@reprise/core";
import { temporaryStore, type TemporaryStore } from "@reprise/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInspectorHandler, type InspectorHandler } from "../src/index.js";
import { nap, order } from "./fixtures/workflows-v1.js";

let tmp: TemporaryStore;
let handler: InspectorHandler;
let server: Server;
let baseUrl: string;
let triggeredRunId: string;

interface RunList {
  runs: { id: string; status: string }[];
  counts: Record<string, number>;
}

interface ScheduleJson {
  id: string;
  workflow: string;
  cron: string;
  timezone: string;
  overlap: string;
  catchUp: string;
  paused: boolean;
  nextFireAtMs: number | null;
  lastRunId: string | null;
  input?: unknown;
}

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

beforeAll(async () => {
  tmp = await temporaryStore();
  // A client that fires nothing: runs stay pending, as they would while no worker has picked them up yet.
  const client = createEngine({ store: tmp.store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
  try {
    await client.start(nap, undefined, { id: "import-1", queue: "imports", key: "c1", priority: 3 });
    await client.start(nap, undefined, { id: "import-2", queue: "imports", key: "c2", tags: { shard: "1" } });
    await client.start(nap, undefined, { id: "email-1", queue: "email", tags: { shard: "1" } });
    await client.start(nap, undefined, { id: "plain-1" });
    await client.schedules.create({ id: "nightly-nap", workflow: nap, cron: "0 3 * * *", timezone: "Europe/Berlin" });
    await client.schedules.create({
      id: "hourly-order",
      workflow: order,
      input: { orderId: "auto", cents: 100 },
      cron: "0 * * * *",
      overlap: "bufferOne",
    });
    await client.schedules.pause("nightly-nap");
    triggeredRunId = (await client.schedules.trigger("hourly-order")).id;
  } finally {
    await client.close();
  }
  handler = await createInspectorHandler({ store: tmp.store });
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await handler.close();
  await tmp.cleanup();
});

describe("the run list's queue filter", () => {
  it("lists only the queue's runs, with counts per status that follow the queue", async () => {
    const { status, body } = await get<RunList>("/api/runs?queue=imports");
    expect(status).toBe(200);
    expect(body.runs.map((run) => run.id).sort()).toEqual(["import-1", "import-2"]);
    const counted = Object.values(body.counts).reduce((sum, n) => sum + n, 0);
    expect(counted).toBe(2);
    expect(body.counts.pending).toBe(2);
  });

  it("combines with the status and tag filters", async () => {
    const pending = await get<RunList>("/api/runs?queue=imports&status=pending");
    expect(pending.body.runs.map((run) => run.id).sort()).toEqual(["import-1", "import-2"]);
    const sleeping = await get<RunList>("/api/runs?queue=imports&status=sleeping");
    expect(sleeping.body.runs).toEqual([]);
    const tagged = await get<RunList>("/api/runs?queue=imports&tag=shard%3D1");
    expect(tagged.body.runs.map((run) => run.id)).toEqual(["import-2"]);
    expect(Object.values(tagged.body.counts).reduce((sum, n) => sum + n, 0)).toBe(1);
  });

  it("lists nothing, and counts nothing, for a queue no run is in", async () => {
    const { status, body } = await get<RunList>("/api/runs?queue=nowhere");
    expect(status).toBe(200);
    expect(body.runs).toEqual([]);
    expect(Object.values(body.counts).every((n) => n === 0)).toBe(true);
  });

  it("counts every run when no queue is given", async () => {
    const { body } = await get<RunList>("/api/runs");
    expect(body.runs).toHaveLength(5);
    expect(Object.values(body.counts).reduce((sum, n) => sum + n, 0)).toBe(5);
  });
});

describe("a run's queue", () => {
  it("shows the queue, key and priority of a queued run, and nulls for a run in none", async () => {
    const queued = await get<{ run: Record<string, unknown> }>("/api/runs/import-1");
    expect(queued.body.run).toMatchObject({ queue: "imports", key: "c1", priority: 3 });
    const plain = await get<{ run: Record<string, unknown> }>("/api/runs/plain-1");
    expect(plain.body.run).toMatchObject({ queue: null, key: null, priority: 0 });
  });
});

describe("the schedules API", () => {
  it("lists schedules in order of id with their next fire times, paused state and last run", async () => {
    const { status, body } = await get<{ schedules: ScheduleJson[]; next: string | null; nowMs: number }>(
      "/api/schedules",
    );
    expect(status).toBe(200);
    expect(body.next).toBeNull();
    expect(body.schedules.map((s) => s.id)).toEqual(["hourly-order", "nightly-nap"]);
    const [hourly, nightly] = body.schedules as [ScheduleJson, ScheduleJson];
    expect(hourly).toMatchObject({
      workflow: "order",
      cron: "0 * * * *",
      timezone: "UTC",
      overlap: "bufferOne",
      catchUp: "latest",
      paused: false,
      lastRunId: triggeredRunId,
    });
    expect(hourly.nextFireAtMs).toBeGreaterThan(body.nowMs);
    // The input is the schedule's business; the list leaves it out.
    expect(hourly.input).toBeUndefined();
    expect(nightly).toMatchObject({ timezone: "Europe/Berlin", paused: true, nextFireAtMs: null, lastRunId: null });
  });

  it("pages with limit and after", async () => {
    const first = await get<{ schedules: ScheduleJson[]; next: string | null }>("/api/schedules?limit=1");
    expect(first.body.schedules.map((s) => s.id)).toEqual(["hourly-order"]);
    expect(first.body.next).toBe("hourly-order");
    const second = await get<{ schedules: ScheduleJson[]; next: string | null }>(
      `/api/schedules?limit=1&after=${encodeURIComponent(first.body.next ?? "")}`,
    );
    expect(second.body.schedules.map((s) => s.id)).toEqual(["nightly-nap"]);
    expect(second.body.next).toBeNull();
  });

  it("refuses a bad limit with 400 and a message", async () => {
    for (const limit of ["0", "501", "ten"]) {
      const { status, body } = await get<{ error: string }>(`/api/schedules?limit=${limit}`);
      expect(status).toBe(400);
      expect(body.error).toMatch(/limit must be a whole number from 1 to 500/);
    }
  });

  it("is read-only: a POST with the page's CSRF secret finds nothing to act on", async () => {
    const page = await (await fetch(`${baseUrl}/`)).text();
    const csrf = /name="reprise-csrf" content="([^"]+)"/.exec(page)?.[1] ?? "";
    const response = await fetch(`${baseUrl}/api/schedules`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-reprise-csrf": csrf },
      body: JSON.stringify({ paused: true }),
    });
    expect(response.status).toBe(404);
    const listed = await get<{ schedules: ScheduleJson[] }>("/api/schedules");
    expect(listed.body.schedules.find((s) => s.id === "hourly-order")?.paused).toBe(false);
  });
});
