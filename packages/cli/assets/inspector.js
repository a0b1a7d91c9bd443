// The Reprise inspector's front end: run list, run detail with an SVG timeline, signal and cancel forms, schedules.
// Renders every value with textContent or SVG text nodes, never as HTML; polls the JSON API for live updates.
/* global document, window, fetch, URLSearchParams, setTimeout, clearTimeout */

const base = document.querySelector('meta[name="reprise-base"]').content;
const csrf = document.querySelector('meta[name="reprise-csrf"]').content;
const STATUSES = ["pending", "running", "sleeping", "waiting", "completed", "failed", "cancelled", "blocked"];
const FINISHED = new Set(["completed", "failed", "cancelled"]);
const LIST_POLL_MS = 2000;
const RUN_POLL_MS = 1000;
/** Schedules shown at most; the page says when there are more (`reprise schedules --limit` lists them all). */
const SCHEDULES_SHOWN = 500;
const SVG = "http://www.w3.org/2000/svg";

const $ = (id) => document.getElementById(id);
const state = { view: undefined, pollTimer: undefined, list: { cursors: [], cursor: null }, run: undefined };

// ---------- small helpers ----------

/** Creates an element; string children become text nodes, so data is never parsed as HTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof window.Node ? child : String(child));
  return node;
}

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes))
    if (value !== undefined) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatDuration(ms) {
  const abs = Math.abs(Math.round(ms));
  const sign = ms < 0 ? "-" : "";
  if (abs < 1000) return `${sign}${abs}ms`;
  if (abs < 60000) return `${sign}${(abs / 1000).toFixed(abs < 10000 ? 2 : 1)}s`;
  const s = Math.floor(abs / 1000);
  const pad = (n) => String(n).padStart(2, "0");
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${sign}${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${sign}${Math.floor(s / 86400)}d ${Math.floor(s / 3600) % 24}h`;
}

function fromNow(ms) {
  const delta = ms - Date.now();
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

function time(ms) {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", " UTC");
}

function pretty(value) {
  return value === undefined ? "" : JSON.stringify(value, null, 2);
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = message === "";
}

async function api(path, init = {}) {
  const response = await fetch(`${base}/api${path}`, { credentials: "same-origin", ...init });
  if (response.status === 304) return { notModified: true, response };
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return { body, response };
}

function post(path, body) {
  return api(path, {
    method: "POST",
    headers: { "content-type": "application/json", "x-reprise-csrf": csrf },
    body: JSON.stringify(body),
  });
}

function schedule(fn, ms) {
  clearTimeout(state.pollTimer);
  state.pollTimer = setTimeout(() => {
    if (document.visibilityState === "hidden") return schedule(fn, ms);
    fn().finally(() => schedule(fn, ms));
  }, ms);
}

function markLive(nowMs) {
  $("live").textContent = `live · refreshed ${new Date(nowMs).toLocaleTimeString()}`;
}

// ---------- routing ----------

function route() {
  const hash = window.location.hash || "#/";
  // `#/runs/<id>` shows a run's current generation; `?generation=N` an earlier one of a run that continued as new.
  const runMatch = /^#\/runs\/([^?]+)(?:\?(.*))?$/.exec(hash);
  showError("");
  if (/^#\/schedules(?:\?.*)?$/.test(hash)) return openSchedules();
  if (runMatch) {
    const generation = Number(new URLSearchParams(runMatch[2] ?? "").get("generation"));
    return openRun(
      decodeURIComponent(runMatch[1]),
      Number.isSafeInteger(generation) && generation > 0 ? generation : null,
    );
  }
  return openList();
}

// ---------- list view ----------

function listQuery() {
  const query = new URLSearchParams(window.location.hash.split("?")[1] ?? "");
  return {
    status: query.get("status") ?? "",
    workflow: query.get("workflow") ?? "",
    q: query.get("q") ?? "",
    queue: query.get("queue") ?? "",
    tag: query.get("tag") ?? "",
  };
}

function setListQuery(filters) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) if (value) query.set(key, value);
  const text = query.toString();
  window.location.hash = text === "" ? "#/" : `#/?${text}`;
}

/** Shows the view's section and hides the others; marks its link in the header. */
function showView(view) {
  state.view = view;
  $("list-view").hidden = view !== "list";
  $("run-view").hidden = view !== "run";
  $("schedules-view").hidden = view !== "schedules";
  markCurrent($("nav-runs"), view === "list");
  markCurrent($("nav-schedules"), view === "schedules");
}

/** aria-current="page" on the header link of the view shown (an empty value would mean "not current"). */
function markCurrent(link, current) {
  if (current) link.setAttribute("aria-current", "page");
  else link.removeAttribute("aria-current");
}

async function openList() {
  showView("list");
  state.run = undefined;
  state.list = { cursors: [], cursor: null };
  document.title = "Runs · Reprise inspector";
  const filters = listQuery();
  $("filter-q").value = filters.q;
  $("filter-queue").value = filters.queue;
  $("filter-tag").value = filters.tag;
  await refreshList();
  schedule(refreshList, LIST_POLL_MS);
}

async function refreshList() {
  if (state.view !== "list") return;
  const filters = listQuery();
  const params = new URLSearchParams({ limit: "50" });
  for (const [key, value] of Object.entries(filters)) if (value) params.set(key, value);
  if (state.list.cursor) params.set("cursor", state.list.cursor);
  try {
    const { body } = await api(`/runs?${params}`);
    if (state.view !== "list") return;
    renderCounts(body.counts, filters.status);
    renderFilterOptions(body.workflows, filters);
    renderRuns(body.runs);
    state.list.next = body.next;
    $("page-next").disabled = !body.next;
    $("page-prev").disabled = state.list.cursors.length === 0;
    $("page-first").disabled = state.list.cursors.length === 0;
    $("page-info").textContent = `page ${state.list.cursors.length + 1}`;
    markLive(body.nowMs);
    showError("");
  } catch (error) {
    showError(`Cannot load runs: ${error.message}`);
  }
}

function renderCounts(counts, selected) {
  const nav = $("counts");
  const total = STATUSES.reduce((sum, status) => sum + (counts[status] ?? 0), 0);
  const chips = [["", `all ${total}`], ...STATUSES.map((status) => [status, `${status} ${counts[status] ?? 0}`])];
  nav.replaceChildren(
    ...chips.map(([status, label]) => {
      const button = el(
        "button",
        { type: "button", "aria-pressed": String(status === selected), "data-status": status },
        label,
      );
      button.addEventListener("click", () => setListQuery({ ...listQuery(), status }));
      return button;
    }),
  );
}

function renderFilterOptions(workflows, filters) {
  const status = $("filter-status");
  status.replaceChildren(el("option", { value: "" }, "any"), ...STATUSES.map((s) => el("option", { value: s }, s)));
  status.value = filters.status;
  const workflow = $("filter-workflow");
  const names =
    workflows.includes(filters.workflow) || !filters.workflow ? workflows : [...workflows, filters.workflow];
  workflow.replaceChildren(
    el("option", { value: "" }, "any"),
    ...names.map((name) => el("option", { value: name }, name)),
  );
  workflow.value = filters.workflow;
}

function waitText(run) {
  if (run.waitKind === "signal") return `signal '${run.waitName}'${run.wakeAtMs ? ` until ${time(run.wakeAtMs)}` : ""}`;
  if (run.waitKind === "timer") return `timer ${run.wakeAtMs ? fromNow(run.wakeAtMs) : ""}`;
  if (run.waitKind === "retry") return `retry of '${run.waitName}' ${run.wakeAtMs ? fromNow(run.wakeAtMs) : ""}`;
  if (run.waitKind === "child") return `child run ${run.waitName ?? ""}`;
  return "";
}

function renderRuns(runs) {
  $("runs-body").replaceChildren(
    ...runs.map((run) =>
      el(
        "tr",
        { "data-run-id": run.id },
        el("td", { class: "id" }, el("a", { href: `#/runs/${encodeURIComponent(run.id)}` }, run.id)),
        el("td", {}, run.workflow),
        el("td", { class: "version" }, String(run.version)),
        el("td", {}, el("span", { class: `badge ${run.status}` }, run.status)),
        el("td", {}, waitText(run)),
        el(
          "td",
          { class: "queue", title: run.queue ? `priority ${run.priority}` : "" },
          run.queue ? `${run.queue}${run.queueKey ? ` · ${run.queueKey}` : ""}` : "",
        ),
        el("td", { title: time(run.createdAtMs) }, fromNow(run.createdAtMs)),
        el("td", { title: time(run.updatedAtMs) }, fromNow(run.updatedAtMs)),
      ),
    ),
  );
  $("runs-empty").hidden = runs.length > 0;
}

function wireListControls() {
  $("filters").addEventListener("submit", (event) => {
    event.preventDefault();
    setListQuery({
      status: $("filter-status").value,
      workflow: $("filter-workflow").value,
      q: $("filter-q").value.trim(),
      queue: $("filter-queue").value.trim(),
      tag: $("filter-tag").value.trim(),
    });
  });
  $("filter-clear").addEventListener("click", () => setListQuery({}));
  $("page-next").addEventListener("click", () => {
    if (!state.list.next) return;
    state.list.cursors.push(state.list.cursor);
    state.list.cursor = state.list.next;
    void refreshList();
  });
  $("page-prev").addEventListener("click", () => {
    if (state.list.cursors.length === 0) return;
    state.list.cursor = state.list.cursors.pop();
    void refreshList();
  });
  $("page-first").addEventListener("click", () => {
    state.list.cursors = [];
    state.list.cursor = null;
    void refreshList();
  });
}

// ---------- run view ----------

async function openRun(runId, generation) {
  showView("run");
  // afterSeq null follows the latest page of events; a number pins the page that starts after that seq.
  // generation null follows the run's current generation; a number shows that earlier one.
  state.run = { id: runId, etag: undefined, detail: undefined, nameTouched: false, afterSeq: null, generation };
  $("run-title").textContent = runId;
  $("run-status").textContent = "";
  $("signal-message").textContent = "";
  $("cancel-message").textContent = "";
  $("signal-name").value = "";
  $("signal-payload").value = "";
  $("signal-id").value = "";
  resetCancelButton();
  document.title = `${runId} · Reprise inspector`;
  await refreshRun();
  schedule(refreshRun, RUN_POLL_MS);
}

async function refreshRun() {
  const current = state.run;
  if (state.view !== "run" || !current) return;
  try {
    const headers = current.etag ? { "if-none-match": current.etag } : {};
    const page = current.afterSeq === null ? "latest=1" : `afterSeq=${current.afterSeq}`;
    const generation = current.generation === null ? "" : `&generation=${current.generation}`;
    const result = await api(`/runs/${encodeURIComponent(current.id)}?${page}${generation}`, { headers });
    if (state.run !== current) return;
    if (!result.notModified) {
      current.etag = result.response.headers.get("etag") ?? undefined;
      current.detail = result.body;
      renderRun(result.body);
    } else if (current.detail && !FINISHED.has(current.detail.run.status) && isCurrentGeneration(current.detail)) {
      // Unchanged, but time moves: countdowns, the line for now and a blocked run's bar.
      renderTimeline(current.detail);
    }
    markLive(Date.now());
    showError("");
  } catch (error) {
    showError(`Cannot load run ${current.id}: ${error.message}`);
  }
}

function renderRun(detail) {
  const run = detail.run;
  const status = $("run-status");
  status.textContent = run.status;
  status.className = `badge ${run.status}`;
  const facts = [
    ["Workflow", run.workflow],
    ["Version", el("span", { id: "run-version" }, String(run.version))],
  ];
  if (detail.generation.current > 1) facts.push(["Generation", generationNav(detail)]);
  if (!isCurrentGeneration(detail)) {
    // The row (status, wait, inbox, input, outcome) is the current generation's: show this generation's own.
    facts.push(
      ["Started", time(detail.timeline.startMs)],
      ["Input", el("pre", { id: "generation-input" }, pretty(detail.generation.input))],
    );
    return renderRunParts(detail, facts);
  }
  facts.push(["Created", time(run.createdAtMs)], ["Updated", `${time(run.updatedAtMs)} (${fromNow(run.updatedAtMs)})`]);
  if (run.finishedAtMs) facts.push(["Finished", time(run.finishedAtMs)]);
  if (detail.waitsFor) facts.push(["Waits for", detail.waitsFor]);
  if (run.cancelRequested && run.status !== "cancelled") facts.push(["Cancel", "requested"]);
  if (run.reason && run.status !== "blocked") facts.push(["Note", run.reason]);
  if (run.parentId) facts.push(["Parent", el("span", { id: "run-parent" }, runLink(run.parentId))]);
  if (run.children?.length) facts.push(["Children", childrenList(run.children)]);
  if (run.queue) facts.push(["Queue", queueFact(run)]);
  if (run.tags && Object.keys(run.tags).length > 0) facts.push(["Tags", tagList(run.tags)]);
  if (run.pendingSignals?.length) facts.push(["Inbox", pendingSignalsList(run)]);
  facts.push(["Input", el("pre", {}, pretty(run.input))]);
  if (run.status === "completed") facts.push(["Result", el("pre", { id: "run-result" }, pretty(run.result))]);
  if (run.error)
    facts.push([
      run.status === "blocked" ? "Blocked" : "Error",
      el("pre", {}, `${run.error.name}: ${run.error.message}`),
    ]);
  renderRunParts(detail, facts);
}

/** The facts, the actions, and the page of the timeline and the events. */
function renderRunParts(detail, facts) {
  const run = detail.run;
  $("run-facts").replaceChildren(...facts.flatMap(([label, value]) => [el("dt", {}, label), el("dd", {}, value)]));

  // Signals and cancellation act on the run as it is now: not offered on an earlier generation's page.
  $("actions").hidden = FINISHED.has(run.status) || !isCurrentGeneration(detail);
  if (!state.run.nameTouched && run.waitingFor?.kind === "signal") $("signal-name").value = run.waitingFor.name;

  renderPager(detail.page);
  renderTimeline(detail);
  renderEvents(detail);
}

/** Whether the page shows the run's current generation (not an earlier one, read from the archive). */
function isCurrentGeneration(detail) {
  return detail.generation.shown === detail.generation.current;
}

/**
 * Which generation is shown, with links to the others: the earlier ones kept, and the current one.
 * An earlier generation's page says so, so that its timeline is not taken for the run as it is now.
 */
function generationNav(detail) {
  const { shown, current, kept } = detail.generation;
  const id = encodeURIComponent(detail.run.id);
  const link = (generation) =>
    generation === shown
      ? el("strong", { "aria-current": "page" }, String(generation))
      : el(
          "a",
          {
            href: generation === current ? `#/runs/${id}` : `#/runs/${id}?generation=${generation}`,
            "data-generation": String(generation),
          },
          String(generation),
        );
  const note =
    shown === current
      ? ` (current; ${kept.length === 0 ? "earlier generations are not kept" : `${kept.length} earlier kept`})`
      : ` (an earlier generation, of ${current}; the run is now ${detail.run.status})`;
  const links = [...kept, current].flatMap((generation, index) =>
    index === 0 ? [link(generation)] : [" · ", link(generation)],
  );
  return el("span", { id: "run-generation" }, ...links, el("span", { class: "muted" }, note));
}

/** The run's queue (a link to the run list filtered by it), its key within the queue and its priority. */
function queueFact(run) {
  const filter = new URLSearchParams({ queue: run.queue });
  const parts = [el("a", { href: `#/?${filter}` }, run.queue)];
  if (run.key) parts.push(` · key ${run.key}`);
  parts.push(` · priority ${run.priority}`);
  return el("span", { id: "run-queue" }, ...parts);
}

/** A run's tags, each a link to the run list filtered by it. */
function tagList(tags) {
  const list = el("span", { id: "run-tags" });
  for (const [key, value] of Object.entries(tags)) {
    if (list.childNodes.length > 0) list.append(", ");
    const filter = new URLSearchParams({ tag: `${key}=${value}` });
    list.append(el("a", { href: `#/?${filter}` }, `${key}=${value}`));
  }
  return list;
}

/** A link to another run's page (its id as text). */
function runLink(runId) {
  return el("a", { href: `#/runs/${encodeURIComponent(runId)}`, "data-run-link": runId }, runId);
}

/** The child runs this run started, oldest first, each a link. */
function childrenList(children) {
  const items = children.map((id) => el("li", {}, runLink(id)));
  return el("ul", { id: "run-children", class: "run-links" }, ...items);
}

/** Signals no awaitSignal has taken yet (e.g. sent under a wrong name), with what the run waits for instead. */
function pendingSignalsList(run) {
  const items = run.pendingSignals.map((signal) =>
    el("li", {}, `'${signal.name}' sent ${time(signal.sentAtMs)} (${fromNow(signal.sentAtMs)}), id ${signal.id}`),
  );
  const waited = run.waitingFor?.kind === "signal" ? run.waitingFor.name : undefined;
  const note =
    waited === undefined
      ? "Not taken yet: each waits for an awaitSignal() of its name."
      : `Not taken: the run waits for '${waited}'; a signal waits for an awaitSignal() of its own name.`;
  return el("div", { id: "run-inbox" }, el("ul", {}, ...items), el("p", { class: "muted" }, note));
}

/** Shows which events the page holds and enables the buttons that lead to the others. */
function renderPager(page) {
  const range = page.firstSeq === null ? "no events" : `events ${page.firstSeq}–${page.lastSeq}`;
  $("events-page-info").textContent = `${range} of ${page.totalEvents}`;
  $("events-note").textContent =
    page.previous === null && page.next === null ? "" : `(${range} of ${page.totalEvents})`;
  $("events-first").disabled = page.previous === null;
  $("events-prev").disabled = page.previous === null;
  $("events-next").disabled = page.next === null;
  $("events-latest").disabled = page.next === null;
  $("events-pager").hidden = page.previous === null && page.next === null;
}

/** Opens another page of the run's events: a seq to start after, or null for the latest page (followed live). */
function goToEvents(afterSeq) {
  const current = state.run;
  if (!current) return;
  current.afterSeq = afterSeq;
  current.etag = undefined;
  void refreshRun();
}

/** Scrolls to an event's row on this page and marks it for a moment. */
function showEventRow(seq) {
  const row = $(`event-${seq}`);
  if (!row) return;
  row.scrollIntoView({ block: "center" });
  row.classList.add("flash");
  setTimeout(() => row.classList.remove("flash"), 1500);
}

/** The "Command" cell: a link to the command an answer belongs to, and the branch it ran in. */
function commandCell(place) {
  const cell = el("td", { class: "command" });
  if (!place || place.commandSeq === null) return cell;
  if (place.commandSeq !== place.seq) {
    const link = el("a", { href: "", "data-command-seq": String(place.commandSeq) }, `command #${place.commandSeq}`);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      showEventRow(place.commandSeq);
    });
    cell.append(link);
  }
  if (place.path !== "") {
    const lane = place.path === null ? "branch unknown" : place.path;
    cell.append(el("div", { class: "lane", title: place.path === null ? "not known from the log alone" : "" }, lane));
  }
  return cell;
}

function renderEvents(detail) {
  const startMs = detail.timeline.startMs;
  const places = new Map((detail.places ?? []).map((place) => [place.seq, place]));
  $("events-body").replaceChildren(
    ...detail.events.map((event) => {
      const { seq, type, atMs, ...fields } = event;
      // Stacks are long and rarely needed: they go under a disclosure instead of inside the payload.
      const stack = fields.error?.stack;
      if (stack !== undefined) fields.error = { ...fields.error, stack: undefined };
      const data = el("td", {}, el("pre", {}, Object.keys(fields).length === 0 ? "" : pretty(fields)));
      if (stack !== undefined) data.append(el("details", {}, el("summary", {}, "stack"), el("pre", {}, stack)));
      // Events about a child run link to its page.
      if (typeof fields.childId === "string") data.prepend(el("div", {}, "child run ", runLink(fields.childId)));
      return el(
        "tr",
        { id: `event-${seq}` },
        el("td", {}, String(seq)),
        el("td", { title: time(atMs) }, `+${formatDuration(atMs - startMs)}`),
        el("td", {}, type),
        commandCell(places.get(seq)),
        data,
      );
    }),
  );
}

// ---------- timeline picture ----------

const ROW = 24;
const LABEL_WIDTH = 190;
const CHART_WIDTH = 620;
const NOTE_WIDTH = 230;
const AXIS_HEIGHT = 22;

/**
 * Draws the page's items on an axis scaled to the time they span (`timeline.view`), so a long run's page fills
 * the width; the latest page of a live run also reaches now and near deadlines.
 */
function renderTimeline(detail) {
  const { timeline, run, page } = detail;
  const live = timeline.live;
  const nowMs = Date.now();
  const startMs = timeline.view.startMs;
  let endMs = timeline.view.endMs;
  // The latest page of an unfinished run reaches now (a blocked run's bar grows), and near deadlines if live. An
  // earlier generation ended when it continued as new: its axis ends there.
  if (page.next === null && !FINISHED.has(run.status) && isCurrentGeneration(detail)) endMs = Math.max(endMs, nowMs);
  if (live && page.next === null) {
    // Show upcoming deadlines when they are near; far ones are clipped at the right edge.
    for (const deadline of openDeadlines(timeline.items)) {
      if (deadline > endMs && deadline - startMs <= 4 * Math.max(endMs - startMs, 1000)) endMs = deadline;
    }
  }
  const spanMs = Math.max(endMs - startMs, 1);
  const x = (ms) => LABEL_WIDTH + (Math.min(Math.max(ms, startMs), endMs) - startMs) * (CHART_WIDTH / spanMs);
  const items = timeline.items;
  const height = items.length * ROW + 8;
  const width = LABEL_WIDTH + CHART_WIDTH + NOTE_WIDTH;
  const axis = svg("svg", { width: "100%", viewBox: `0 0 ${width} ${AXIS_HEIGHT}`, "aria-hidden": "true" });
  const root = svg("svg", {
    width: "100%",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `timeline of run ${run.id}`,
  });
  drawAxis(axis, root, x, startMs, spanMs, height, timeline.startMs);
  if (live && page.next === null)
    root.append(svg("line", { class: "tl-now", x1: x(nowMs), x2: x(nowMs), y1: 0, y2: height - 4 }, undefined));
  items.forEach((item, index) => drawItem(root, item, index * ROW, x, nowMs, timeline.startMs, live));
  if (items.length === 0) root.append(svg("text", { class: "tl-note", x: LABEL_WIDTH, y: 16 }, "nothing recorded yet"));
  $("timeline-axis").replaceChildren(axis);
  $("timeline").replaceChildren(root);
}

function openDeadlines(items) {
  const deadlines = [];
  for (const item of items) {
    if (item.kind === "sleep" && item.firedAtMs === undefined && item.withdrawnAtMs === undefined)
      deadlines.push(item.wakeAtMs);
    if (item.kind === "wait" && item.outcome === "waiting" && item.timeoutAtMs !== undefined)
      deadlines.push(item.timeoutAtMs);
    if (item.kind === "step" && item.outcome === "retrying" && item.nextAttemptAtMs !== undefined)
      deadlines.push(item.nextAttemptAtMs);
  }
  return deadlines;
}

/** What overtook a sleep, wait or retry, in words. */
function withdrawnText(by) {
  if (by === "cancellation") return "withdrawn by the cancellation";
  if (by === "branch") return "withdrawn: its branch lost";
  return `withdrawn: the run ${by === "cancelled" ? "was cancelled" : by}`;
}

/** Tick labels (offsets from the run's start) in the axis strip, grid lines through the rows. */
function drawAxis(axis, root, x, startMs, spanMs, height, runStartMs) {
  axis.append(svg("line", { class: "tl-axis", x1: LABEL_WIDTH, x2: LABEL_WIDTH + CHART_WIDTH, y1: 18, y2: 18 }));
  for (let i = 0; i <= 4; i++) {
    const ms = startMs + (spanMs * i) / 4;
    axis.append(svg("line", { class: "tl-axis", x1: x(ms), x2: x(ms), y1: 14, y2: AXIS_HEIGHT }));
    root.append(svg("line", { class: "tl-axis", x1: x(ms), x2: x(ms), y1: 0, y2: height - 4 }));
    axis.append(
      svg(
        "text",
        { class: "tl-tick", x: x(ms), y: 11, "text-anchor": i === 0 ? "start" : i === 4 ? "end" : "middle" },
        `+${formatDuration(ms - runStartMs)}`,
      ),
    );
  }
}

function drawItem(root, item, y, x, nowMs, startMs, live) {
  const group = svg("g", { "data-kind": item.kind, "data-seq": item.seq, "data-lane": item.lane ?? undefined });
  const mid = y + ROW / 2;
  // Items of parallel branches are indented under their group and carry their lane's label ([0], .late, ?).
  const indent = 4 + (item.depth ?? 0) * 12;
  const prefix = item.laneLabel === undefined ? "" : `${item.laneLabel} `;
  const label = (text) =>
    group.append(svg("text", { class: "tl-label", x: indent, y: mid + 4 }, `${prefix}${text}`.slice(0, 34)));
  const note = (atX, text) => group.append(svg("text", { class: "tl-note", x: atX + 6, y: mid + 4 }, text));
  const tip = (text) => group.append(svg("title", {}, text));
  const bar = (from, to, cls) =>
    group.append(
      svg("rect", { class: cls, x: x(from), y: y + 5, width: Math.max(x(to) - x(from), 2), height: ROW - 10, rx: 2 }),
    );
  switch (item.kind) {
    case "step": {
      label(`step ${item.name}`);
      let previousEnd;
      for (const attempt of item.attempts) {
        if (previousEnd !== undefined) {
          group.append(
            svg("line", { class: "tl-backoff", x1: x(previousEnd), x2: x(attempt.startMs), y1: mid, y2: mid }),
          );
        }
        bar(attempt.startMs, attempt.endMs, attempt.ok ? "tl-ok" : "tl-failed");
        previousEnd = attempt.endMs;
      }
      const last = item.attempts[item.attempts.length - 1];
      if (item.outcome === "retrying" && item.nextAttemptAtMs !== undefined && last) {
        bar(last.endMs, item.nextAttemptAtMs, "tl-pending");
      }
      if (item.outcome === "withdrawn" && last) {
        group.append(svg("line", { class: "tl-backoff", x1: x(last.endMs), x2: x(item.endMs), y1: mid, y2: mid }));
      }
      // A step started in a branch runs from its step_started event; its attempt has not ended (or never will).
      const running =
        item.outcome === "running" || (item.outcome === "withdrawn" && item.nextAttemptAtMs === undefined);
      if (running) bar(last?.endMs ?? item.startMs, item.endMs ?? nowMs, "tl-pending");
      const took =
        item.outcome === "running"
          ? live
            ? `running for ${formatDuration(nowMs - item.startMs)}`
            : "on hold (run blocked)"
          : item.outcome === "withdrawn"
            ? `${running ? "" : "retry "}${withdrawnText(item.withdrawnBy)}`
            : item.endMs !== undefined
              ? formatDuration(item.endMs - item.startMs)
              : live
                ? "retrying"
                : "retry on hold (run blocked)";
      const attempts = item.attempts.length > 1 ? ` · ${item.attempts.length} attempts` : "";
      note(x(item.endMs ?? item.nextAttemptAtMs ?? nowMs), `${took}${attempts}`);
      tip(
        item.attempts
          .map(
            (a) =>
              `attempt ${a.attempt}: ${a.ok ? "ok" : `${a.error?.name}: ${a.error?.message}`} (${formatDuration(a.endMs - a.startMs)})`,
          )
          .join("\n"),
      );
      break;
    }
    case "sleep": {
      label("sleep");
      const length = formatDuration(item.wakeAtMs - item.startMs);
      if (item.withdrawnAtMs !== undefined) {
        // The timer never fired: the span ends where the cancellation or the run's end overtook it.
        bar(item.startMs, item.withdrawnAtMs, "tl-sleep tl-withdrawn");
        note(x(item.withdrawnAtMs), `${length} · ${withdrawnText(item.withdrawnBy)}`);
        tip(`sleep until ${time(item.wakeAtMs)}, ${withdrawnText(item.withdrawnBy)} at ${time(item.withdrawnAtMs)}`);
        break;
      }
      const end = item.firedAtMs ?? Math.min(nowMs, item.wakeAtMs);
      bar(item.startMs, end, "tl-sleep");
      if (item.firedAtMs === undefined) bar(end, item.wakeAtMs, "tl-pending");
      group.append(
        svg("line", { class: "tl-deadline", x1: x(item.wakeAtMs), x2: x(item.wakeAtMs), y1: y + 3, y2: y + ROW - 3 }),
      );
      const pending = live ? ` · wakes ${fromNow(item.wakeAtMs)}` : " · on hold (run blocked)";
      note(x(item.wakeAtMs), `${length}${item.firedAtMs === undefined ? pending : ""}`);
      tip(`sleep until ${time(item.wakeAtMs)}`);
      break;
    }
    case "wait": {
      label(`await ${item.name}`);
      const end = item.endMs ?? nowMs;
      bar(item.startMs, end, item.outcome === "withdrawn" ? "tl-wait tl-withdrawn" : "tl-wait");
      if (item.timeoutAtMs !== undefined) {
        if (item.outcome === "waiting" && live) bar(end, item.timeoutAtMs, "tl-pending");
        group.append(
          svg("line", {
            class: "tl-deadline",
            x1: x(item.timeoutAtMs),
            x2: x(item.timeoutAtMs),
            y1: y + 3,
            y2: y + ROW - 3,
          }),
        );
      }
      const text =
        item.outcome === "waiting"
          ? live
            ? `waiting${item.timeoutAtMs === undefined ? "" : ` · timeout ${fromNow(item.timeoutAtMs)}`}`
            : "on hold (run blocked)"
          : item.outcome === "withdrawn"
            ? `${withdrawnText(item.withdrawnBy)} after ${formatDuration(end - item.startMs)}`
            : `${item.outcome === "received" ? "received" : "timed out"} after ${formatDuration(end - item.startMs)}`;
      note(x(Math.max(end, item.timeoutAtMs ?? end)), text);
      tip(
        `awaits signal '${item.name}'${item.timeoutAtMs === undefined ? " (no timeout)" : ` until ${time(item.timeoutAtMs)}`}`,
      );
      break;
    }
    case "signal":
      label(`signal ${item.name}`);
      group.append(diamond(x(item.atMs), mid, "tl-signal"));
      note(x(item.atMs), `received +${formatDuration(item.atMs - startMs)}`);
      tip(`payload: ${pretty(item.payload)}`);
      break;
    case "value":
      label(`${item.source}()`);
      group.append(svg("circle", { class: "tl-value", cx: x(item.atMs), cy: mid, r: 4 }));
      tip(`recorded ${pretty(item.value)}`);
      break;
    case "tags":
      label("setTags");
      group.append(svg("circle", { class: "tl-value", cx: x(item.atMs), cy: mid, r: 4 }));
      tip(
        Object.entries(item.tags)
          .map(([key, value]) => (value === null ? `${key} removed` : `${key}=${value}`))
          .join(", "),
      );
      break;
    case "patch":
      label(`${item.deprecated ? "deprecatePatch" : "patched"}('${item.patchId}')`);
      group.append(svg("circle", { class: "tl-value", cx: x(item.atMs), cy: mid, r: 4 }));
      tip(item.deprecated ? "a deprecated patch's marker" : "the run takes the patched path here");
      break;
    case "group": {
      const shape = item.keys ? `{ ${item.keys.join(", ")} }` : `×${item.count}`;
      label(`${item.combinator} ${shape}`);
      bar(item.atMs, Math.max(item.endMs, item.atMs), "tl-group");
      note(x(item.endMs), `${item.count} branch${item.count === 1 ? "" : "es"}`);
      tip(`${item.combinator} of ${item.count} branches (#${item.seq}); its branches' items follow, indented`);
      break;
    }
    case "child": {
      label(item.action === "start" ? `child ${item.workflow}` : `result of ${item.childId}`);
      const end = item.endMs ?? nowMs;
      const cls = item.outcome === "failed" || item.outcome === "start-failed" ? "tl-failed" : "tl-child";
      bar(item.startMs, item.outcome === "started" ? item.startMs : end, cls);
      // The note links to the child run's page.
      const link = svg("a", { href: `#/runs/${encodeURIComponent(item.childId)}`, class: "tl-child-link" });
      link.append(svg("text", { class: "tl-note", x: x(end) + 6, y: mid + 4 }, `${item.childId} · ${item.outcome}`));
      group.append(link);
      tip(`child run ${item.childId} (${item.workflow || "workflow in its start event"}): ${item.outcome}`);
      break;
    }
    case "cancellation":
      label("cancellation");
      group.append(diamond(x(item.atMs), mid, "tl-cancel"));
      note(x(item.atMs), item.reason ?? "");
      break;
    case "end":
      label(item.status);
      group.append(
        svg("rect", { class: `tl-end-${item.status}`, x: x(item.atMs) - 5, y: mid - 5, width: 10, height: 10 }),
      );
      note(x(item.atMs), `+${formatDuration(item.atMs - startMs)}`);
      if (item.status === "continued") tip(`continued as new; the next generation's input:\n${pretty(item.result)}`);
      break;
    case "blocked":
      // Blocking writes no event: this comes from the store's record of blocked episodes. A past episode spans
      // until the run was retried; the current one lasts until fixed code takes the run again.
      label("blocked");
      if (item.endedAtMs !== undefined) {
        bar(item.atMs, Math.max(item.endedAtMs, item.atMs), "tl-blocked tl-blocked-past");
        note(
          x(item.endedAtMs),
          `${formatDuration(item.endedAtMs - item.atMs)}, until +${formatDuration(item.endedAtMs - startMs)}` +
            (item.endedBy === "retried" ? " (retried)" : ""),
        );
      } else {
        bar(item.atMs, Math.max(nowMs, item.atMs), "tl-blocked");
        note(x(item.atMs), `since ${time(item.atMs)} (${fromNow(item.atMs)})`);
      }
      tip(item.reason);
      break;
  }
  root.append(group);
}

function diamond(cx, cy, cls) {
  return svg("polygon", { class: cls, points: `${cx},${cy - 6} ${cx + 6},${cy} ${cx},${cy + 6} ${cx - 6},${cy}` });
}

// ---------- actions ----------

function resetCancelButton() {
  const button = $("cancel-send");
  button.textContent = "Cancel run…";
  button.dataset.armed = "";
}

function wireEventPager() {
  const page = () => state.run?.detail?.page;
  $("events-first").addEventListener("click", () => goToEvents(0));
  $("events-prev").addEventListener("click", () => page()?.previous != null && goToEvents(page().previous));
  $("events-next").addEventListener("click", () => page()?.next != null && goToEvents(page().next));
  $("events-latest").addEventListener("click", () => goToEvents(null));
}

function wireActions() {
  $("signal-name").addEventListener("input", () => {
    if (state.run) state.run.nameTouched = true;
  });
  $("signal-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = $("signal-message");
    const name = $("signal-name").value.trim();
    const payload = $("signal-payload").value;
    message.className = "message bad";
    if (name === "") return void (message.textContent = "Give the signal a name.");
    if (payload.trim() !== "") {
      try {
        JSON.parse(payload);
      } catch (error) {
        return void (message.textContent = `The payload is not valid JSON: ${error.message}`);
      }
    }
    const runId = state.run.id;
    try {
      const { body } = await post(`/runs/${encodeURIComponent(runId)}/signal`, {
        name,
        payload,
        signalId: $("signal-id").value.trim() || undefined,
      });
      message.className = "message good";
      message.textContent = body.duplicate
        ? `Signal id ${body.signalId} was already sent; nothing new stored.`
        : `Sent '${name}' (signal id ${body.signalId}).`;
      await refreshRun();
    } catch (error) {
      message.textContent = error.message;
    }
  });
  $("cancel-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("cancel-send");
    const message = $("cancel-message");
    if (button.dataset.armed !== "yes") {
      button.dataset.armed = "yes";
      button.textContent = "Click again to cancel this run";
      return;
    }
    resetCancelButton();
    try {
      await post(`/runs/${encodeURIComponent(state.run.id)}/cancel`, { reason: $("cancel-reason").value });
      message.className = "message good";
      message.textContent = "Cancellation requested; a worker delivers it at the run's current step or wait.";
      await refreshRun();
    } catch (error) {
      message.className = "message bad";
      message.textContent = error.message;
    }
  });
}

// ---------- schedules view ----------

async function openSchedules() {
  showView("schedules");
  state.run = undefined;
  document.title = "Schedules · Reprise inspector";
  await refreshSchedules();
  schedule(refreshSchedules, LIST_POLL_MS);
}

async function refreshSchedules() {
  if (state.view !== "schedules") return;
  try {
    const { body } = await api(`/schedules?limit=${SCHEDULES_SHOWN}`);
    if (state.view !== "schedules") return;
    renderSchedules(body.schedules);
    const more = $("schedules-more");
    more.hidden = body.next === null;
    more.textContent = `The first ${SCHEDULES_SHOWN} schedules by id; \`reprise schedules --limit\` lists more.`;
    markLive(body.nowMs);
    showError("");
  } catch (error) {
    showError(`Cannot load schedules: ${error.message}`);
  }
}

/** When a schedule fires next: paused, never (its cron has no more times), or the time and how soon. */
function nextFireText(item) {
  if (item.paused) return el("span", { class: "badge blocked" }, "paused");
  if (item.nextFireAtMs === null) return "never";
  return el("span", { title: time(item.nextFireAtMs) }, `${time(item.nextFireAtMs)} (${fromNow(item.nextFireAtMs)})`);
}

function renderSchedules(schedules) {
  $("schedules-body").replaceChildren(
    ...schedules.map((item) =>
      el(
        "tr",
        { "data-schedule-id": item.id },
        el("td", { class: "id" }, item.id),
        el("td", {}, item.workflow),
        el("td", {}, el("code", {}, item.cron)),
        el("td", {}, item.timezone),
        el("td", { class: "next-fire" }, nextFireText(item)),
        el("td", {}, `${item.overlap} / ${item.catchUp}`),
        el("td", {}, item.lastRunId === null ? "" : runLink(item.lastRunId)),
      ),
    ),
  );
  $("schedules-empty").hidden = schedules.length > 0;
}

wireListControls();
wireEventPager();
wireActions();
window.addEventListener("hashchange", () => void route());
void route();
