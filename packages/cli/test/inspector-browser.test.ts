// The inspector in a real browser (Debian's headless Chromium via playwright-core): open the list, open a run,
// send a signal through the form, watch the run complete; payloads render as text. Saves screenshots as artifacts.
// Without Chromium the suite skips with one line, unless REPRISE_REQUIRE names "chromium" (CI does): then it fails.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, encodeValue, EVENT_LOG_FORMAT_VERSION, type Engine } from "@reprise/core";
import { encodeEvent } from "@reprise/core/internal";
import { temporaryStore, waitFor, type TemporaryStore } from "@reprise/testing";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInspectorHandler, type InspectorHandler } from "../src/index.js";
import { charge, checkout, shipping } from "./fixtures/parallel-workflows.js";
import { fulfil, markup } from "./fixtures/shop-workflows.js";

/** Debian's Chromium; REPRISE_CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.REPRISE_CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
/** Outside dependencies that must be present (comma-separated, e.g. "chromium,postgres"): .ci/run sets it. */
const REQUIRED = (process.env.REPRISE_REQUIRE ?? "").split(",").map((name) => name.trim().toLowerCase());
const found = existsSync(CHROMIUM);
const skip = !found && !REQUIRED.includes("chromium");
const SKIPPED = `skipped: Chromium not found at ${CHROMIUM} (install with apt-get install -y chromium; CI requires it)`;
// One line on the terminal (vitest's summary only counts skipped tests): say why, and how to run them.
if (skip) process.stderr.write(`inspector browser tests ${SKIPPED}\n`);

let tmp: TemporaryStore;
let engine: Engine;
let handler: InspectorHandler;
let server: Server;
let baseUrl: string;
let profile: string;
let browser: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  if (skip) return;
  if (!found) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}, and REPRISE_REQUIRE=${process.env.REPRISE_REQUIRE ?? ""} requires it: ` +
        `install it with \`apt-get install -y chromium\` (.ci/run does), or set REPRISE_CHROMIUM_PATH to its executable.`,
    );
  }
  tmp = await temporaryStore();
  engine = createEngine({
    store: tmp.store,
    workflows: [fulfil, markup, checkout, charge, shipping],
    pollIntervalMs: 20,
  });
  for (const id of ["1001", "1002", "1003"]) await engine.start(fulfil, { orderId: id }, { id: `order-${id}` });
  await engine.start(markup, undefined, { id: "markup-1" });
  await waitFor(async () => (await engine.listRuns({ status: "waiting" })).length === 3, {
    message: "the orders to wait for shipping",
  });
  handler = await createInspectorHandler({ filename: tmp.filename });
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profile = mkdtempSync(join(tmpdir(), "reprise-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage();
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  if (skip) return;
  await browser?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  await new Promise<void>((resolve) => {
    if (server === undefined) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await handler?.close();
  await engine?.close();
  await tmp?.cleanup();
});

describe.skipIf(skip)(skip ? SKIPPED : "the inspector in Chromium", () => {
  it("lists runs, opens one, sends a signal through the form and shows the run completing", async () => {
    await page.goto(baseUrl);
    await page.locator('tr[data-run-id="order-1001"]').waitFor();
    expect(await page.locator("#runs-body tr").count()).toBe(4);
    expect(await page.locator('#counts button[data-status="waiting"]').textContent()).toBe("waiting 3");
    await page.screenshot({ path: join(ARTIFACTS, "inspector-list.png") });

    await page.locator('tr[data-run-id="order-1001"] a').click();
    await expect.poll(() => page.locator("#run-status").textContent()).toBe("waiting");
    expect(await page.locator("#run-title").textContent()).toBe("order-1001");
    expect(await page.locator('#timeline g[data-kind="step"]').count()).toBe(2);
    expect(await page.locator('#timeline g[data-kind="wait"]').count()).toBe(1);
    expect(await page.locator("#signal-name").inputValue()).toBe("shipped");

    await page.locator("#signal-payload").fill('{"carrier": "DHL"}');
    await page.screenshot({ path: join(ARTIFACTS, "inspector-waiting.png") });
    await page.locator("#signal-send").click();
    await expect.poll(() => page.locator("#signal-message").textContent()).toMatch(/^Sent 'shipped' \(signal id /);
    await expect.poll(() => page.locator("#run-status").textContent(), { timeout: 10_000 }).toBe("completed");
    expect(await page.locator("#run-result").textContent()).toBe('"shipped with DHL"');
    expect(await page.locator('#timeline g[data-kind="signal"]').count()).toBe(1);
    expect(await page.locator('#timeline g[data-kind="end"]').count()).toBe(1);
    expect(await page.locator("#actions").isHidden()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "inspector-run.png") });
    expect((await engine.getRun("order-1001"))?.result).toBe("shipped with DHL");
  });

  it("checks the payload is JSON before sending anything", async () => {
    await page.goto(`${baseUrl}/#/runs/order-1002`);
    await expect.poll(() => page.locator("#run-status").textContent()).toBe("waiting");
    await page.locator("#signal-payload").fill("{carrier: DHL}");
    await page.locator("#signal-send").click();
    expect(await page.locator("#signal-message").textContent()).toMatch(/^The payload is not valid JSON: /);
    expect((await engine.getRun("order-1002"))?.status).toBe("waiting");
  });

  it("renders a step result containing markup as text, without running it", async () => {
    await page.goto(`${baseUrl}/#/runs/markup-1`);
    await page.locator("#run-result").waitFor();
    expect(await page.locator("#run-result").textContent()).toBe(
      JSON.stringify(`<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">`, null, 2),
    );
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.locator("#run-facts img, #events-body img, #events-body script").count()).toBe(0);
  });

  it("draws a long run's page across the whole axis, and the page stays short", async () => {
    // Imported here so that this test's additions stay inside its body.
    const { writeLongRun } = await import("./fixtures/long-run.js");
    await writeLongRun(tmp.store, "long-1", 4000);
    await page.goto(`${baseUrl}/#/runs/long-1`);
    await expect.poll(() => page.locator("#run-status").textContent()).toBe("completed");
    await expect.poll(() => page.locator("#events-page-info").textContent()).toBe("events 3751–4000 of 4000");
    expect(await page.locator("#events-body tr").count()).toBe(250);
    expect(await page.locator("#timeline g[data-kind]").count()).toBe(250);

    /** How much of the axis the drawn marks (bars, diamonds, squares) cover, from 0 to 1. */
    const spread = () =>
      page.evaluate(() => {
        // The test compiles without DOM types: describe the little of the page it reads.
        interface Box {
          readonly left: number;
          readonly right: number;
          readonly width: number;
        }
        interface Drawn {
          getBoundingClientRect(): Box;
        }
        const doc = (globalThis as unknown as { document: { querySelectorAll(selector: string): Iterable<Drawn> } })
          .document;
        const [axis] = [...doc.querySelectorAll("#timeline-axis line.tl-axis")].map((line) =>
          line.getBoundingClientRect(),
        );
        const marks = [...doc.querySelectorAll("#timeline g[data-kind] :is(rect, polygon, circle)")].map((mark) =>
          mark.getBoundingClientRect(),
        );
        if (axis === undefined || marks.length === 0) return 0;
        const left = Math.min(...marks.map((box) => box.left));
        const right = Math.max(...marks.map((box) => box.right));
        return (right - left) / axis.width;
      });
    expect(await spread()).toBeGreaterThan(0.9);
    // 4,000 events made a 264,000 px page; a page of 250 scrolls inside the timeline and event boxes.
    const pageHeight = await page.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollHeight: number } } }).document.documentElement
          .scrollHeight,
    );
    expect(pageHeight).toBeLessThan(3000);
    await page.screenshot({ path: join(ARTIFACTS, "inspector-long-run.png"), fullPage: true });

    await page.locator("#events-prev").click();
    await expect.poll(() => page.locator("#events-page-info").textContent()).toBe("events 3501–3750 of 4000");
    expect(await page.locator("#events-body tr td:first-child >> nth=0").textContent()).toBe("3501");
    expect(await spread()).toBeGreaterThan(0.9);
    await page.locator("#events-first").click();
    await expect.poll(() => page.locator("#events-page-info").textContent()).toBe("events 1–250 of 4000");
    expect(await page.locator("#events-first").isDisabled()).toBe(true);
  });

  it("shows a wait that a cancellation overtook as withdrawn, not as a countdown", async () => {
    await engine.cancel("order-1003", { reason: "customer request" });
    await waitFor(async () => (await engine.getRun("order-1003"))?.status === "cancelled", {
      message: "order-1003 to be cancelled",
    });
    await page.goto(`${baseUrl}/#/runs/order-1003`);
    await expect.poll(() => page.locator("#run-status").textContent()).toBe("cancelled");
    const wait = page.locator('#timeline g[data-kind="wait"] text.tl-note');
    expect(await wait.textContent()).toMatch(/^withdrawn by the cancellation after /);
    expect(await page.locator("#timeline").textContent()).not.toMatch(/waiting|timeout in|wakes in/);
    expect(await page.locator("#timeline .tl-now").count()).toBe(0);
  });

  it("draws a past blocked episode as an ended blocked row, with its end", async () => {
    // A run of a workflow no engine here serves, blocked once and retried: written through the Store directly.
    const store = tmp.store;
    const atMs = Date.now() - 60_000;
    const started = encodeEvent(
      { type: "run_started", seq: 1, atMs, workflow: "legacy", input: null, formatVersion: EVENT_LOG_FORMAT_VERSION },
      "input",
      1024,
    );
    const lease = { owner: "legacy-engine", leaseMs: 60_000 };
    const input = encodeValue(null, "input", 1024);
    await store.createRun({ id: "legacy-1", workflow: "legacy", input, startedEvent: started, nowMs: atMs, lease });
    await store.commit({
      runId: "legacy-1",
      owner: "legacy-engine",
      expectedLastSeq: 1,
      events: [],
      consumedSignals: [],
      update: { status: "blocked", reason: "NonDeterminismError: diverged at seq 2", release: true },
      nowMs: atMs + 1_000,
    });
    await store.retryBlockedRuns([{ name: "legacy", version: 1 }], atMs + 31_000);
    await page.goto(`${baseUrl}/#/runs/legacy-1`);
    await expect.poll(() => page.locator("#run-status").textContent()).toBe("pending");
    const row = page.locator('#timeline g[data-kind="blocked"]');
    expect(await row.count()).toBe(1);
    expect(await row.locator("rect.tl-blocked.tl-blocked-past").count()).toBe(1);
    expect(await row.locator("text.tl-note").textContent()).toBe("30.0s, until +31.0s (retried)");
    expect(await row.locator("title").textContent()).toBe("NonDeterminismError: diverged at seq 2");
    await page.screenshot({ path: join(ARTIFACTS, "inspector-past-block.png") });
  });

  it("draws branches under their group, links answers to their command and the parent to its child", async () => {
    await engine.start(checkout, undefined, { id: "checkout-1" });
    await engine.start(shipping, undefined, { id: "shipping-1" });
    await waitFor(async () => (await engine.getRun("checkout-1"))?.status === "completed", { message: "checkout-1" });
    await waitFor(async () => (await engine.getRun("shipping-1"))?.status === "waiting", { message: "shipping-1" });
    await page.goto(`${baseUrl}/#/runs/shipping-1`);
    await expect.poll(() => page.locator("#run-status").textContent()).toBe("waiting");
    const labels = await page.locator("#timeline g[data-kind] text.tl-label").allTextContents();
    expect(labels).toEqual(["race { shipped, late }", ".shipped await shipped", ".late sleep"]);
    // Lane rows are indented under the group's row.
    const rows = page.locator("#timeline g[data-kind] text.tl-label");
    const xOf = async (index: number) => Number(await rows.nth(index).getAttribute("x"));
    expect(await xOf(1)).toBeGreaterThan(await xOf(0));
    expect(await page.locator("#events-body tr").nth(2).locator("td.command").textContent()).toBe("race.shipped");

    await page.goto(`${baseUrl}/#/runs/checkout-1`);
    await expect.poll(() => page.locator("#run-status").textContent()).toBe("completed");
    expect(await page.locator("#run-children a").allTextContents()).toEqual(["charge-5"]);
    const answer = page.locator("#event-6 td.command a");
    expect(await answer.textContent()).toBe("command #3");
    await answer.click();
    await expect.poll(() => page.locator("#event-3").getAttribute("class")).toBe("flash");
    expect(await page.locator('#timeline g[data-kind="child"] a').getAttribute("href")).toBe("#/runs/charge-5");
    await page.screenshot({ path: join(ARTIFACTS, "inspector-branches.png") });
    await page.locator("#event-3 a[data-run-link]").click();
    await expect.poll(() => page.locator("#run-title").textContent()).toBe("charge-5");
    expect(await page.locator("#run-parent a").textContent()).toBe("checkout-1");
  });

  it("shows a run's version and generation, and draws an earlier generation from its link", async () => {
    const { writeContinuedRun } = await import("./fixtures/continued-run.js");
    await writeContinuedRun(tmp.store, "pager-1", { workflow: "pager", generations: 3, version: 2 });
    await page.goto(`${baseUrl}/#/?q=pager`);
    await page.locator('tr[data-run-id="pager-1"]').waitFor();
    expect(await page.locator('tr[data-run-id="pager-1"] td.version').textContent()).toBe("2");

    await page.goto(`${baseUrl}/#/runs/pager-1`);
    await expect.poll(() => page.locator("#run-version").textContent()).toBe("2");
    expect(await page.locator("#run-generation").textContent()).toBe("1 · 2 · 3 (current; 2 earlier kept)");
    expect(await page.locator('#timeline g[data-kind="end"]').count()).toBe(0);
    expect(await page.locator("#actions").isHidden()).toBe(false);

    await page.locator('#run-generation a[data-generation="1"]').click();
    await expect.poll(() => page.url()).toMatch(/#\/runs\/pager-1\?generation=1$/);
    await expect
      .poll(() => page.locator("#run-generation").textContent())
      .toBe("1 · 2 · 3 (an earlier generation, of 3; the run is now pending)");
    expect(await page.locator('#timeline g[data-kind="end"] rect.tl-end-continued').count()).toBe(1);
    // The generation's own input, not the current one's (page 3).
    expect(await page.locator("#generation-input").textContent()).toBe(JSON.stringify({ page: 1 }, null, 2));
    expect(await page.locator("#events-body tr").count()).toBe(3);
    expect(await page.locator("#events-body tr").nth(2).locator("td").nth(2).textContent()).toBe("run_continued");
    // Signals and cancellation act on the run as it is now, not on an earlier generation's page.
    expect(await page.locator("#actions").isHidden()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "inspector-earlier-generation.png") });

    await page.locator('#run-generation a[data-generation="3"]').click();
    await expect.poll(() => page.locator("#run-generation").textContent()).toBe("1 · 2 · 3 (current; 2 earlier kept)");
    expect(await page.locator('#timeline g[data-kind="end"]').count()).toBe(0);
  });

  it("narrows the list to a queue with its counts, and shows a run's queue, key and priority", async () => {
    await engine.start(fulfil, { orderId: "q1" }, { id: "import-q1", queue: "imports", key: "c1", priority: 2 });
    await engine.start(fulfil, { orderId: "q2" }, { id: "import-q2", queue: "imports" });
    await engine.start(fulfil, { orderId: "q3" }, { id: "email-q3", queue: "email" });
    await page.goto(`${baseUrl}/#/`);
    await page.locator('tr[data-run-id="email-q3"]').waitFor();
    await page.locator("#filter-queue").fill("imports");
    await page.locator('#filters button[type="submit"]').click();
    await expect.poll(() => page.url()).toMatch(/#\/\?queue=imports$/);
    await expect
      .poll(async () => (await page.locator("#runs-body td.id").allTextContents()).sort())
      .toEqual(["import-q1", "import-q2"]);
    expect(await page.locator('#counts button[data-status=""]').textContent()).toBe("all 2");
    // The list's Queue column: the queue, and the key when the run has one.
    expect((await page.locator("#runs-body td.queue").allTextContents()).sort()).toEqual(["imports", "imports · c1"]);
    await page.screenshot({ path: join(ARTIFACTS, "inspector-queue-filter.png") });

    await page.locator('tr[data-run-id="import-q1"] a').click();
    await expect.poll(() => page.locator("#run-title").textContent()).toBe("import-q1");
    expect(await page.locator("#run-queue").textContent()).toBe("imports · key c1 · priority 2");
    await page.locator("#run-queue a").click();
    await expect.poll(() => page.url()).toMatch(/#\/\?queue=imports$/);
    expect(await page.locator("#filter-queue").inputValue()).toBe("imports");
  });

  it("lists schedules with their next fire times, paused ones as paused, and links the last run", async () => {
    // Fire times far from now (3:00 on 1 January): the engine's scheduler fires nothing during the test.
    await engine.schedules.create({ id: "new-year-markup", workflow: markup, cron: "0 3 1 1 *" });
    await engine.schedules.create({ id: "paused-markup", workflow: markup, cron: "0 3 1 1 *", timezone: "Asia/Tokyo" });
    await engine.schedules.pause("paused-markup");
    const triggered = await engine.schedules.trigger("new-year-markup");
    await page.goto(`${baseUrl}/#/`);
    await page.locator("#nav-schedules").click();
    const row = page.locator('tr[data-schedule-id="new-year-markup"]');
    await row.waitFor();
    expect(await page.locator("#schedules-body tr").count()).toBe(2);
    expect(await page.locator("#list-view").isHidden()).toBe(true);
    expect(await page.locator("#nav-schedules").getAttribute("aria-current")).toBe("page");
    const cells = await row.locator("td").allTextContents();
    expect(cells.slice(0, 4)).toEqual(["new-year-markup", "markup", "0 3 1 1 *", "UTC"]);
    expect(cells[4]).toMatch(/^\d{4}-01-01 03:00:00\.000 UTC \(in /);
    expect(cells[5]).toBe("skip / latest");
    expect(cells[6]).toBe(triggered.id);
    const paused = await page.locator('tr[data-schedule-id="paused-markup"] td').allTextContents();
    expect(paused[3]).toBe("Asia/Tokyo");
    expect(paused[4]).toBe("paused");
    await page.screenshot({ path: join(ARTIFACTS, "inspector-schedules.png") });

    await row.locator("a[data-run-link]").click();
    await expect.poll(() => page.locator("#run-title").textContent()).toBe(triggered.id);
    expect(await page.locator("#schedules-view").isHidden()).toBe(true);
  });

  it("raised no script errors or CSP violations", () => {
    expect(problems).toEqual([]);
  });
});
