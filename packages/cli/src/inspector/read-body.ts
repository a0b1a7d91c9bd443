// Reads a request body as JSON with a size limit: a declared or streamed body over the limit is refused with 413.
// The limit applies before parsing, so a huge body never sits in memory.
import type { IncomingMessage } from "node:http";
import { HttpError } from "./responses.js";

/** Default largest request body the inspector accepts: 256 KiB. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/**
 * Reads and parses a JSON object body of at most `limitBytes`; throws HttpError 413, 415 or 400.
 *
 * @example
 * const body = await readJsonBody(req, DEFAULT_MAX_BODY_BYTES);
 */
export async function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<Record<string, unknown>> {
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/json\b/i.test(type)) throw new HttpError(415, "send the request body as application/json");
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) throw tooLarge(req, limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw tooLarge(req, limitBytes);
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpError(400, "the request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "the request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

function tooLarge(req: IncomingMessage, limitBytes: number): HttpError {
  // Stop reading: the rest of the body is discarded and the connection closed after the answer.
  req.pause();
  return new HttpError(413, `the request body is larger than ${limitBytes} bytes`, { connection: "close" });
}
