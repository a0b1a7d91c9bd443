// createInspectorHandler: the web inspector as a node:http request handler that an app can mount.
// Routes requests, applies the access policy to each, and owns the connections it opened; no HTML contains data.
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  createEngine,
  InvalidArgumentError,
  type Engine,
  type RunReader,
  type Store,
  type WorkflowDefinition,
} from "@reprise/core";
import { SqliteRunReader, SqliteStore } from "@reprise/store-sqlite";
import { WorkflowCatalog, type AnyWorkflow } from "../workflow-catalog.js";
import { loadAssets, renderShell } from "./assets.js";
import { cancelRun, getRunDetail, listRuns, runVersion, sendSignal, type InspectorBackend } from "./inspector-api.js";
import { listSchedules } from "./schedules-api.js";
import { DEFAULT_MAX_BODY_BYTES, readJsonBody } from "./read-body.js";
import { HttpError, sendBody, sendJson, SECURITY_HEADERS } from "./responses.js";
import {
  assertSameOriginAction,
  authorize,
  LOOPBACK_HOSTS,
  randomSecret,
  TOKEN_RULE,
  tokenCookie,
  tokenWeakness,
  type AccessPolicy,
} from "./security.js";

/**
 * Options of `createInspectorHandler`. Give `filename` (the handler opens the SQLite store) or `store` (yours,
 * of any kind, left open).
 *
 * @example
 * await createInspectorHandler({ filename: "reprise.db", basePath: "/reprise", token: process.env.INSPECTOR_TOKEN });
 * await createInspectorHandler({ store: postgresStore, basePath: "/reprise", token: process.env.INSPECTOR_TOKEN });
 */
export interface InspectorOptions {
  /** Path of a Reprise SQLite file. */
  readonly filename?: string;
  /**
   * An open store that is also a RunReader (SqliteStore, PostgresStore), e.g. your app's; the handler reads and
   * acts through it and never closes it.
   */
  readonly store?: Store & RunReader;
  /** Access token every request must carry. Without one, only requests for localhost are answered. */
  readonly token?: string;
  /** Where the handler is mounted, e.g. "/reprise" (default: the root). */
  readonly basePath?: string;
  /** Largest request body accepted. Default 256 KiB. */
  readonly maxBodyBytes?: number;
  /** Host names accepted without a token. Default: localhost, 127.0.0.1 and [::1]. */
  readonly allowedHosts?: readonly string[];
  /**
   * Workflow definitions whose code places the commands of parallel branches on their lanes exactly: a run of
   * one of them is replayed in memory (nothing executes) with the definition of the version it started on, so
   * several versions of a name may be given. Without them, lanes come from the log alone.
   */
  readonly workflows?: readonly WorkflowDefinition<never, unknown>[];
}

/** A node:http request handler that serves the inspector; `close()` releases what it opened. */
export interface InspectorHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

/**
 * Creates the web inspector as a request handler for `http.createServer` or an app that mounts handlers.
 *
 * @example
 * import { createServer } from "node:http";
 * const inspector = await createInspectorHandler({ filename: "reprise.db" });
 * createServer(inspector).listen(4318, "127.0.0.1");
 * // in an Express app, under a prefix and behind a token:
 * app.use("/reprise", await createInspectorHandler({ store, basePath: "/reprise", token: process.env.TOKEN }));
 */
export async function createInspectorHandler(options: InspectorOptions): Promise<InspectorHandler> {
  const basePath = normaliseBasePath(options.basePath ?? "");
  const policy: AccessPolicy = {
    token: validToken(options.token),
    allowedHosts: options.allowedHosts ?? LOOPBACK_HOSTS,
    csrfToken: randomSecret(),
  };
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const assets = loadAssets();
  // Before anything is opened: two different definitions of one name and version are refused here.
  const workflows = new WorkflowCatalog((options.workflows ?? []) as readonly AnyWorkflow[]);
  const opened = await openBackend(options);
  const backend: InspectorBackend = { reader: opened.reader, engine: opened.engine, workflows };
  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    route(req, res).catch((error: unknown) => fail(req, res, error));
  }) as InspectorHandler;
  handler.close = () => opened.close();
  return handler;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://inspector.invalid");
    const { tokenFromQuery } = authorize(req, url, policy);
    const path = stripBase(url.pathname, basePath);
    const method = req.method ?? "GET";
    if (tokenFromQuery && method === "GET" && !path.startsWith("/api/")) {
      // Move the token from the URL (history, logs, screenshots) into an HttpOnly cookie.
      url.searchParams.delete("token");
      const location = `${basePath}${path}${url.search}`;
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        location,
        "set-cookie": tokenCookie(policy.token ?? "", basePath || "/"),
      });
      return void res.end();
    }
    if (method === "POST") return post(req, res, path);
    if (method !== "GET" && method !== "HEAD")
      throw new HttpError(405, `${method} is not supported here`, { allow: "GET, POST" });
    if (path === "/" || path === "") {
      return sendBody(res, 200, "text/html; charset=utf-8", renderShell(assets, basePath, policy.csrfToken));
    }
    if (path === "/assets/inspector.js") return sendBody(res, 200, "text/javascript; charset=utf-8", assets.script);
    if (path === "/assets/inspector.css") return sendBody(res, 200, "text/css; charset=utf-8", assets.stylesheet);
    if (path === "/api/runs") return sendJson(res, 200, await listRuns(backend, url.searchParams));
    if (path === "/api/schedules") return sendJson(res, 200, await listSchedules(backend.reader, url.searchParams));
    const runId = runPath(path, "");
    if (runId !== undefined) {
      const version = await runVersion(backend, runId, url.searchParams);
      if (version !== undefined && req.headers["if-none-match"] === version) {
        res.writeHead(304, { ...SECURITY_HEADERS, etag: version });
        return void res.end();
      }
      return sendJson(
        res,
        200,
        await getRunDetail(backend, runId, url.searchParams),
        version === undefined ? {} : { etag: version },
      );
    }
    throw new HttpError(404, `nothing at ${path}`);
  }

  async function post(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    assertSameOriginAction(req, policy);
    const signalRun = runPath(path, "/signal");
    const cancelRunId = runPath(path, "/cancel");
    if (signalRun === undefined && cancelRunId === undefined) throw new HttpError(404, `nothing to POST at ${path}`);
    const body = await readJsonBody(req, maxBodyBytes);
    if (signalRun !== undefined) return sendJson(res, 200, await sendSignal(backend, signalRun, body));
    return sendJson(res, 200, await cancelRun(backend, cancelRunId as string, body));
  }
}

/** Answers an error: HttpErrors with their status, anything else as 500 without internals. */
function fail(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof HttpError ? error.message : "internal error; see the server's log";
  if (!(error instanceof HttpError)) console.error("[reprise inspector]", error);
  if (res.headersSent) return void res.destroy();
  const headers = error instanceof HttpError ? { ...error.headers } : {};
  const wantsJson = (req.url ?? "").includes("/api/") || req.method === "POST";
  if (wantsJson) sendJson(res, status, { error: message }, headers);
  else sendBody(res, status, "text/plain; charset=utf-8", `${message}\n`, headers);
}

/** `/api/runs/<id><suffix>` → the decoded id, else undefined. Ids may contain "/" (sent as %2F). */
function runPath(path: string, suffix: string): string | undefined {
  const prefix = "/api/runs/";
  if (!path.startsWith(prefix) || !path.endsWith(suffix)) return undefined;
  const encoded = path.slice(prefix.length, path.length - suffix.length);
  if (encoded === "" || encoded.includes("/")) return undefined;
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, "bad run id in the URL");
  }
}

async function openBackend(
  options: InspectorOptions,
): Promise<{ reader: RunReader; engine: Engine; close(): Promise<void> }> {
  if ((options.filename === undefined) === (options.store === undefined)) {
    throw new InvalidArgumentError("createInspectorHandler() needs exactly one of { filename } or { store }.");
  }
  let store = options.store;
  if (store === undefined) {
    const filename = options.filename as string;
    if (filename === ":memory:") {
      throw new InvalidArgumentError(
        "createInspectorHandler({ filename }) needs a store file; for an in-memory store, pass { store } instead.",
      );
    }
    // Checked read-only first, so that a file that is not a Reprise store of this version is never changed.
    await (await SqliteRunReader.open({ filename })).close();
    store = await SqliteStore.open({ filename });
  }
  const ownStore = options.store === undefined ? store : undefined;
  const engine = createEngine({ store, workflows: [], pollIntervalMs: Number.POSITIVE_INFINITY });
  return {
    reader: store,
    engine,
    async close() {
      await engine.close();
      await ownStore?.close();
    },
  };
}

function normaliseBasePath(basePath: string): string {
  if (basePath === "" || basePath === "/") return "";
  if (!basePath.startsWith("/") || /[?#"'<>\s]/.test(basePath)) {
    throw new InvalidArgumentError(
      `createInspectorHandler({ basePath }) must be a path like "/reprise" (got ${JSON.stringify(basePath)}).`,
    );
  }
  return basePath.replace(/\/+$/, "");
}

function stripBase(pathname: string, basePath: string): string {
  // Apps that mount the handler under a prefix may or may not strip it before calling us (Express does).
  if (basePath !== "" && (pathname === basePath || pathname.startsWith(`${basePath}/`))) {
    return pathname.slice(basePath.length) || "/";
  }
  return pathname;
}

function validToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const weakness = tokenWeakness(token);
  if (weakness !== undefined) {
    throw new InvalidArgumentError(
      `The inspector token ${weakness}; it must be ${TOKEN_RULE}. Generate one with \`openssl rand -hex 16\`.`,
    );
  }
  return token;
}
