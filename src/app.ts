// Routes and validation over a Store. Nothing here knows how a store keeps its data: every
// approach is served by exactly the same code, so the benchmark compares storage, not HTTP.
import type { IncomingMessage } from "node:http";
import { FastResponse } from "srvx";
import * as z from "zod";
import { BodyTooLargeError, readNodeBody } from "./lib/http-body.ts";
import type { OrderBook, OrderTotals } from "./lib/order.ts";
import type { SetAsideSummary } from "./lib/set-aside.ts";
import {
  classify,
  DiskFullError,
  diskFullMessage,
  FencedError,
  OverloadedError,
} from "./lib/storage-errors.ts";
import { isId, newUser } from "./lib/user.ts";
import type { Durability, Store } from "./stores/_types.ts";

/** The body of GET /health: the lab reads it, so its shape is part of the API. */
export interface Health {
  /**
   * "degraded": the store refuses writes until a restart; `reason` says why. (A store that
   * cannot read either answers 503 with "down" and a reason, and none of the rest.)
   */
  status: "ok" | "degraded";
  reason?: string;
  approach: string;
  durability: Durability;
  records: number;
  /** Orders placed and units they hold, from stores that take orders. */
  orders?: number;
  units_ordered?: number;
  /** Which process answered: several share a port with WORKERS=N. */
  pid: number;
  /** SQLITE_BUSY answers waited out, from the SQLite stores. */
  sqlite_busy?: number;
  /** Group commit: records per flush, on average and at most. */
  avg_batch?: number;
  max_batch?: number;
  /** sqlite-batched: rows and milliseconds in one flush window. */
  flush_size?: number;
  flush_interval_ms?: number;
  /**
   * What start-up recovery cut from the store's files and kept in DATA_DIR/recovered/ (see
   * lib/set-aside.ts), while any of it is there; an operator looks at it, then removes it.
   */
  recovered?: SetAsideSummary;
  /** The store's other details and counters (Store.details and Store.stats). */
  [detail: string]: unknown;
}

/** Bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 64 * 1024;
export const NAME_MAX_CHARS = 200;
/** The longest address SMTP can carry (RFC 5321). */
export const EMAIL_MAX_CHARS = 254;

const EXAMPLE_BODY = '{"name":"Ada Lovelace","email":"ada@example.com"}';
const FIND_USAGE = "look users up with GET /users?email=<address>";
const USER_ORDERS = "/orders";

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
const NewUserBody = z.strictObject(
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

/** Lines in one order, and units on one line: beyond these an order is a mistake, not a purchase. */
export const MAX_ORDER_ITEMS = 100;
export const MAX_QUANTITY = 1_000_000;
const EXAMPLE_ORDER =
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
const NewOrderBody = z.strictObject({
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
class ClientAbortError extends HttpError {
  constructor(cause: string) {
    super(400, `the request body was cut short (${cause}); send the whole body`);
  }
}

/** A JSON response from text that is already JSON. */
function jsonText(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new FastResponse(text, {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return jsonText(status, JSON.stringify(body), headers);
}

/** The path of a request URL, without parsing the whole URL on every request. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}

/** Refuses bytes that are not UTF-8 (overlong forms, encoded surrogates, stray bytes). */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const tooLarge = () => new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);

/**
 * The request's body bytes: from the Node request underneath srvx where there is one (see
 * lib/http-body.ts for why), or through the web Request's own reader.
 */
async function readBody(req: Request): Promise<Uint8Array> {
  const node = (req as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
  try {
    if (node) return await readNodeBody(node, MAX_BODY_BYTES);
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
    return bytes;
  } catch (err) {
    if (err instanceof BodyTooLargeError) throw tooLarge();
    if (err instanceof HttpError) throw err;
    // Anything else is the client's: it went away mid-body, or sent a malformed chunk.
    throw new ClientAbortError((err as Error).message);
  }
}

async function readJsonObject(req: Request, example: string): Promise<Record<string, unknown>> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    throw new HttpError(
      415,
      `Content-Type must be application/json, not ${type ? JSON.stringify(type) : "missing"}`,
    );
  }
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  const bytes = await readBody(req);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
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

function methodNotAllowed(allow: string): never {
  throw new HttpError(405, `method not allowed; this path accepts ${allow}`, { allow });
}

/**
 * The answer to a request that threw. A client's mistake names itself; a storage failure
 * says what the client can do (lib/storage-errors.ts); anything else is logged with its
 * stack and answered 500 without one.
 */
function failureResponse(err: unknown): Response | undefined {
  if (err instanceof HttpError) return json(err.status, { error: err.message }, err.headers);
  if (err instanceof OverloadedError) {
    return json(503, { error: err.message }, { "retry-after": String(err.retryAfterS) });
  }
  if (err instanceof DiskFullError) return json(507, { error: err.message });
  if (err instanceof FencedError) return json(503, { error: err.message });
  // An engine's own error for a full disk (SQLite's SQLITE_FULL, PostgreSQL's 53100): the
  // engine rolled the write back, so it is a refusal like any other.
  if (classify(err) === "full") return json(507, { error: diskFullMessage("the record") });
  return undefined;
}

/** How often one storage failure's message is logged again while it keeps happening. */
const STORAGE_LOG_EVERY_MS = 10_000;

export interface AppOptions {
  approach: string;
  /** Where server errors go; their details never reach the client. */
  log: (message: string) => void;
  /** What recovery set aside in DATA_DIR, for GET /health. */
  setAside?: () => SetAsideSummary | undefined;
}

export function createApp(store: Store, { approach, log, setAside }: AppOptions) {
  async function createUser(req: Request): Promise<Response> {
    const parsed = NewUserBody.safeParse(await readJsonObject(req, EXAMPLE_BODY));
    if (!parsed.success) {
      throw new HttpError(400, parsed.error.issues.map((issue) => issue.message).join("; "));
    }
    const user = newUser(parsed.data.name, parsed.data.email);
    const text = JSON.stringify(user);
    await store.insert(user, text);
    return jsonText(201, text, { location: `/users/${user.id}` });
  }

  async function getUser(id: string): Promise<Response> {
    // An id that cannot exist is not looked up: it is simply not found.
    const text = isId(id) ? await store.get(id) : undefined;
    if (text === undefined) throw new HttpError(404, `no user with id ${JSON.stringify(id)}`);
    return jsonText(200, text);
  }

  /**
   * GET /users?email=<address>: the users with exactly that email, as a JSON array. The
   * query must name email once, with a value, and nothing else.
   */
  async function findUsers(url: string): Promise<Response> {
    const query = new URLSearchParams(url.slice(url.indexOf("?") + 1 || url.length));
    for (const key of new Set(query.keys()))
      if (key !== "email")
        throw new HttpError(400, `unknown query parameter ${JSON.stringify(key)}; ${FIND_USAGE}`);
    const emails = query.getAll("email");
    if (emails.length === 0) throw new HttpError(400, `email is required; ${FIND_USAGE}`);
    if (emails.length > 1) throw new HttpError(400, `give email once; ${FIND_USAGE}`);
    const email = emails[0] as string;
    if (email === "") throw new HttpError(400, `email must not be empty; ${FIND_USAGE}`);
    return jsonText(200, `[${(await store.findByEmail(email)).join(",")}]`);
  }

  /** The store's order book, or a 501 that says why it has none and what to use. */
  function orderBook(): OrderBook {
    if ("unsupported" in store.orders) {
      throw new HttpError(
        501,
        `APPROACH=${approach} does not take orders: ${store.orders.unsupported}`,
      );
    }
    return store.orders;
  }

  /** GET /users/:id/orders: the user with their orders, newest first (the join). */
  async function getUserOrders(id: string): Promise<Response> {
    const book = orderBook();
    const user = isId(id) ? await store.get(id) : undefined;
    if (user === undefined) throw new HttpError(404, `no user with id ${JSON.stringify(id)}`);
    const orders = await book.ordersOf(id);
    return jsonText(200, `{"user":${user},"orders":${JSON.stringify(orders)}}`);
  }

  async function getProduct(id: string): Promise<Response> {
    const book = orderBook();
    const text = isId(id) ? await book.product(id) : undefined;
    if (text === undefined) throw new HttpError(404, `no product with id ${JSON.stringify(id)}`);
    return jsonText(200, text);
  }

  async function getOrder(id: string): Promise<Response> {
    const book = orderBook();
    const text = isId(id) ? await book.order(id) : undefined;
    if (text === undefined) throw new HttpError(404, `no order with id ${JSON.stringify(id)}`);
    return jsonText(200, text);
  }

  async function createOrder(req: Request): Promise<Response> {
    const book = orderBook();
    const parsed = NewOrderBody.safeParse(await readJsonObject(req, EXAMPLE_ORDER));
    if (!parsed.success) {
      throw new HttpError(
        400,
        parsed.error.issues
          .map((issue) =>
            issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
          )
          .join("; "),
      );
    }
    const result = await book.place(parsed.data);
    if (!result.ok) throw new HttpError(result.status, result.error);
    return jsonText(201, JSON.stringify(result.order), { location: `/orders/${result.order.id}` });
  }

  async function health(): Promise<Response> {
    let totals: OrderTotals | undefined;
    let records: number;
    try {
      totals = "unsupported" in store.orders ? undefined : await store.orders.totals();
      records = await store.count();
    } catch (err) {
      // A store that cannot even read (LMDB after a fatal error) is down, not degraded:
      // 503, so that a load balancer takes this server out until it is restarted.
      if (!(err instanceof FencedError)) throw err;
      const reason = `${err.reason}; restart to recover`;
      return json(503, { status: "down", reason, approach, pid: process.pid });
    }
    const fenced = store.fenced?.();
    const recovered = setAside?.();
    const body: Health = {
      status: fenced ? "degraded" : "ok",
      ...(fenced ? { reason: `${fenced}; restart to recover` } : {}),
      approach,
      durability: store.durability,
      ...store.details,
      ...store.stats?.(),
      records,
      ...(totals ? { orders: totals.orders, units_ordered: totals.units } : {}),
      ...(recovered ? { recovered } : {}),
      pid: process.pid,
    };
    return json(200, body);
  }

  async function route(req: Request): Promise<Response> {
    const path = pathOf(req.url);
    // HEAD is GET without the body (RFC 9110): routed as GET, and Node sends no body for it.
    const method = req.method === "HEAD" ? "GET" : req.method;
    if (path.startsWith("/users/") && path.indexOf("/", 7) === -1) {
      if (method !== "GET") methodNotAllowed("GET, HEAD");
      // A real id is plain hex and dashes, so the raw path segment needs no decoding.
      return getUser(path.slice(7));
    }
    if (
      path.startsWith("/users/") &&
      path.endsWith(USER_ORDERS) &&
      path.indexOf("/", 7) === path.length - USER_ORDERS.length
    ) {
      if (method !== "GET") methodNotAllowed("GET, HEAD");
      return getUserOrders(path.slice(7, -USER_ORDERS.length));
    }
    if (path === "/users") {
      if (method === "GET") return findUsers(req.url);
      if (method !== "POST") methodNotAllowed("GET, HEAD, POST");
      return createUser(req);
    }
    if (path.startsWith("/products/") && path.indexOf("/", 10) === -1) {
      if (method !== "GET") methodNotAllowed("GET, HEAD");
      return getProduct(path.slice(10));
    }
    if (path.startsWith("/orders/") && path.indexOf("/", 8) === -1) {
      if (method !== "GET") methodNotAllowed("GET, HEAD");
      return getOrder(path.slice(8));
    }
    if (path === "/orders") {
      if (method !== "POST") methodNotAllowed("POST");
      return createOrder(req);
    }
    if (path === "/health") {
      if (method !== "GET") methodNotAllowed("GET, HEAD");
      return health();
    }
    throw new HttpError(
      404,
      `no route for ${method} ${path}; try POST /users, GET /users/:id, GET /users?email=, GET /users/:id/orders, GET /products/:id, POST /orders, GET /orders/:id or GET /health`,
    );
  }

  // A full disk fails every write: its message is logged once per STORAGE_LOG_EVERY_MS,
  // not once per request. Overload (503 with Retry-After) is not logged at all: the
  // client retries, and GET /health counts it where the store keeps such counters.
  let lastStorageLog = { message: "", at: -Infinity };
  function failure(req: Request, err: unknown): Response {
    if (err instanceof ClientAbortError) log(`${req.method} ${pathOf(req.url)}: ${err.message}`);
    const known = failureResponse(err);
    if (known) {
      const message = (err as Error).message;
      const now = performance.now();
      const repeated =
        message === lastStorageLog.message && now - lastStorageLog.at < STORAGE_LOG_EVERY_MS;
      if (known.status >= 500 && !(err instanceof OverloadedError) && !repeated) {
        log(`${req.method} ${pathOf(req.url)} refused: ${message}`);
        lastStorageLog = { message, at: now };
      }
      return known;
    }
    log(`error: ${req.method} ${pathOf(req.url)} failed: ${(err as Error).stack ?? err}`);
    return json(500, { error: "internal server error; the server log has the details" });
  }

  return async function fetch(req: Request): Promise<Response> {
    try {
      return await route(req);
    } catch (err) {
      return failure(req, err);
    }
  };
}
