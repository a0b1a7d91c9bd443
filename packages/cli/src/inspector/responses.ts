// HTTP responses of the inspector: security headers on every one, JSON and text bodies, and typed HTTP errors.
// Never writes user data into HTML: runs and payloads leave the server only as JSON.
import type { ServerResponse } from "node:http";

/**
 * Headers sent with every response: no inline scripts or styles, no framing, no sniffing, no referrer, no caching.
 *
 * @example
 * res.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/plain" });
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
});

/**
 * An HTTP failure with a message for the user; the handler answers it as JSON (API) or text (pages).
 *
 * @example
 * throw new HttpError(404, "no run with id 'x'");
 */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.headers = headers;
  }
}

/**
 * Sends `body` as JSON.
 *
 * @example
 * sendJson(res, 200, { runs });
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/**
 * Sends a body with the given content type (HTML shell, script, stylesheet, plain-text error).
 *
 * @example
 * sendBody(res, 200, "text/plain; charset=utf-8", "ok");
 */
export function sendBody(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    "content-type": contentType,
    "content-length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}
