// The inspector's run detail against real SQLite: a long log comes in bounded pages that together hold every
// event and timeline item once, and finished or blocked runs never show a deadline counting down.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createEngine } from "@reprise/core";
import { temporaryStore, waitFor, type TemporaryStore } from "@reprise/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInspectorHandler, type InspectorHandler } from "../src/index.js";
import { DEFAULT_EVENT_PAGE_SIZE } from "../src/inspector/event-page.js";
import { writeContinuedRun } from "./fixtures/continued-run.js";
import { LONG_RUN_START_MS, writeLongRun } from "./fixtures/long-run.js";
import { order as renamedOrder } from "./fixtures/workflows-v2-renamed.js";
import { charge, checkout, fanout, shipping } from "./fixtures/parallel-workflows.js";
import { nap, order } from "./fixtures/workflows-v1.js";

const LONG_RUN_EVENTS = 4000;

let tmp: TemporaryStore;
let handler: InspectorHandler;
let server: Server;
let baseUrl: string;

interface Detail {
  run: {
    status: string;
    updatedAtMs: number;
    parentId?: string;
    children?: string[];
    version: number;
    generation: number;
  };
  generation: { shown: number; current: number; kept: number[] };
  places: { seq: number; commandSeq: number | null; path: string | null }[];
  timeline: {
    startMs: number;
    endMs: number;
    live: boolean;
    view: { startMs: number; endMs: number };
    items: { kind: string; seq: number; [field: string]: unknown }[];
  };
  events: { seq: number; type: string; name?: string }[];
  page: {
    afterSeq: number;
    firstSeq: number | null;
    lastSeq: number | null;
    totalEvents: number;
    next: number | null;
    previous: number | null;
    latest: number;
  };
}

async function detail(path: string): Promise<{ status: number; bytes: number; body: Detail }> {
  const response = await fetch(`${baseUrl}/api/runs/${path}`);
  const text = await response.text();
  return { status: response.status, bytes: Buffer.byteLength(text), body: JSON.parse(text) as Detail };
}

beforeAll(async () => {
  tmp = await temporaryStore();
  await writeLongRun(tmp.store, "long-1", LONG_RUN_EVENTS);
  await writeContinuedRun(tmp.store, "pager-1", { workflow: "pager", generations: 3, version: 2 });

  // A sleeping run cancelled in its sleep, and an order that blocks when code with a renamed step replays it.
  const v1 = createEngine({ store: tmp.store, workflows: [order, nap], pollIntervalMs: 20 });
  await v1.start(nap, undefined, { id: "nap-1" });
  await v1.start(order, { orderId: "1", cents: 100 }, { id: "order-1" });
  await waitFor(async () => (await v1.getRun("nap-1"))?.status === "sleeping", { message: "nap-1 to sleep" });
  await waitFor(async () => (await v1.getRun("order-1"))?.status === "waiting", { message: "order-1 to wait" });
  await v1.cancel("nap-1", { reason: "not needed" });
  await waitFor(async () => (await v1.getRun("nap-1"))?.status === "cancelled", { message: "nap-1 to cancel" });
  await v1.close();
  const v2 = createEngine({ store: tmp.store, workflows: [renamedOrder, nap], pollIntervalMs: 20 });
  await v2.signal("order-1", "approve", { by: "ada" });
  await waitFor(async () => (await v2.getRun("order-1"))?.status === "blocked", { message: "order-1 to block" });
  await v2.close();

  // A parent whose all() starts a child in one branch, and a race still running.
  const v3 = createEngine({ store: tmp.store, workflows: [checkout, charge, shipping, fanout], pollIntervalMs: 20 });
  await v3.start(checkout, undefined, { id: "checkout-1" });
  await v3.start(shipping, undefined, { id: "shipping-1" });
  await v3.start(fanout, { ids: [5, 6, 7] }, { id: "fanout-1" });
  await waitFor(async () => (await v3.getRun("checkout-1"))?.status === "completed", { message: "checkout-1 to end" });
  await waitFor(async () => (await v3.getRun("shipping-1"))?.status === "waiting", { message: "shipping-1 to wait" });
  await waitFor(async () => (await v3.getRun("fanout-1"))?.status === "waiting", { message: "fanout-1 to wait" });
  await v3.close();

  handler = await createInspectorHandler({ filename: tmp.filename });
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server?.close(() => resolve());
    server?.closeAllConnections();
  });
  await handler?.close();
  await tmp?.cleanup();
});

describe("a long run's detail", () => {
  it("answers one bounded page of events, not the whole log", async () => {
    const { status, bytes, body } = await detail("long-1");
    expect(status).toBe(200);
    expect(body.events).toHaveLength(DEFAULT_EVENT_PAGE_SIZE);
    expect(body.events[0]?.seq).toBe(1);
    expect(body.page).toMatchObject({ afterSeq: 0, firstSeq: 1, lastSeq: 250, totalEvents: 4000, next: 250 });
    expect(body.page.previous).toBeNull();
    expect(body.timeline.items.length).toBeLessThanOrEqual(DEFAULT_EVENT_PAGE_SIZE);
    // 4,000 events came to 1.36 MB in one answer; a page carries a sixteenth of them.
    expect(bytes).toBeLessThan(150 * 1024);
  });

  it("pages through every event and every timeline item exactly once", async () => {
    const seqs: number[] = [];
    const itemSeqs: number[] = [];
    let afterSeq: number | null = 0;
    let pages = 0;
    while (afterSeq !== null) {
      const { body }: { body: Detail } = await detail(`long-1?afterSeq=${afterSeq}&limit=700`);
      seqs.push(...body.events.map((event) => event.seq));
      itemSeqs.push(...body.timeline.items.map((item) => item.seq));
      afterSeq = body.page.next;
      pages++;
    }
    expect(pages).toBe(Math.ceil(LONG_RUN_EVENTS / 700));
    expect(seqs).toEqual(Array.from({ length: LONG_RUN_EVENTS }, (_, index) => index + 1));
    // One step item per step event, and the end: run_started begins no item.
    expect(itemSeqs).toEqual(Array.from({ length: LONG_RUN_EVENTS - 1 }, (_, index) => index + 2));
  });

  it("scales each page's view to the events on it, and the latest page ends with the run", async () => {
    const second = (await detail("long-1?afterSeq=250")).body;
    expect(second.timeline.view).toEqual({
      startMs: LONG_RUN_START_MS + 249_000,
      endMs: LONG_RUN_START_MS + 499_000,
    });
    expect(second.timeline.startMs).toBe(LONG_RUN_START_MS);
    expect(second.page.previous).toBe(0);
    const latest = (await detail("long-1?latest=1")).body;
    expect(latest.page).toMatchObject({ afterSeq: 3750, firstSeq: 3751, lastSeq: 4000, next: null, latest: 3750 });
    expect(latest.timeline.items.at(-1)).toMatchObject({ kind: "end", status: "completed" });
    expect(latest.timeline.view.endMs).toBe(LONG_RUN_START_MS + 3_999_000);
  });

  it("refuses a bad page request with 400", async () => {
    expect((await fetch(`${baseUrl}/api/runs/long-1?afterSeq=-1`)).status).toBe(400);
    expect((await fetch(`${baseUrl}/api/runs/long-1?afterSeq=abc`)).status).toBe(400);
    const tooMany = await fetch(`${baseUrl}/api/runs/long-1?limit=100000`);
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { error: string }).error).toBe("limit must be a whole number from 1 to 1000");
  });
});

describe("a finished or blocked run's detail", () => {
  it("draws a sleep cancelled in its sleep as withdrawn, with nothing live", async () => {
    const { body } = await detail("nap-1");
    expect(body.run.status).toBe("cancelled");
    expect(body.timeline.live).toBe(false);
    const sleep = body.timeline.items.find((item) => item.kind === "sleep");
    expect(sleep).toMatchObject({ withdrawnBy: "cancellation" });
    expect(sleep?.firedAtMs).toBeUndefined();
    expect(body.timeline.items.map((item) => item.kind)).toEqual(["step", "sleep", "cancellation", "end"]);
  });

  it("ends a blocked run's timeline with a marker at the time it was blocked, with the reason", async () => {
    const { body } = await detail("order-1");
    expect(body.run.status).toBe("blocked");
    expect(body.timeline.live).toBe(false);
    const last = body.timeline.items.at(-1);
    expect(last).toMatchObject({ kind: "blocked", atMs: body.run.updatedAtMs, seq: body.page.totalEvents });
    expect(last?.reason).toMatch(/^NonDeterminismError: Run 'order-1' diverged from its history at seq 2/);
  });
});

describe("a run with parallel branches and children", () => {
  it("links the parent to its children and the child to its parent", async () => {
    const parent = (await detail("checkout-1")).body;
    expect(parent.run.children).toEqual(["charge-5"]);
    expect(parent.run.parentId).toBeUndefined();
    const child = (await detail("charge-5")).body;
    expect(child.run.parentId).toBe("checkout-1");
    expect(child.run.children ?? []).toEqual([]);
  });

  it("ties every answer to its command and gives each event its branch", async () => {
    const { body } = await detail("checkout-1");
    expect(body.events.map((event) => event.type)).toEqual([
      "run_started",
      "branches_started",
      "child_started",
      "step_started",
      "step_completed",
      "child_completed",
      "run_completed",
    ]);
    expect(body.places).toEqual([
      { seq: 1, commandSeq: null, path: "" },
      { seq: 2, commandSeq: 2, path: "" },
      { seq: 3, commandSeq: 3, path: "all[0]" },
      { seq: 4, commandSeq: 4, path: "all[1]" },
      { seq: 5, commandSeq: 4, path: "all[1]" },
      { seq: 6, commandSeq: 3, path: "all[0]" },
      { seq: 7, commandSeq: null, path: "" },
    ]);
  });

  it("orders the timeline's items under their group, lane by lane, with depth and label", async () => {
    const { body } = await detail("shipping-1");
    expect(body.run.status).toBe("waiting");
    expect(
      body.timeline.items.map(({ kind, seq, depth, laneLabel, lane }) => ({ kind, seq, depth, laneLabel, lane })),
    ).toEqual([
      { kind: "group", seq: 2, depth: undefined, laneLabel: undefined, lane: undefined },
      { kind: "wait", seq: 3, depth: 1, laneLabel: ".shipped", lane: "race.shipped" },
      { kind: "sleep", seq: 4, depth: 1, laneLabel: ".late", lane: "race.late" },
    ]);
    expect(body.timeline.items[0]).toMatchObject({
      combinator: "race",
      keys: ["shipped", "late"],
      paths: ["race.shipped", "race.late"],
    });
    const parent = (await detail("checkout-1")).body;
    expect(parent.timeline.items.find((item) => item.kind === "child")).toMatchObject({
      childId: "charge-5",
      workflow: "charge",
      outcome: "completed",
      result: { receipt: "r-5" },
      lane: "all[0]",
      laneLabel: "[0]",
    });
  });
});

describe("lanes placed by replay when the inspector has the workflows' code", () => {
  it("places a sub-flow's later steps on their branch, from the log alone as by replay", async () => {
    const withCode = await createInspectorHandler({ filename: tmp.filename, workflows: [fanout] });
    const codeServer = createServer(withCode);
    await new Promise<void>((resolve) => codeServer.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(codeServer.address() as AddressInfo).port}/api/runs/fanout-1`;
      const replayed = (await (await fetch(url)).json()) as Detail;
      const fromLog = (await detail("fanout-1")).body;
      const saveSeqs = fromLog.events
        .filter((event) => event.type === "step_started" && event.name?.startsWith("save-") === true)
        .map((event) => event.seq);
      expect(saveSeqs).toHaveLength(3);
      const pathAt = (body: Detail, seq: number) => body.places.find((place) => place.seq === seq)?.path;
      for (const seq of saveSeqs) {
        const name = fromLog.events.find((event) => event.seq === seq)?.name ?? "";
        // save-5 runs in branch 0, save-6 in branch 1, save-7 in branch 2.
        const branch = `all[${Number(name.slice("save-".length)) - 5}]`;
        expect(pathAt(fromLog, seq)).toBe(branch);
        expect(pathAt(replayed, seq)).toBe(branch);
      }
      expect(replayed.timeline.items.some((item) => item.lane === null)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => {
        codeServer.close(() => resolve());
        codeServer.closeAllConnections();
      });
      await withCode.close();
    }
  });
});

describe("a run that continued as new", () => {
  it("lists its version and generation, and its detail says which generations there are", async () => {
    const list = (await (await fetch(`${baseUrl}/api/runs?q=pager`)).json()) as {
      runs: { id: string; version: number; generation: number }[];
    };
    expect(list.runs).toMatchObject([{ id: "pager-1", version: 2, generation: 3 }]);
    const { body } = await detail("pager-1");
    expect(body.run).toMatchObject({ version: 2, generation: 3 });
    expect(body.generation).toEqual({ shown: 3, current: 3, kept: [1, 2] });
    expect(body.events.map((event) => event.type)).toEqual(["run_started", "step_completed"]);
  });

  it("answers an earlier generation's events and timeline with ?generation=N, under an ETag of its own", async () => {
    const response = await fetch(`${baseUrl}/api/runs/pager-1?generation=1`);
    const body = (await response.json()) as Detail;
    expect(body.generation).toEqual({ shown: 1, current: 3, kept: [1, 2], input: { page: 1 } });
    expect(body.events.map((event) => event.type)).toEqual(["run_started", "step_completed", "run_continued"]);
    expect(body.timeline.live).toBe(false);
    expect(body.timeline.items.at(-1)).toMatchObject({ kind: "end", status: "continued", result: { page: 2 } });
    const current = await fetch(`${baseUrl}/api/runs/pager-1`);
    expect(response.headers.get("etag")).not.toBe(current.headers.get("etag"));
    const again = await fetch(`${baseUrl}/api/runs/pager-1?generation=1`, {
      headers: { "if-none-match": response.headers.get("etag") ?? "" },
    });
    expect(again.status).toBe(304);
  });

  it("answers 404 for a generation the run does not have, 400 for one that is not a number", async () => {
    const missing = await fetch(`${baseUrl}/api/runs/pager-1?generation=7`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toBe(
      "run pager-1 has no generation 7: it is in generation 3; earlier generations kept: 1, 2",
    );
    expect((await fetch(`${baseUrl}/api/runs/order-1?generation=2`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/api/runs/pager-1?generation=first`)).status).toBe(400);
    expect((await fetch(`${baseUrl}/api/runs/pager-1?generation=0`)).status).toBe(400);
  });

  it("refuses two different definitions of one name and version before opening anything", async () => {
    const clash = { ...order, fn: nap.fn };
    await expect(
      createInspectorHandler({ filename: tmp.filename, workflows: [order, clash] as never }),
    ).rejects.toThrow("Two different workflows are named 'order' with version 1");
  });
});
