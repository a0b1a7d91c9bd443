// The inspector's HTTP surface against a real database: paging, live-update ETags, and the safety rules
// (host check and token, CSRF, body limit, payloads as data never markup).
import { request as httpRequest, createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createEngine, type Engine } from "@reprise/core";
import { temporaryStore, waitFor, type TemporaryStore } from "@reprise/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInspectorHandler, type InspectorHandler } from "../src/index.js";
import { markup } from "./fixtures/shop-workflows.js";
import { order } from "./fixtures/workflows-v1.js";

const TOKEN = "test-token-0123456789abcdef";

interface Served {
  readonly handler: InspectorHandler;
  readonly server: Server;
  readonly port: number;
}

let tmp: TemporaryStore;
let engine: Engine;
let open: Served;
let guarded: Served;

async function serve(options: { token?: string }): Promise<Served> {
  const handler = await createInspectorHandler({ filename: tmp.filename, ...options });
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { handler, server, port: (server.address() as AddressInfo).port };
}

async function stop(served: Served): Promise<void> {
  await new Promise<void>((resolve) => {
    served.server.close(() => resolve());
    served.server.closeAllConnections();
  });
  await served.handler.close();
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** node:http rather than fetch: tests must set Host and Origin, which fetch does not let callers choose. */
function call(
  served: Served,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: served.port, path, method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** The CSRF secret the page embeds for its script. */
async function csrfOf(served: Served, headers: Record<string, string> = {}): Promise<string> {
  const page = await call(served, "/", { headers });
  return /name="reprise-csrf" content="([^"]+)"/.exec(page.text)?.[1] ?? "";
}

function post(served: Served, path: string, body: unknown, headers: Record<string, string>): Promise<Reply> {
  return call(served, path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

beforeAll(async () => {
  tmp = await temporaryStore();
  engine = createEngine({ store: tmp.store, workflows: [order, markup], pollIntervalMs: 20 });
  for (let i = 0; i < 120; i++) {
    const id = `order-${String(i).padStart(3, "0")}`;
    await engine.start(order, { orderId: String(i), cents: i }, { id, tags: { shard: String(i % 4) } });
  }
  await engine.start(markup, undefined, { id: "markup-1" });
  await waitFor(async () => (await engine.listRuns({ status: "waiting", limit: 200 })).length === 120, {
    message: "every order to wait for approval",
    timeoutMs: 20_000,
  });
  await waitFor(async () => (await engine.getRun("markup-1"))?.status === "completed", { message: "markup-1" });
  open = await serve({});
  guarded = await serve({ token: TOKEN });
});

afterAll(async () => {
  await stop(open);
  await stop(guarded);
  await engine.close();
  await tmp.cleanup();
});

describe("the run list", () => {
  it("pages through every run exactly once, newest first, with counts per status", async () => {
    const seen: { id: string; createdAtMs: number }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply = await call(open, `/api/runs?limit=50${cursor === null ? "" : `&cursor=${cursor}`}`);
      expect(reply.status).toBe(200);
      const body = reply.json<{
        runs: { id: string; createdAtMs: number }[];
        next: string | null;
        counts: Record<string, number>;
      }>();
      expect(body.counts).toMatchObject({ waiting: 120, completed: 1, pending: 0, blocked: 0 });
      seen.push(...body.runs);
      cursor = body.next;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(121);
    expect(new Set(seen.map((run) => run.id)).size).toBe(121);
    const sorted = [...seen].sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : -1));
    expect(seen).toEqual(sorted);
  });

  it("filters by status, workflow and a run id substring", async () => {
    const completed = (await call(open, "/api/runs?status=completed")).json<{ runs: { id: string }[] }>();
    expect(completed.runs.map((run) => run.id)).toEqual(["markup-1"]);
    const byWorkflow = (await call(open, "/api/runs?workflow=markup")).json<{ runs: unknown[]; workflows: string[] }>();
    expect(byWorkflow.runs).toHaveLength(1);
    expect(byWorkflow.workflows).toEqual(["markup", "order"]);
    const search = (await call(open, "/api/runs?q=der-11")).json<{ runs: { id: string }[] }>();
    expect(search.runs.map((run) => run.id).sort()).toEqual([
      "order-110",
      "order-111",
      "order-112",
      "order-113",
      "order-114",
      "order-115",
      "order-116",
      "order-117",
      "order-118",
      "order-119",
    ]);
    const wildcard = (await call(open, "/api/runs?q=%25")).json<{ runs: unknown[] }>();
    expect(wildcard.runs).toEqual([]);
    expect((await call(open, "/api/runs?status=done")).status).toBe(400);
  });

  it("filters by tags, with counts per status that follow the tag filter", async () => {
    const body = (await call(open, "/api/runs?tag=shard%3D3&limit=200")).json<{
      runs: { id: string; tags: Record<string, string> }[];
      counts: Record<string, number>;
    }>();
    expect(body.runs).toHaveLength(30);
    expect(body.runs.every((run) => run.tags.shard === "3")).toBe(true);
    expect(body.counts).toMatchObject({ waiting: 30, completed: 0 });
    expect((await call(open, "/api/runs?tag=shard")).status).toBe(400);
  });
});

describe("a run", () => {
  it("comes with its timeline and events, and answers 304 until it changes", async () => {
    const first = await call(open, "/api/runs/order-007");
    expect(first.status).toBe(200);
    const detail = first.json<{ run: { status: string }; waitsFor: string; timeline: { items: { kind: string }[] } }>();
    expect(detail.run.status).toBe("waiting");
    expect(detail.waitsFor).toMatch(/^signal 'approve' \(timeout /);
    expect(detail.timeline.items.map((item) => item.kind)).toEqual(["step", "wait"]);
    const etag = first.headers.etag as string;
    expect((await call(open, "/api/runs/order-007", { headers: { "if-none-match": etag } })).status).toBe(304);
    await engine.signal("order-007", "approve", { by: "http test" });
    await waitFor(async () => (await engine.getRun("order-007"))?.status === "completed", { message: "order-007" });
    const changed = await call(open, "/api/runs/order-007", { headers: { "if-none-match": etag } });
    expect(changed.status).toBe(200);
    expect(changed.json<{ run: { status: string } }>().run.status).toBe("completed");
    expect((await call(open, "/api/runs/nope")).status).toBe(404);
  });

  it("sends payloads as JSON data: a step result with <script> is a string, and the page holds no run data", async () => {
    const reply = await call(open, "/api/runs/markup-1");
    expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(reply.headers["x-content-type-options"]).toBe("nosniff");
    expect(reply.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(reply.json<{ run: { result: unknown } }>().run.result).toBe(
      `<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`,
    );
    const page = await call(open, "/");
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.text).not.toContain("__xss");
    expect(page.text).not.toContain("order-0");
  });
});

describe("safety", () => {
  it("without a token answers only requests addressed to localhost (DNS rebinding)", async () => {
    expect((await call(open, "/api/runs", { headers: { host: "localhost:1234" } })).status).toBe(200);
    const rebound = await call(open, "/api/runs", { headers: { host: "attacker.example" } });
    expect(rebound.status).toBe(403);
    expect(rebound.json<{ error: string }>().error).toContain("give it an access token");
  });

  it("guards the schedules API like the run list: host check without a token, the token with one", async () => {
    expect((await call(open, "/api/schedules", { headers: { host: "attacker.example" } })).status).toBe(403);
    expect((await call(guarded, "/api/schedules")).status).toBe(401);
    const allowed = await call(guarded, "/api/schedules", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.status).toBe(200);
    expect(allowed.json<{ schedules: unknown[] }>().schedules).toEqual([]);
  });

  it("with a token requires it on every request: bearer, or the cookie set from ?token=", async () => {
    expect((await call(guarded, "/api/runs")).status).toBe(401);
    expect((await call(guarded, "/")).status).toBe(401);
    expect((await call(guarded, "/assets/inspector.js")).status).toBe(401);
    expect(
      (await call(guarded, "/api/runs", { headers: { authorization: "Bearer wrong-token-0123456789" } })).status,
    ).toBe(401);
    expect((await call(guarded, "/api/runs", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const landing = await call(guarded, `/?token=${TOKEN}`, { headers: { host: "inspector.example:8080" } });
    expect(landing.status).toBe(303);
    expect(landing.headers.location).toBe("/");
    const cookie = (landing.headers["set-cookie"] as string[])[0] as string;
    expect(cookie).toMatch(/^reprise_inspector_token=.+; HttpOnly; SameSite=Strict; Path=\/$/);
    const withCookie = await call(guarded, "/api/runs", { headers: { cookie: cookie.split(";")[0] as string } });
    expect(withCookie.status).toBe(200);
  });

  it("refuses actions without the page's CSRF secret or from another origin", async () => {
    const csrf = await csrfOf(open);
    expect(csrf).toMatch(/^[\w-]{32}$/);
    const payload = { name: "approve", payload: '{"by": "csrf"}' };
    const missing = await post(open, "/api/runs/order-010/signal", payload, {});
    expect(missing.status).toBe(403);
    expect((await post(open, "/api/runs/order-010/signal", payload, { "x-reprise-csrf": "guess" })).status).toBe(403);
    const crossSite = await post(open, "/api/runs/order-010/signal", payload, {
      "x-reprise-csrf": csrf,
      origin: "http://attacker.example",
      host: "127.0.0.1",
    });
    expect(crossSite.status).toBe(403);
    const form = await call(open, "/api/runs/order-010/signal", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-reprise-csrf": csrf },
      body: "name=approve",
    });
    expect(form.status).toBe(415);
    expect((await engine.getRun("order-010"))?.status).toBe("waiting");
    const sameOrigin = await post(open, "/api/runs/order-010/signal", payload, {
      "x-reprise-csrf": csrf,
      origin: `http://127.0.0.1:${open.port}`,
    });
    expect(sameOrigin.status).toBe(200);
    expect(sameOrigin.json()).toMatchObject({ duplicate: false });
    await waitFor(async () => (await engine.getRun("order-010"))?.status === "completed", { message: "order-010" });
  });

  it("validates signal payloads and maps engine errors to statuses", async () => {
    const csrf = await csrfOf(open);
    const headers = { "x-reprise-csrf": csrf };
    const bad = await post(open, "/api/runs/order-011/signal", { name: "approve", payload: '{"by": }' }, headers);
    expect(bad.status).toBe(400);
    expect(bad.json<{ error: string }>().error).toContain('unexpected "}" at line 1, column 8');
    expect((await post(open, "/api/runs/order-011/signal", { name: "" }, headers)).status).toBe(400);
    expect((await post(open, "/api/runs/nope/signal", { name: "approve" }, headers)).status).toBe(404);
    expect((await post(open, "/api/runs/markup-1/signal", { name: "approve" }, headers)).status).toBe(409);
    const cancel = await post(open, "/api/runs/order-012/cancel", { reason: "from the inspector" }, headers);
    expect(cancel.status).toBe(200);
    await waitFor(async () => (await engine.getRun("order-012"))?.status === "cancelled", { message: "order-012" });
    expect((await engine.getRun("order-012"))?.reason).toBe("from the inspector");
  });

  it("limits request bodies", async () => {
    const csrf = await csrfOf(open);
    const huge = { name: "approve", payload: JSON.stringify("x".repeat(300 * 1024)) };
    const reply = await post(open, "/api/runs/order-013/signal", huge, { "x-reprise-csrf": csrf });
    expect(reply.status).toBe(413);
    expect(reply.json<{ error: string }>().error).toBe(`the request body is larger than ${256 * 1024} bytes`);
    expect((await engine.getRun("order-013"))?.status).toBe("waiting");
  });
});
