// Routes and validation over a Store. Nothing here knows how a store keeps its data: every
// approach is served by exactly the same code, so the benchmark compares storage, not HTTP.
//
// A request whose store answers at once (the in-memory stores, and every store's misses
// for ids that cannot exist) is answered without a promise: each `await` on the hot path
// costs a microtask and an async frame, a few per cent of a read at this machine's speed.
import {
  ClientAbortError,
  failureResponse,
  HttpError,
  json,
  jsonText,
  methodNotAllowed,
} from "./app/_answer.ts";
import {
  EXAMPLE_BODY,
  EXAMPLE_ORDER,
  FIND_USAGE,
  headerOf,
  NewOrderBody,
  newUserFields,
  nodeRequest,
  readJsonObject,
} from "./app/_input.ts";
import type { SetAsideSummary } from "./lib/files/set-aside.ts";
import type { OrderBook, OrderTotals } from "./lib/order.ts";
import { FencedError, OutcomeUnknownError, OverloadedError } from "./lib/storage-errors.ts";
import { type IdVersion, isId, newUser } from "./lib/user.ts";
import type { Durability, Store, WritePreference } from "./stores/_types.ts";
import { orderAlternatives } from "./stores/index.ts";

export { EMAIL_MAX_CHARS, MAX_BODY_BYTES, NAME_MAX_CHARS } from "./app/_input.ts";

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
   * lib/files/set-aside.ts), while any of it is there; an operator looks at it, then removes it.
   */
  recovered?: SetAsideSummary;
  /** The store's other details and counters (Store.details and Store.stats). */
  [detail: string]: unknown;
}

/** An answer now, or later. */
type Answer = Response | Promise<Response>;

/** `f(value)`, at once when `value` is not a promise: see the file's header. */
function then<T>(value: T | Promise<T>, f: (v: T) => Answer): Answer {
  return value instanceof Promise ? value.then(f) : f(value);
}

/**
 * The request's path and query as sent. From the Node request underneath srvx when there is
 * one (srvx would otherwise build and check a whole URL per request), else from the URL.
 */
function targetOf(req: Request): string {
  const raw = nodeRequest(req)?.url;
  if (raw?.startsWith("/")) return raw;
  const start = req.url.indexOf("/", req.url.indexOf("//") + 2);
  return start === -1 ? "/" : req.url.slice(start);
}

/** The preference this API knows of in `Prefer:` (RFC 7240); any other is ignored. */
const READ_YOUR_WRITES = "read-your-writes";

function writePreference(req: Request): WritePreference | undefined {
  const prefer = headerOf(req, "prefer");
  if (!prefer) return undefined;
  const asked = prefer
    .split(",")
    .some((p) => p.split(";")[0]?.trim().toLowerCase() === READ_YOUR_WRITES);
  return asked ? { read_your_writes: true } : undefined;
}

function pathOf(target: string): string {
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

/** How often one storage failure's message is logged again while it keeps happening. */
const STORAGE_LOG_EVERY_MS = 10_000;
const USER_ORDERS = "/orders";
const ROUTES =
  "try POST /users, GET /users/:id, GET /users?email=, GET /users/:id/orders, GET /products/:id, POST /orders, GET /orders/:id or GET /health";

export interface AppOptions {
  approach: string;
  /** Where server errors go; their details never reach the client. */
  log: (message: string) => void;
  /** What recovery set aside in DATA_DIR, for GET /health. */
  setAside?: () => SetAsideSummary | undefined;
  /** New users' ids: random (v4, the default) or time-ordered (v7). */
  ids?: IdVersion;
}

interface Ctx extends AppOptions {
  store: Store;
}

function notFound(what: string, id: string): never {
  throw new HttpError(404, `no ${what} with id ${JSON.stringify(id)}`);
}

function getUser(c: Ctx, id: string): Answer {
  // An id that cannot exist is not looked up: it is simply not found.
  if (!isId(id)) notFound("user", id);
  return then(c.store.get(id), (text) =>
    text === undefined ? notFound("user", id) : jsonText(200, text),
  );
}

/** POST /users, in as few promise steps as the store allows: see the file's header. */
function createUser(c: Ctx, req: Request): Promise<Response> {
  let id: string | undefined;
  return readJsonObject(req, EXAMPLE_BODY)
    .then((value) => {
      const { name, email } = newUserFields(value);
      const user = newUser(name, email, c.ids);
      id = user.id;
      const text = JSON.stringify(user);
      const prefer = writePreference(req);
      return then(c.store.insert(user, text, prefer), (receipt) => {
        const headers: Record<string, string> = { location: `/users/${user.id}` };
        if (prefer && receipt?.read_your_writes) headers["preference-applied"] = READ_YOUR_WRITES;
        return jsonText(201, text, headers);
      });
    })
    .catch((err: unknown) => {
      // Where the client can look to learn whether a write of unknown outcome was stored.
      if (err instanceof OutcomeUnknownError && id) err.location = `/users/${id}`;
      throw err;
    });
}

/**
 * GET /users?email=<address>: the users with exactly that email, as a JSON array. The query
 * must name email once, with a value, and nothing else.
 */
function findUsers(c: Ctx, target: string): Answer {
  const query = new URLSearchParams(target.slice(target.indexOf("?") + 1 || target.length));
  for (const key of new Set(query.keys()))
    if (key !== "email")
      throw new HttpError(400, `unknown query parameter ${JSON.stringify(key)}; ${FIND_USAGE}`);
  const emails = query.getAll("email");
  if (emails.length === 0) throw new HttpError(400, `email is required; ${FIND_USAGE}`);
  if (emails.length > 1) throw new HttpError(400, `give email once; ${FIND_USAGE}`);
  const email = emails[0] as string;
  if (email === "") throw new HttpError(400, `email must not be empty; ${FIND_USAGE}`);
  return then(c.store.findByEmail(email), (found) => jsonText(200, `[${found.join(",")}]`));
}

/** "for orders, use map, … (in one process), or sqlite, …": from what each store declares. */
let alternatives: Promise<string> | undefined;
function ordersAlternatives(): Promise<string> {
  alternatives ??= orderAlternatives().then(
    ({ one, many }) => `for orders, use ${one.join(", ")} (in one process), or ${many.join(", ")}`,
  );
  return alternatives;
}

/** The store's order book, or a 501 that says why it has none and what to use instead. */
function orderBook(c: Ctx): OrderBook | Promise<OrderBook> {
  const orders = c.store.orders;
  if (!("unsupported" in orders)) return orders;
  return ordersAlternatives().then((instead) => {
    throw new HttpError(
      501,
      `APPROACH=${c.approach} does not take orders: ${orders.unsupported}; ${instead}`,
    );
  });
}

/** GET /users/:id/orders: the user with their orders, newest first (the join). */
async function getUserOrders(c: Ctx, id: string): Promise<Response> {
  const book = await orderBook(c);
  const user = isId(id) ? await c.store.get(id) : undefined;
  if (user === undefined) notFound("user", id);
  const orders = await book.ordersOf(id);
  return jsonText(200, `{"user":${user},"orders":${JSON.stringify(orders)}}`);
}

/** GET /products/:id and GET /orders/:id: one record of the order book, by id. */
function getRecord(c: Ctx, what: "product" | "order", id: string): Answer {
  return then(orderBook(c), (book) => {
    if (!isId(id)) notFound(what, id);
    return then(book[what](id), (text) =>
      text === undefined ? notFound(what, id) : jsonText(200, text),
    );
  });
}

async function createOrder(c: Ctx, req: Request): Promise<Response> {
  const book = await orderBook(c);
  const parsed = NewOrderBody.safeParse(await readJsonObject(req, EXAMPLE_ORDER));
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) =>
      issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
    );
    throw new HttpError(400, issues.join("; "));
  }
  const result = await book.place(parsed.data);
  if (!result.ok) throw new HttpError(result.status, result.error);
  return jsonText(201, JSON.stringify(result.order), { location: `/orders/${result.order.id}` });
}

async function health(c: Ctx): Promise<Response> {
  const { store, approach } = c;
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
  const recovered = c.setAside?.();
  const body: Health = {
    status: fenced ? "degraded" : "ok",
    ...(fenced ? { reason: `${fenced}; restart to recover` } : {}),
    ...{ approach, durability: store.durability, ...store.details, ...store.stats?.() },
    records,
    ...(totals ? { orders: totals.orders, units_ordered: totals.units } : {}),
    ...(recovered ? { recovered } : {}),
    ...store.health?.(),
    pid: process.pid,
  };
  return json(200, body);
}

/** `/<prefix>/<id>` with nothing after the id: the id, else undefined. */
function idAfter(path: string, prefix: string): string | undefined {
  return path.startsWith(prefix) && path.indexOf("/", prefix.length) === -1
    ? path.slice(prefix.length)
    : undefined;
}

/** Runs `run` if the request's method is `allowed`, else answers 405 with `allow`. */
function when(method: string, allowed: string, allow: string, run: () => Answer): Answer {
  if (method !== allowed) methodNotAllowed(allow);
  return run();
}

const GET = "GET, HEAD";

function route(c: Ctx, req: Request): Answer {
  const target = targetOf(req);
  const path = pathOf(target);
  // HEAD is GET without the body (RFC 9110): routed as GET, and Node sends no body for it.
  const method = req.method === "HEAD" ? "GET" : req.method;
  // A real id is plain hex and dashes, so the raw path segment needs no decoding.
  const userId = idAfter(path, "/users/");
  if (userId !== undefined) return when(method, "GET", GET, () => getUser(c, userId));
  if (path.startsWith("/users/") && path.endsWith(USER_ORDERS)) {
    const id = idAfter(path.slice(0, -USER_ORDERS.length), "/users/");
    if (id !== undefined) return when(method, "GET", GET, () => getUserOrders(c, id));
  }
  if (path === "/users") {
    if (method === "GET") return findUsers(c, target);
    return when(method, "POST", "GET, HEAD, POST", () => createUser(c, req));
  }
  const productId = idAfter(path, "/products/");
  if (productId !== undefined)
    return when(method, "GET", GET, () => getRecord(c, "product", productId));
  const orderId = idAfter(path, "/orders/");
  if (orderId !== undefined) return when(method, "GET", GET, () => getRecord(c, "order", orderId));
  if (path === "/orders") return when(method, "POST", "POST", () => createOrder(c, req));
  if (path === "/health") return when(method, "GET", GET, () => health(c));
  throw new HttpError(404, `no route for ${method} ${path}; ${ROUTES}`);
}

/**
 * The answer to a request that threw. A full disk fails every write: its message is logged
 * once per STORAGE_LOG_EVERY_MS, not once per request. Overload (503 with Retry-After) is
 * not logged at all: the client retries, and GET /health counts it where the store keeps
 * such counters. Anything unknown is logged with its stack and answered 500 without one.
 */
function failing(c: Ctx) {
  let lastStorageLog = { message: "", at: -Infinity };
  return (req: Request, err: unknown): Response => {
    const where = `${req.method} ${pathOf(targetOf(req))}`;
    if (err instanceof ClientAbortError) c.log(`${where}: ${err.message}`);
    const known = failureResponse(err);
    if (!known) {
      c.log(`error: ${where} failed: ${(err as Error).stack ?? err}`);
      return json(500, { error: "internal server error; the server log has the details" });
    }
    const message = (err as Error).message;
    const now = performance.now();
    const repeated =
      message === lastStorageLog.message && now - lastStorageLog.at < STORAGE_LOG_EVERY_MS;
    if (known.status >= 500 && !(err instanceof OverloadedError) && !repeated) {
      c.log(`${where} refused: ${message}`);
      lastStorageLog = { message, at: now };
    }
    return known;
  };
}

/** The API over `store`, as a fetch handler (srvx's). */
export function createApp(store: Store, options: AppOptions): (req: Request) => Answer {
  const c: Ctx = { ...options, store };
  const failure = failing(c);
  return (req) => {
    try {
      const answer = route(c, req);
      return answer instanceof Promise ? answer.catch((err) => failure(req, err)) : answer;
    } catch (err) {
      return failure(req, err);
    }
  };
}
