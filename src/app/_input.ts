// Internal to src/app.ts (only it imports this): what a request may carry, checked. Bodies
// are read from the Node request underneath srvx (lib/http/http-body.ts says why), decoded as
// strict UTF-8 and held to the schemas below; anything else is an HttpError naming it.
import { isUtf8 } from "node:buffer";
import type { IncomingMessage } from "node:http";
import * as z from "zod";
import { BodyTooLargeError, readNodeBody } from "../lib/http/http-body.ts";
import { isId } from "../lib/user.ts";
import { ClientAbortError, HttpError } from "./_answer.ts";

/** Bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 64 * 1024;
export const NAME_MAX_CHARS = 200;
/** The longest address SMTP can carry (RFC 5321). */
export const EMAIL_MAX_CHARS = 254;

export const EXAMPLE_BODY = '{"name":"Ada Lovelace","email":"ada@example.com"}';
export const FIND_USAGE = "look users up with GET /users?email=<address>";

/**
 * A string field. Lone UTF-16 surrogates are refused: they are not text, and SQLite (which
 * stores UTF-8) would silently replace them, so the record would not round-trip. The NUL
 * character is refused too: PostgreSQL's text type cannot hold it, and every approach must
 * accept and refuse the same bodies.
 */
const requiredString = (field: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined ? `${field} is required` : `${field} must be a string`,
    })
    .refine((s) => s.isWellFormed(), { error: `${field} must be valid Unicode text` })
    .refine((s) => !s.includes("\0"), { error: `${field} must not contain the NUL character` });

/**
 * The body of POST /users. Strict: an unknown field is an error rather than silently
 * dropped, so a typo such as "mail" is caught instead of creating a user without an email.
 * Values are stored exactly as sent, never trimmed or normalised.
 */
export const NewUserBody = z.strictObject(
  {
    name: requiredString("name")
      .max(NAME_MAX_CHARS, { error: `name must be at most ${NAME_MAX_CHARS} characters` })
      .refine((s) => s.trim().length > 0, { error: "name must not be blank" }),
    email: requiredString("email")
      .max(EMAIL_MAX_CHARS, { error: `email must be at most ${EMAIL_MAX_CHARS} characters` })
      .refine((s) => s.includes("@"), { error: "email must contain @" }),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown field ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}; only name and email are accepted`
        : undefined,
  },
);

/**
 * The body of POST /users checked by hand, for the common case: exactly the rules of
 * NewUserBody, answered without zod when the body passes them all. A body that fails any
 * goes to NewUserBody, which then names what is wrong, so the messages are zod's. Measured in
 * an A/B of srvx with only the body read and parse: zod's parse of a good body cost about
 * 2 µs a request, a tenth of `null`'s whole POST.
 */
export function newUserFields(value: Record<string, unknown>): { name: string; email: string } {
  const { name, email } = value;
  if (
    typeof name === "string" &&
    typeof email === "string" &&
    Object.keys(value).length === 2 &&
    name.length <= NAME_MAX_CHARS &&
    email.length <= EMAIL_MAX_CHARS &&
    email.includes("@") &&
    name.trim().length > 0 &&
    name.isWellFormed() &&
    email.isWellFormed() &&
    !name.includes("\0") &&
    !email.includes("\0")
  )
    return { name, email };
  const parsed = NewUserBody.safeParse(value);
  if (!parsed.success)
    throw new HttpError(400, parsed.error.issues.map((issue) => issue.message).join("; "));
  return parsed.data;
}

/** Lines in one order, and units on one line: beyond these an order is a mistake, not a purchase. */
export const MAX_ORDER_ITEMS = 100;
export const MAX_QUANTITY = 1_000_000;
export const EXAMPLE_ORDER =
  '{"user_id":"<a user id>","items":[{"product_id":"<a product id>","quantity":2}]}';

const idField = (field: string) =>
  z
    .string({
      error: (i) => (i.input === undefined ? `${field} is required` : `${field} must be a string`),
    })
    .refine(isId, {
      error: `${field} must be an id (a UUID such as 0b7c2f4e-9d1a-4c3b-8e2f-5a6b7c8d9e0f)`,
    });

/**
 * The body of POST /orders. A product may appear on one line only: two lines for the same
 * product would be checked against the stock separately, so the rule is to put the whole
 * quantity on one line.
 */
export const NewOrderBody = z.strictObject({
  user_id: idField("user_id"),
  items: z
    .array(
      z.strictObject({
        product_id: idField("product_id"),
        quantity: z
          .number({ error: "quantity must be a number" })
          .int({ error: "quantity must be a whole number" })
          .positive({ error: "quantity must be at least 1" })
          .max(MAX_QUANTITY, { error: `quantity must be at most ${MAX_QUANTITY}` }),
      }),
      { error: "items must be an array of {product_id, quantity}" },
    )
    .min(1, { error: "items must list at least one product" })
    .max(MAX_ORDER_ITEMS, { error: `items must list at most ${MAX_ORDER_ITEMS} products` })
    .refine((items) => new Set(items.map((i) => i.product_id)).size === items.length, {
      error: "items must not list a product twice; put its whole quantity on one line",
    }),
});

/**
 * The body as text, or undefined when its bytes are not UTF-8 (overlong forms, encoded
 * surrogates, stray bytes). A leading byte-order mark is dropped, as a UTF-8 decoder does.
 * Checked with buffer.isUtf8, then decoded, rather than by a fatal TextDecoder, whose
 * decode of a small body costs more (see readJsonObject's measurement).
 */
function utf8Text(bytes: Uint8Array): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  return buf.toString("utf8", bom);
}

const tooLarge = () => new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);

/**
 * The request's body bytes: from the Node request underneath srvx where there is one (see
 * lib/http/http-body.ts for why), or through the web Request's own reader.
 */
function readBody(req: Request): Promise<Uint8Array> {
  const node = nodeRequest(req);
  if (node) return readNodeBody(node, MAX_BODY_BYTES);
  return req.arrayBuffer().then((buffer) => {
    if (buffer.byteLength > MAX_BODY_BYTES) throw tooLarge();
    return new Uint8Array(buffer);
  });
}

/** A failed body read as the client's mistake that it is. */
function bodyError(err: unknown): never {
  if (err instanceof BodyTooLargeError) throw tooLarge();
  if (err instanceof HttpError) throw err;
  // Anything else is the client's: it went away mid-body, or sent a malformed chunk.
  throw new ClientAbortError((err as Error).message);
}

/** The Node request underneath srvx's, when it runs on node:http. */
export function nodeRequest(req: Request): IncomingMessage | undefined {
  return (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
}

/**
 * A request header, from the Node request underneath srvx when there is one: srvx builds a
 * web Headers object from Node's on its first use.
 */
export function headerOf(req: Request, name: string): string | undefined {
  const node = nodeRequest(req);
  if (node) return node.headers[name] as string | undefined;
  return req.headers.get(name) ?? undefined;
}

/**
 * The body as a JSON object. Measured in an A/B of srvx with only the body read and parse
 * (wrk -c50, twice each): this function with srvx's web Headers and a fatal TextDecoder
 * took srvx from 50.8-51.6k POSTs/s to 44.6-44.8k. It is one promise step, not an async
 * function over async functions: each of those cost a microtask and a frame a request.
 */
export function readJsonObject(req: Request, example: string): Promise<Record<string, unknown>> {
  const refused = refusedBody(req);
  if (refused) return Promise.reject(refused);
  return readBody(req).then((bytes) => jsonObject(bytes, example), bodyError);
}

/** Why a body is refused before it is read (its type, or its announced length), if it is. */
function refusedBody(req: Request): HttpError | undefined {
  const type = (headerOf(req, "content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    return new HttpError(
      415,
      `Content-Type must be application/json, not ${type ? JSON.stringify(type) : "missing"}`,
    );
  }
  if (Number(headerOf(req, "content-length") ?? 0) > MAX_BODY_BYTES) return tooLarge();
  return undefined;
}

/** `bytes` as a JSON object, or the HttpError that names what they are instead. */
function jsonObject(bytes: Uint8Array, example: string): Record<string, unknown> {
  const text = utf8Text(bytes);
  if (text === undefined) {
    // Decoding leniently would store U+FFFD in place of the bad bytes, and answer 201 for
    // a record that is not what was sent.
    throw new HttpError(400, "request body is not valid UTF-8; send the JSON as UTF-8 text");
  }
  if (text.trim() === "") {
    throw new HttpError(400, `request body is empty; send a JSON object such as ${example}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new HttpError(400, `request body must be a JSON object such as ${example}, not ${got}`);
  }
  return value as Record<string, unknown>;
}
