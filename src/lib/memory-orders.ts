// Orders for the in-memory flat-file stores (map, jsonl-fsync, jsonl-group). Products load
// from products.jsonl; each order is then ONE line of orders.jsonl, a framed commit record:
// a CRC-32 of the JSON, a space, the JSON. The stock change is not written separately: it is
// the order's own items, applied on replay. So recovery applies an order wholly (its line is
// complete and its checksum matches) or not at all (a torn last line is cut off), and no
// order can exist without its stock change, or the reverse.
import { crc32 } from "node:zlib";
import { loadJsonl, loadRecords } from "./files/jsonl.ts";
import type { SetAside } from "./files/set-aside.ts";
import { AppendLog } from "./files/user-log.ts";
import type { GroupCommitLimits } from "./group-commit.ts";
import {
  isProduct,
  type Order,
  type OrderBook,
  type OrderRequest,
  type OrderTotals,
  PRODUCTS_FILE,
  type Product,
  planOrder,
  unitsOf,
  userOrderOf,
} from "./order.ts";

export const ORDERS_FILE = "orders.jsonl";
/** "xxxxxxxx " before the JSON. */
const FRAME_PREFIX_CHARS = 9;

export function frameOrder(order: Order): string {
  const json = JSON.stringify(order);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}`;
}

/** The order in a framed line, or why the line is not one. */
export function unframeOrder(line: string): { value: Order } | { reason: string } {
  if (line.length <= FRAME_PREFIX_CHARS || line[8] !== " ")
    return { reason: "not a framed record" };
  const json = line.slice(FRAME_PREFIX_CHARS);
  if (crc32(json).toString(16).padStart(8, "0") !== line.slice(0, 8)) {
    return { reason: "its checksum does not match" };
  }
  const value = JSON.parse(json) as Order;
  if (typeof value?.id !== "string" || !Array.isArray(value.items)) {
    return { reason: "valid JSON but not an order" };
  }
  return { value };
}

/**
 * The order book of a map store. Placing an order checks and takes the stock in memory at
 * once (the event loop runs one request at a time, so no other order can slip between the
 * check and the take), then appends the commit record; a failed append gives the stock back.
 * Within one process that is all-or-nothing. Across processes it is not: each process has
 * its own stock, which is why these stores refuse WORKERS.
 *
 * Why taking the stock before the commit record is durable is safe:
 * - Nothing is acknowledged early: the 201 waits for the append (and, in the group stores,
 *   its fsync), and the order itself is readable only after that.
 * - A crash in between loses only memory: on restart the stock is recomputed from the seeded
 *   products and the orders in the log, so an order that never became durable takes nothing.
 * - A failed append gives the units back. Meanwhile another order may have been refused with
 *   409 for units this one held: a refusal the client may retry, never an oversell. The one
 *   thing a reader can see early is GET /products/:id showing the lower stock for that moment.
 */
export function openMemoryOrderBook(
  dataDir: string,
  aside: SetAside,
  userExists: (id: string) => boolean,
  durable: Omit<GroupCommitLimits, "start"> | undefined,
): OrderBook & { close(): Promise<void>; fenced(): string | undefined } {
  const products = new Map<string, Product>();
  loadJsonl(`${dataDir}/${PRODUCTS_FILE}`, isProduct, (p) => products.set(p.id, p), aside);
  const orders = new Map<string, string>();
  // The join, kept in step: each user's orders, oldest first, added once each is durable.
  const byUser = new Map<string, Order[]>();
  let units = 0;

  function remember(order: Order, json: string): void {
    orders.set(order.id, json);
    const list = byUser.get(order.user_id);
    if (list) list.push(order);
    else byUser.set(order.user_id, [order]);
  }

  function apply(order: Order, sign: 1 | -1): void {
    for (const item of order.items) {
      const product = products.get(item.product_id);
      if (product) product.stock -= sign * item.quantity;
    }
    units += sign * unitsOf(order);
  }

  const file = AppendLog.open(`${dataDir}/${ORDERS_FILE}`, () =>
    loadRecords(
      `${dataDir}/${ORDERS_FILE}`,
      unframeOrder,
      (order, line) => {
        remember(order, line.slice(FRAME_PREFIX_CHARS));
        apply(order, 1);
      },
      aside,
    ),
  );
  const appender = durable && file.durableAppender(durable);

  return {
    product(id) {
      const p = products.get(id);
      return p && JSON.stringify(p);
    },
    order: (id) => orders.get(id),
    async place(request: OrderRequest) {
      const plan = planOrder(request, userExists(request.user_id), (id) => products.get(id));
      if (!plan.ok) return plan;
      const line = frameOrder(plan.order);
      apply(plan.order, 1);
      try {
        if (appender) await appender.submit(line);
        else file.append(line);
      } catch (err) {
        apply(plan.order, -1);
        throw err;
      }
      remember(plan.order, line.slice(FRAME_PREFIX_CHARS));
      return plan;
    },
    ordersOf: (userId) =>
      (byUser.get(userId) ?? [])
        .toReversed()
        .map((o) => userOrderOf(o, (id) => products.get(id)?.name ?? "")),
    totals: (): OrderTotals => ({ orders: orders.size, units }),
    fenced: () => file.fenced(),
    async close() {
      await appender?.drain();
      file.close();
    },
  };
}
