// One page of a run's log for the inspector: the events after a seq, bounded by count and bytes, the timeline
// items those events begin, and the time range they cover (what the picture is scaled to). Pure: never reads a store.
import type { HistoryEvent } from "@reprise/core";
import { lanesFromLog, type BranchLanes } from "../branch-lanes.js";
import { toJsonSafe } from "../json-safe.js";
import { eventToJson } from "../run-json.js";
import { laneRows } from "../timeline-text.js";
import type { Timeline, TimelineItem } from "../timeline.js";
import { HttpError } from "./responses.js";

/**
 * Events per page unless the client asks for another number (`limit`), at most MAX_EVENT_PAGE_SIZE; a page
 * also stops early once its events' JSON passes MAX_EVENT_PAGE_BYTES (it always holds at least one event).
 *
 * @example
 * fetch(`/api/runs/${id}?afterSeq=${DEFAULT_EVENT_PAGE_SIZE}`); // the second page
 */
export const DEFAULT_EVENT_PAGE_SIZE = 250;
/** Most events a client may ask for in one page. */
export const MAX_EVENT_PAGE_SIZE = 1000;
/** Most bytes of event JSON in one page. */
export const MAX_EVENT_PAGE_BYTES = 512 * 1024;

/** Which page: the events with seq > `afterSeq` (or the last `limit` events), at most `limit` of them. */
export interface EventPageRequest {
  readonly afterSeq: number | "latest";
  readonly limit: number;
}

/** Where a page sits in the log; `next`, `previous` and `latest` are `afterSeq` values to ask for. */
export interface EventPageInfo {
  readonly afterSeq: number;
  readonly limit: number;
  /** Seq of the page's first and last event (null for an empty page). */
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly totalEvents: number;
  /** Null on the last page: every event up to the end of the log has been sent. */
  readonly next: number | null;
  /** Null on the first page. */
  readonly previous: number | null;
  /** Where the last page starts. */
  readonly latest: number;
}

/** What the run-detail answer carries for one page. */
export interface EventPage {
  readonly events: Record<string, unknown>[];
  /**
   * For each event of the page, in order: the command it belongs to (`commandSeq`, its own seq for a command's
   * first event, null for run-level events) and that command's branch path ("" for the workflow itself, null
   * when the log alone cannot tell).
   */
  readonly places: { readonly seq: number; readonly commandSeq: number | null; readonly path: string | null }[];
  /**
   * The run's timeline with only the items this page's events begin, in lane order (a group's items follow it,
   * branch by branch, each with `depth` and its lane's `laneLabel`), and `view`: the time range they span.
   */
  readonly timeline: {
    readonly startMs: number;
    readonly endMs: number;
    readonly live: boolean;
    readonly view: { readonly startMs: number; readonly endMs: number };
    readonly items: unknown;
  };
  readonly page: EventPageInfo;
}

/**
 * Reads `afterSeq` / `latest` / `limit` from a query string; throws HttpError 400 for anything else.
 *
 * @example
 * parseEventPageRequest(new URLSearchParams("afterSeq=250")); // { afterSeq: 250, limit: 250 }
 */
export function parseEventPageRequest(params: URLSearchParams): EventPageRequest {
  const limit = Number(params.get("limit") ?? DEFAULT_EVENT_PAGE_SIZE);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_EVENT_PAGE_SIZE) {
    throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_EVENT_PAGE_SIZE}`);
  }
  if (params.get("latest") === "1") return { afterSeq: "latest", limit };
  const afterSeq = Number(params.get("afterSeq") ?? 0);
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) {
    throw new HttpError(400, "afterSeq must be a whole number of 0 or more (the seq of the last event already seen)");
  }
  return { afterSeq, limit };
}

/**
 * Cuts one page out of a run's history and timeline. Pages follow each other by `next`, so walking them from
 * `afterSeq: 0` yields every event and every timeline item exactly once.
 *
 * @example
 * const { events, page } = eventPage(history, buildTimeline(history, Date.now(), run), { afterSeq: 0, limit: 250 });
 */
export function eventPage(
  history: readonly HistoryEvent[],
  timeline: Timeline,
  request: EventPageRequest,
  lanes: BranchLanes = lanesFromLog(history),
): EventPage {
  const totalEvents = history.length;
  const latest = Math.max(0, totalEvents - request.limit);
  const afterSeq = request.afterSeq === "latest" ? latest : Math.min(request.afterSeq, totalEvents);
  const events: Record<string, unknown>[] = [];
  let bytes = 0;
  // Seqs run from 1 without gaps, so the event with seq n sits at index n - 1.
  for (let index = afterSeq; index < totalEvents && events.length < request.limit; index++) {
    const json = eventToJson(history[index] as HistoryEvent);
    bytes += Buffer.byteLength(JSON.stringify(json));
    if (bytes > MAX_EVENT_PAGE_BYTES && events.length > 0) break;
    events.push(json);
  }
  const firstSeq = events.length === 0 ? null : afterSeq + 1;
  const lastSeq = events.length === 0 ? null : afterSeq + events.length;
  const upToSeq = lastSeq ?? afterSeq;
  const isLast = upToSeq >= totalEvents;
  const items = timeline.items.filter((item) => item.seq > afterSeq && (isLast || item.seq <= upToSeq));
  // Only items under a group get `depth` and `laneLabel`: the others keep the shape they always had.
  const rows = laneRows(items).map(({ item, depth, label }) =>
    depth === 0 && label === undefined ? item : { ...item, depth, laneLabel: label },
  );
  return {
    events,
    places: events.map(({ seq }) => {
      const place = lanes.places[seq as number];
      return { seq: seq as number, commandSeq: place?.commandSeq ?? null, path: place?.path ?? null };
    }),
    timeline: {
      startMs: timeline.startMs,
      endMs: timeline.endMs,
      live: timeline.live,
      view: viewOf(history, timeline, items, afterSeq, upToSeq, isLast),
      items: toJsonSafe(rows),
    },
    page: {
      afterSeq,
      limit: request.limit,
      firstSeq,
      lastSeq,
      totalEvents,
      next: isLast ? null : upToSeq,
      previous: afterSeq === 0 ? null : Math.max(0, afterSeq - request.limit),
      latest,
    },
  };
}

/** From the event before the page (where its first step began) to its last event, or the timeline's end on the last page. */
function viewOf(
  history: readonly HistoryEvent[],
  timeline: Timeline,
  items: readonly TimelineItem[],
  afterSeq: number,
  upToSeq: number,
  isLast: boolean,
): { startMs: number; endMs: number } {
  const startMs = afterSeq === 0 ? timeline.startMs : (history[afterSeq - 1]?.atMs ?? timeline.startMs);
  let endMs = isLast ? timeline.endMs : (history[upToSeq - 1]?.atMs ?? startMs);
  // Spans that begin on this page and end later (a long sleep, a step retried across pages) are drawn whole.
  for (const item of items) {
    const end =
      item.kind === "step" || item.kind === "wait"
        ? item.endMs
        : item.kind === "sleep"
          ? (item.firedAtMs ?? item.withdrawnAtMs)
          : item.kind === "blocked"
            ? item.endedAtMs
            : undefined;
    if (end !== undefined && end > endMs) endMs = Math.min(end, timeline.endMs);
  }
  return { startMs, endMs: Math.max(endMs, startMs) };
}
