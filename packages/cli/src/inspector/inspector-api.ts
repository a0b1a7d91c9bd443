// The inspector's JSON API: run pages with counts, one run (any of its generations) with a page of its events and
// timeline, signal and cancel. Reads pages and earlier generations through the store's RunReader and everything
// else through a client engine (the public API).
import {
  RUN_STATUSES,
  RepriseError,
  type Engine,
  type HistoryEvent,
  type RunPageCursor,
  type RunReader,
  type RunStatus,
  type RunSummary,
  type WorkflowDefinition,
} from "@reprise/core";
import { JsonInputError, parseJson } from "../json-input.js";
import { lanesFromLog, lanesFromReplay } from "../branch-lanes.js";
import {
  GenerationNotFoundError,
  generationVersion,
  readEarlierGeneration,
  runGenerations,
  type RunGenerations,
} from "../run-generations.js";
import { toJsonSafe } from "../json-safe.js";
import { runToJson } from "../run-json.js";
import { buildTimeline } from "../timeline.js";
import { describeWait } from "../timeline-text.js";
import type { WorkflowCatalog } from "../workflow-catalog.js";
import { eventPage, parseEventPageRequest } from "./event-page.js";
import { HttpError } from "./responses.js";

/** Runs per page unless the client asks for fewer or more (at most 200). */
const DEFAULT_PAGE_SIZE = 50;
/** Workflow names offered in the list's filter, at most. */
const MAX_WORKFLOWS_LISTED = 500;
/** What the API reads and acts through. */
export interface InspectorBackend {
  readonly reader: RunReader;
  readonly engine: Engine;
  /**
   * Workflow code by name and version, to place parallel branches by replay; runs of a version not here are
   * placed from the log alone.
   */
  readonly workflows?: WorkflowCatalog;
}

/**
 * GET api/runs: a page of runs, counts per status and the workflow names, for the list view. Query: `status`,
 * `workflow`, `queue`, `tag=key=value` (repeatable), `q` (id contains), `limit`, `cursor`; the counts follow
 * every filter but `status` and `q`.
 *
 * @example
 * await listRuns(backend, new URLSearchParams("status=waiting&limit=20"));
 * await listRuns(backend, new URLSearchParams("queue=imports&tag=customer%3D42"));
 */
export async function listRuns(backend: InspectorBackend, params: URLSearchParams): Promise<Record<string, unknown>> {
  const status = optional(params.get("status"));
  if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
    throw new HttpError(400, `unknown status '${status}'; use one of ${RUN_STATUSES.join(", ")}`);
  }
  const limit = Number(params.get("limit") ?? DEFAULT_PAGE_SIZE);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 200) throw new HttpError(400, "limit must be from 1 to 200");
  const workflow = optional(params.get("workflow"));
  const { reader } = backend;
  const after = decodeCursor(optional(params.get("cursor")));
  const tags = tagParams(params);
  const queue = optional(params.get("queue")?.trim());
  // Three reads: the counts may be a moment newer than the page, which a list view refreshed every few seconds
  // does not mind; each is consistent in itself.
  const [page, counts, workflows] = await act(() =>
    Promise.all([
      reader.runsPage({
        statuses: status === undefined ? undefined : [status as RunStatus],
        workflow,
        idContains: optional(params.get("q")),
        queue,
        tags,
        limit,
        after,
      }),
      // The counts follow the workflow, queue and tag filters, so each status chip says how many the page would
      // list (the id search and the status itself are left out: the chips are how one picks a status).
      tags === undefined && queue === undefined
        ? reader.countRunsByStatus(workflow)
        : reader.countRuns({ workflow, queue, tags }),
      reader.workflowsWithRuns(MAX_WORKFLOWS_LISTED),
    ]),
  );
  return {
    runs: page.runs.map(summaryToJson),
    next: page.next === undefined ? null : encodeCursor(page.next),
    counts,
    workflows,
    nowMs: Date.now(),
  };
}

/** `tag=key=value` parameters (repeatable; every tag must match), or undefined for none. */
function tagParams(params: URLSearchParams): Record<string, string> | undefined {
  const given = params.getAll("tag").filter((value) => value.trim() !== "");
  if (given.length === 0) return undefined;
  const tags: Record<string, string> = {};
  for (const text of given) {
    const at = text.indexOf("=");
    if (at < 1) throw new HttpError(400, `tag takes key=value, e.g. customer=42 (got '${text}')`);
    tags[text.slice(0, at).trim()] = text.slice(at + 1).trim();
  }
  return tags;
}

/** A list line as the inspector's page reads it (nulls, not absent fields; the wait as kind and name). */
function summaryToJson(run: RunSummary): Record<string, unknown> {
  const wait = run.waitingFor;
  return {
    id: run.id,
    workflow: run.workflow,
    version: run.version,
    generation: run.generation,
    status: run.status,
    waitKind: wait?.kind ?? null,
    waitName:
      wait === undefined || wait.kind === "timer"
        ? null
        : wait.kind === "retry"
          ? wait.step
          : wait.kind === "signal"
            ? wait.name
            : wait.id,
    wakeAtMs: run.wakeAtMs ?? null,
    tags: run.tags ?? {},
    queue: run.queue ?? null,
    queueKey: run.queueKey ?? null,
    priority: run.priority ?? 0,
    createdAtMs: run.createdAtMs,
    updatedAtMs: run.updatedAtMs,
    finishedAtMs: run.finishedAtMs ?? null,
  };
}

/**
 * GET api/runs/:id: the run, what it waits for, and one page of its events with the timeline items they begin.
 * Query: `afterSeq` (default 0) or `latest=1` for the last page, and `limit` (see event-page.ts); `generation=N`
 * for an earlier generation of a run that continued as new (404 when the run has no such generation kept).
 * `generation` in the answer says which one is shown, the current one, and the earlier ones kept.
 *
 * @example
 * const detail = await getRunDetail(backend, "order-1001", new URLSearchParams("afterSeq=250&limit=250"));
 * const first = await getRunDetail(backend, "order-1001", new URLSearchParams("generation=1"));
 */
export async function getRunDetail(
  backend: InspectorBackend,
  runId: string,
  params: URLSearchParams = new URLSearchParams(),
): Promise<Record<string, unknown>> {
  const request = parseEventPageRequest(params);
  const asked = parseGeneration(params);
  const run = await act(() => backend.engine.getRun(runId));
  if (run === undefined) throw new HttpError(404, `no run with id '${runId}'`);
  const generations = await act(() => runGenerations(backend.reader, run));
  const shown = asked ?? run.generation;
  const current = shown === run.generation;
  const history = current
    ? await act(() => backend.engine.history(runId))
    : await earlierHistory(backend.reader, runId, generations, shown);
  const nowMs = Date.now();
  const version = current ? run.version : generationVersion(history, run.version);
  const definition = backend.workflows?.get(run.workflow, version) as WorkflowDefinition<never, unknown> | undefined;
  const lanes = definition === undefined ? lanesFromLog(history) : lanesFromReplay(runId, history, definition);
  // An earlier generation ended with run_continued; the row (status, blocked episodes) is the current one's.
  const timeline = buildTimeline(history, nowMs, current ? run : undefined, lanes);
  const page = eventPage(history, timeline, request, lanes);
  return {
    // Where the run is queued (runToJson does not carry these); null queue and key for a run started in none.
    run: { ...runToJson(run), queue: run.queue ?? null, key: run.key ?? null, priority: run.priority },
    // An earlier generation's own input: the run's `input` is the current generation's.
    generation: { shown, ...generations, ...(current ? {} : { input: generationInput(history) }) },
    waitsFor: describeWait(run, nowMs) ?? null,
    timeline: page.timeline,
    events: page.events,
    places: page.places,
    page: page.page,
    nowMs,
  };
}

/**
 * The ETag of a run's detail: changes whenever the run's row changes (a new event, status or cancel request),
 * and differs per generation asked for (`generation` in `params`).
 *
 * @example
 * if (req.headers["if-none-match"] === await runVersion(backend, id, url.searchParams)) res.writeHead(304).end();
 */
export async function runVersion(
  backend: InspectorBackend,
  runId: string,
  params: URLSearchParams = new URLSearchParams(),
): Promise<string | undefined> {
  const run = await act(() => backend.engine.getRun(runId));
  if (run === undefined) return undefined;
  const shown = params.get("generation") ?? String(run.generation);
  // A signal that is stored but not consumed changes neither the log nor the row: count the inbox as well.
  return `"${run.lastSeq}-${run.updatedAtMs}-${run.status}-${run.pendingSignals?.length ?? 0}-g${run.generation}.${shown}"`;
}

/**
 * POST api/runs/:id/signal with `{ name, payload?: "<JSON text>", signalId? }`.
 *
 * @example
 * await sendSignal(backend, "order-1001", { name: "shipped", payload: '{"carrier":"DHL"}' });
 */
export async function sendSignal(
  backend: InspectorBackend,
  runId: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const name = body.name;
  if (typeof name !== "string" || name.trim() === "") throw new HttpError(400, "give the signal a name");
  const signalId = optional(typeof body.signalId === "string" ? body.signalId : undefined);
  let payload: unknown;
  if (body.payload !== undefined && (typeof body.payload !== "string" || body.payload.trim() !== "")) {
    if (typeof body.payload !== "string") throw new HttpError(400, "payload must be JSON text");
    try {
      payload = parseJson(body.payload, "the payload");
    } catch (error) {
      if (error instanceof JsonInputError) throw new HttpError(400, error.message);
      throw error;
    }
  }
  const sent = await act(() => backend.engine.signal(runId, name, payload, { id: signalId }));
  return { signalId: sent.id, duplicate: sent.duplicate };
}

/**
 * POST api/runs/:id/cancel with `{ reason? }`.
 *
 * @example
 * await cancelRun(backend, "order-1001", { reason: "customer request" });
 */
export async function cancelRun(
  backend: InspectorBackend,
  runId: string,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const reason = typeof body.reason === "string" && body.reason.trim() !== "" ? body.reason : undefined;
  await act(() => backend.engine.cancel(runId, { reason }));
  return { cancelRequested: true };
}

/** `generation=N` (a whole number from 1), or undefined for the run's current generation. */
function parseGeneration(params: URLSearchParams): number | undefined {
  const text = optional(params.get("generation"));
  if (text === undefined) return undefined;
  const generation = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(generation) || generation < 1) {
    throw new HttpError(400, `generation must be a whole number from 1 (got '${text}')`);
  }
  return generation;
}

/** The input a generation started with, from its run_started event, as plain JSON. */
function generationInput(history: readonly HistoryEvent[]): unknown {
  const first = history[0];
  return first?.type === "run_started" ? (toJsonSafe(first.input) ?? null) : null;
}

/** An earlier generation's log from event_archive: 404 when it is not kept, 422 for an unreadable event. */
async function earlierHistory(
  reader: RunReader,
  runId: string,
  generations: RunGenerations,
  generation: number,
): Promise<HistoryEvent[]> {
  try {
    return await readEarlierGeneration(reader, runId, generations, generation);
  } catch (error) {
    if (error instanceof GenerationNotFoundError) throw new HttpError(404, error.message);
    throw asHttpError(error);
  }
}

/** Runs an engine call, mapping the core's errors to HTTP statuses (its message is safe to show). */
async function act<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw asHttpError(error);
  }
}

/** The core's errors as HTTP statuses (their messages are safe to show); anything else unchanged. */
function asHttpError(error: unknown): unknown {
  if (!(error instanceof RepriseError)) return error;
  const status =
    error.code === "RUN_NOT_FOUND"
      ? 404
      : error.code === "RUN_FINISHED"
        ? 409
        : ["INVALID_ARGUMENT", "PAYLOAD_TOO_LARGE", "UNENCODABLE_VALUE"].includes(error.code)
          ? 400
          : // A damaged row or event: the message names the run and what to restore; other runs are fine.
            error.code === "CORRUPT_EVENT"
            ? 422
            : 500;
  return new HttpError(status, error.message);
}

function encodeCursor(cursor: RunPageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAtMs, cursor.id])).toString("base64url");
}

function decodeCursor(text: string | undefined): RunPageCursor | undefined {
  if (text === undefined) return undefined;
  try {
    const [createdAtMs, id] = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof createdAtMs === "number" && typeof id === "string") return { createdAtMs, id };
  } catch {
    // fall through to the error below
  }
  throw new HttpError(400, "bad page cursor; go back to the first page");
}

function optional(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === "" ? undefined : value;
}
