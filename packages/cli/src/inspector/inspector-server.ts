// `reprise ui`'s server: the inspector handler on node:http, bound to 127.0.0.1 unless told otherwise.
// Refuses to listen beyond loopback without a strong access token; bounds slow clients and connections; closes
// connections and the store on stop.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { UsageError } from "../errors.js";
import { createInspectorHandler, type InspectorOptions } from "./handler.js";
import { LOOPBACK_HOSTS, TOKEN_RULE, tokenWeakness } from "./security.js";
import { createLimitedServer, type InspectorServerLimits } from "./server-limits.js";

/** Options of `startInspectorServer`. */
export interface InspectorServerOptions {
  /** A SQLite store file, opened (and closed on stop) by the server; or give `store`. */
  readonly filename?: string;
  /** An open store of any kind (SqliteStore, PostgresStore); the server reads through it and leaves it open. */
  readonly store?: InspectorOptions["store"];
  /** Default 127.0.0.1. Any other host requires `token`. */
  readonly host?: string;
  /** Default 4318; 0 picks a free port. */
  readonly port?: number;
  readonly token?: string;
  /** Workflow code to place parallel branches by replay (see InspectorOptions.workflows). */
  readonly workflows?: InspectorOptions["workflows"];
  /** Timeouts and the connection cap; defaults in DEFAULT_INSPECTOR_SERVER_LIMITS (docs/operations.md). */
  readonly limits?: Partial<InspectorServerLimits>;
}

/** A running inspector server. */
export interface InspectorServer {
  /** Where to open it; includes `?token=` when a token is required. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the inspector over HTTP until `close()`.
 *
 * @example
 * const server = await startInspectorServer({ filename: "reprise.db", port: 4318 });
 * console.log(`open ${server.url}`);
 */
export async function startInspectorServer(options: InspectorServerOptions): Promise<InspectorServer> {
  const host = options.host ?? "127.0.0.1";
  const weakness = options.token === undefined ? undefined : tokenWeakness(options.token);
  if (weakness !== undefined) {
    throw new UsageError(
      `the access token given with --token (or REPRISE_UI_TOKEN) ${weakness}; it must be ${TOKEN_RULE}, ` +
        `e.g. --token $(openssl rand -hex 16)`,
    );
  }
  const loopback = LOOPBACK_HOSTS.includes(host);
  if (!loopback && options.token === undefined) {
    throw new UsageError(
      `listening on ${host} exposes your runs beyond this machine; give an access token with --token <secret> ` +
        `(or REPRISE_UI_TOKEN), e.g. --token $(openssl rand -hex 16)`,
    );
  }
  const handler = await createInspectorHandler({
    filename: options.filename,
    store: options.store,
    token: options.token,
    workflows: options.workflows,
  });
  let server: Server;
  try {
    server = createLimitedServer(handler, options.limits);
  } catch (error) {
    await handler.close();
    throw error;
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 4318, host, () => resolve());
    });
  } catch (error) {
    await handler.close();
    const code = (error as { code?: unknown }).code;
    if (code === "EADDRINUSE")
      throw new UsageError(`port ${options.port} on ${host} is in use; pick another with --port`);
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  // A wildcard address is not a place to browse to; the machine's name is the useful one to print.
  const shownHost = host === "0.0.0.0" || host === "::" ? hostname() : host.includes(":") ? `[${host}]` : host;
  const token = options.token === undefined ? "" : `?token=${encodeURIComponent(options.token)}`;
  return {
    url: `http://${shownHost}:${port}/${token}`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await handler.close();
    },
  };
}
