// The inspector's JSON API: run pages with counts, one run with a page of its events and timeline, signal and cancel.
// Reads pages through read-only queries and everything else through a client engine (the public API).
import { RUN_STATUSES, RepriseError, type Engine, type RunStatus, type WorkflowDefinition } from "@reprise/core";
import { JsonInputError, parseJson } from "../json-input.js";
import { lanesFromLog, lanesFromReplay } from "../branch-lanes.js";
import { runToJson } from "../run-json.js";
import type { PageCursor, RunQueries } from "../run-queries.js";
import { buildTimeline } from "../timeline.js";
import { describeWait } from "../timeline-text.js";
import { eventPage, parseEventPageRequest } from "./event-page.js";
import { HttpError } from "./responses.js";

/** Runs per page unless the client asks for fewer or more (at most 200). */
const DEFAULT_PAGE_SIZE = 50;
/** What the API reads and acts through. */
export interface InspectorBackend {
  readonly queries: RunQueries;
  readonly engine: Engine;
  /** Workflow code by name, to place parallel branches by replay; absent ones are placed from the log alone. */
  readonly workflows?: ReadonlyMap<string, WorkflowDefinition<never, unknown>>;
}

/**
 * GET api/runs: a page of runs, counts per status and the workflow names, for the list view.
 *
 * @example
 * listRuns(backend, new URLSearchParams("status=waiting&limit=20"));
 */
export function listRuns(backend: InspectorBackend, params: URLSearchParams): Record<string, unknown> {
  const status = optional(params.get("status"));
  if (status !== undefined && !RUN_STATUSES.includes(status as RunStatus)) {
    throw new HttpError(400, `unknown status '${status}'; use one of ${RUN_STATUSES.join(", ")}`);
  }
  const limit = Number(params.get("limit") ?? DEFAULT_PAGE_SIZE);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 200) throw new HttpError(400, "limit must be from 1 to 200");
  const workflow = optional(params.get("workflow"));
  const { queries } = backend;
  return queries.snapshot(() => {
    const page = queries.page({
      status: status as RunStatus | undefined,
      workflow,
      search: optional(params.get("q")),
      limit,
      after: decodeCursor(optional(params.get("cursor"))),
    });
    return {
      runs: page.runs,
      next: page.next === undefined ? null : encodeCursor(page.next),
      counts: queries.countByStatus(workflow),
      workflows: queries.workflowNames(),
      nowMs: Date.now(),
    };
  });
}

/**
 * GET api/runs/:id: the run, what it waits for, and one page of its events with the timeline items they begin.
 * Query: `afterSeq` (default 0) or `latest=1` for the last page, and `limit` (see event-page.ts).
 *
 * @example
 * const detail = await getRunDetail(backend, "order-1001", new URLSearchParams("afterSeq=250&limit=250"));
 */
export async function getRunDetail(
  backend: InspectorBackend,
  runId: string,
  params: URLSearchParams = new URLSearchParams(),
): Promise<Record<string, unknown>> {
  const request = parseEventPageRequest(params);
  const run = await act(() => backend.engine.getRun(runId));
  if (run === undefined) throw new HttpError(404, `no run with id '${runId}'`);
  const history = await act(() => backend.engine.history(runId));
  const nowMs = Date.now();
  const definition = backend.workflows?.get(run.workflow);
  const lanes = definition === undefined ? lanesFromLog(history) : lanesFromReplay(runId, history, definition);
  const page = eventPage(history, buildTimeline(history, nowMs, run, lanes), request, lanes);
  return {
    run: runToJson(run),
    waitsFor: describeWait(run, nowMs) ?? null,
    timeline: page.timeline,
    events: page.events,
    places: page.places,
    page: page.page,
    nowMs,
  };
}

/**
 * The ETag of a run's detail: changes whenever the run's row changes (a new event, status or cancel request).
 *
 * @example
 * if (req.headers["if-none-match"] === await runVersion(backend, id)) res.writeHead(304).end();
 */
export async function runVersion(backend: InspectorBackend, runId: string): Promise<string | undefined> {
  const run = await act(() => backend.engine.getRun(runId));
  if (run === undefined) return undefined;
  // A signal that is stored but not consumed changes neither the log nor the row: count the inbox as well.
  return `"${run.lastSeq}-${run.updatedAtMs}-${run.status}-${run.pendingSignals?.length ?? 0}"`;
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

/** Runs an engine call, mapping the core's errors to HTTP statuses (its message is safe to show). */
async function act<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof RepriseError)) throw error;
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
    throw new HttpError(status, error.message);
  }
}

function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAtMs, cursor.id])).toString("base64url");
}

function decodeCursor(text: string | undefined): PageCursor | undefined {
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
