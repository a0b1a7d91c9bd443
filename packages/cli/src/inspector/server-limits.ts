// How long `reprise ui`'s HTTP server waits for a slow or idle client, and how many connections it keeps at once.
// Only the server that `startInspectorServer` creates; a handler mounted in an app lives under that app's limits.
import { createServer, type RequestListener, type Server } from "node:http";
import { InvalidArgumentError } from "@reprise/core";

/**
 * Time limits and the connection cap of the inspector's own server.
 *
 * @example
 * const limits: Partial<InspectorServerLimits> = { requestTimeoutMs: 10_000, maxConnections: 16 };
 */
export interface InspectorServerLimits {
  /** All request headers must arrive within this time of the connection's first byte, else 408 and close. */
  readonly headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this time, else 408 and close. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long without a new request. */
  readonly keepAliveTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Connections open at once; further ones are closed as soon as they are accepted. */
  readonly maxConnections: number;
}

/**
 * Limits for a tool on a developer's machine or a small team's VM: a browser opens at most a handful of
 * connections and sends small requests, so anything slower than this is a stuck or hostile client.
 *
 * @example
 * await startInspectorServer({ filename, limits: { ...DEFAULT_INSPECTOR_SERVER_LIMITS, maxConnections: 16 } });
 */
export const DEFAULT_INSPECTOR_SERVER_LIMITS: InspectorServerLimits = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  maxConnections: 64,
});

/**
 * A node:http server for `handler` with the given limits (defaults for those left out).
 *
 * @example
 * const server = createLimitedServer(handler, { headersTimeoutMs: 5_000 });
 * server.listen(4318, "127.0.0.1");
 */
export function createLimitedServer(handler: RequestListener, overrides: Partial<InspectorServerLimits> = {}): Server {
  const limits = { ...DEFAULT_INSPECTOR_SERVER_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new InvalidArgumentError(
        `Inspector server limit ${name} must be a whole number of 1 or more (got ${value}).`,
      );
    }
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new InvalidArgumentError(
      `Inspector server limit headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed requestTimeoutMs ` +
        `(${limits.requestTimeoutMs}): the headers are part of the request.`,
    );
  }
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above on this period (default 30 s, which let a slow client stay 85 s).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    handler,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  server.setTimeout(limits.idleTimeoutMs, (socket) => socket.destroy());
  return server;
}
