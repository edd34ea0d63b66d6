// Internal to src/app.ts (only it imports this): the answers the API gives, and the errors
// that stand for them. A client's mistake is an HttpError that names it; a storage failure
// is translated to what the client can do (lib/storage-errors.ts).
import { FastResponse } from "srvx";
import {
  classify,
  DiskFullError,
  diskFullMessage,
  FencedError,
  OutcomeUnknownError,
  OverloadedError,
} from "../lib/storage-errors.ts";

/** An error the client caused, answered with its status and a message that names it. */
export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/**
 * The client stopped sending its request part way (it closed the connection, or its
 * chunked body was malformed). Its mistake, not the server's: one short log line, and a
 * 400 that it will most likely never read.
 */
export class ClientAbortError extends HttpError {
  constructor(cause: string) {
    super(400, `the request body was cut short (${cause}); send the whole body`);
  }
}

/** A JSON response from text that is already JSON. */
export function jsonText(
  status: number,
  text: string,
  headers: Record<string, string> = {},
): Response {
  return new FastResponse(text, {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return jsonText(status, JSON.stringify(body), headers);
}

export function methodNotAllowed(allow: string): never {
  throw new HttpError(405, `method not allowed; this path accepts ${allow}`, { allow });
}

/**
 * The answer to a request that threw. A client's mistake names itself; a storage failure
 * says what the client can do (lib/storage-errors.ts); anything else is logged with its
 * stack and answered 500 without one.
 */
export function failureResponse(err: unknown): Response | undefined {
  if (err instanceof HttpError) return json(err.status, { error: err.message }, err.headers);
  if (err instanceof OverloadedError) {
    return json(503, { error: err.message }, { "retry-after": String(err.retryAfterS) });
  }
  if (err instanceof DiskFullError) return json(507, { error: err.message });
  if (err instanceof FencedError) return json(503, { error: err.message });
  if (err instanceof OutcomeUnknownError) {
    const { location } = err;
    const where: Record<string, string> = location ? { location } : {};
    const look = location ? `GET ${location} tells` : "look it up";
    const error = `${err.message}; ${look} before you send it again`;
    return json(503, { error, outcome: "unknown", ...where }, { "retry-after": "1", ...where });
  }
  // An engine's own error for a full disk (SQLite's SQLITE_FULL, PostgreSQL's 53100): the
  // engine rolled the write back, so it is a refusal like any other.
  if (classify(err) === "full") return json(507, { error: diskFullMessage("the record") });
  return undefined;
}
