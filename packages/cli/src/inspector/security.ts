// Who may use the inspector: an access token (required off localhost), a Host check against DNS rebinding when
// there is no token, and CSRF protection for actions (a per-server secret header plus a same-origin check).
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "./responses.js";

/** Cookie that carries the access token after the first visit with `?token=`. */
export const TOKEN_COOKIE = "reprise_inspector_token";
/** Header that must carry the CSRF secret on every POST. */
export const CSRF_HEADER = "x-reprise-csrf";
/** Host names that reach only this machine. */
export const LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]", "::1"];

/** The access rules of one inspector. */
export interface AccessPolicy {
  /** When set, every request must carry it (Authorization: Bearer, the cookie, or ?token=). */
  readonly token: string | undefined;
  /** Without a token, requests must name one of these hosts (DNS-rebinding protection). */
  readonly allowedHosts: readonly string[];
  /** Secret embedded in the page and required on actions. */
  readonly csrfToken: string;
}

/**
 * What an access token must be: long, varied, and sendable as-is in a header, a cookie and a URL.
 *
 * @example
 * throw new UsageError(`--token ${tokenWeakness(token)}; it must be ${TOKEN_RULE}`);
 */
export const TOKEN_RULE = "at least 16 printable ASCII characters, no spaces, with at least 8 different characters";

/**
 * Why `token` is too weak to guard the inspector, or undefined when it is strong enough (see TOKEN_RULE).
 *
 * @example
 * tokenWeakness("                "); // "has spaces or characters that are not printable ASCII"
 * tokenWeakness(randomSecret()); // undefined
 */
export function tokenWeakness(token: string): string | undefined {
  if (token.trim() === "") return "is empty or only spaces";
  if (/[^\x21-\x7e]/.test(token)) return "has spaces or characters that are not printable ASCII";
  if (token.length < 16) return `is only ${token.length} characters long`;
  const distinct = new Set(token).size;
  if (distinct < 8) return `repeats too few characters (${distinct} different ones)`;
  return undefined;
}

/**
 * A fresh random secret (URL-safe), e.g. for `--token` or the CSRF token.
 *
 * @example
 * const token = randomSecret(); // "q3J4..."
 */
export function randomSecret(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * Checks the request against the policy. Returns the token when it came in the query string (the caller then
 * sets the cookie and redirects to a URL without it); throws HttpError 401/403 otherwise.
 *
 * @example
 * const fromQuery = authorize(req, url, policy);
 */
export function authorize(req: IncomingMessage, url: URL, policy: AccessPolicy): { tokenFromQuery: boolean } {
  if (policy.token === undefined) {
    const host = hostName(req.headers.host);
    if (host === undefined || !policy.allowedHosts.includes(host)) {
      throw new HttpError(
        403,
        `this inspector answers only requests for ${policy.allowedHosts.join(", ")}; to serve it to other hosts, ` +
          "give it an access token (reprise ui --token, or createInspectorHandler({ token }))",
      );
    }
    return { tokenFromQuery: false };
  }
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
  const cookie = readCookie(req.headers.cookie, TOKEN_COOKIE);
  const query = url.searchParams.get("token") ?? undefined;
  if (query !== undefined && sameSecret(query, policy.token)) return { tokenFromQuery: true };
  if (
    (bearer !== undefined && sameSecret(bearer, policy.token)) ||
    (cookie !== undefined && sameSecret(cookie, policy.token))
  ) {
    return { tokenFromQuery: false };
  }
  throw new HttpError(
    401,
    "this inspector needs its access token: open the URL that `reprise ui` printed (it ends in ?token=...), " +
      "or send Authorization: Bearer <token>",
  );
}

/**
 * Refuses a state-changing request that lacks the page's CSRF secret, comes from another origin, or is not JSON.
 *
 * @example
 * if (req.method === "POST") assertSameOriginAction(req, policy);
 */
export function assertSameOriginAction(req: IncomingMessage, policy: AccessPolicy): void {
  const csrf = req.headers[CSRF_HEADER];
  if (typeof csrf !== "string" || !sameSecret(csrf, policy.csrfToken)) {
    throw new HttpError(403, `missing or wrong ${CSRF_HEADER} header; reload the inspector page and try again`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw new HttpError(403, "the Origin header is not a URL");
    }
    if (originHost !== req.headers.host) throw new HttpError(403, `requests from ${origin} may not act on runs here`);
  } else if (origin === "null") {
    throw new HttpError(403, "requests from an opaque origin may not act on runs here");
  }
}

/**
 * The Set-Cookie value that stores the access token for later requests (HttpOnly, SameSite=Strict).
 *
 * @example
 * res.setHeader("set-cookie", tokenCookie(token, "/"));
 */
export function tokenCookie(token: string, path: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=${path}`;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function hostName(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) {
      try {
        return decodeURIComponent(value.join("="));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
