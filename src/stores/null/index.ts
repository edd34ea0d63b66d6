// The ceiling: a store that stores nothing. Every approach pays for HTTP, routing, JSON and
// validation; this one pays for nothing else, so its throughput is the most any store can
// reach on this machine, and the benchmark reports every other store as a ratio to it.
// Every route answers, with fixed data of the usual size: reads by id or email get one
// fixed user, the join one fixed order, and writes (users and orders) are acknowledged and
// thrown away.
import { newOrder, type OrderBook, type UserOrder } from "../../lib/order.ts";
import { FIXED_USER_JSON } from "../../lib/user.ts";
import type { OpenStore, Simplicity } from "../_types.ts";

const PRODUCT = {
  id: "00000000-0000-4000-8000-000000000001",
  name: "Null product",
  price_cents: 100,
  stock: 0,
};

const ORDERS: UserOrder[] = [
  {
    id: "00000000-0000-4000-8000-000000000002",
    created_at: "2026-01-01T00:00:00.000Z",
    total_cents: 200,
    items: [{ product_id: PRODUCT.id, name: PRODUCT.name, quantity: 2, price_cents: 100 }],
  },
];

const ORDER_BOOK: OrderBook = {
  product: () => JSON.stringify(PRODUCT),
  order: () => undefined,
  place: (request) => ({
    ok: true,
    order: newOrder(
      request.user_id,
      request.items.map((i) => ({ ...i, price_cents: PRODUCT.price_cents })),
    ),
  }),
  ordersOf: () => ORDERS,
  totals: () => ({ orders: 0, units: 0 }),
};

export const simplicity: Simplicity = "file";
export const ceiling = true;

export const processes = { many: true, why: "it keeps nothing" };

export const files = [];

export const open: OpenStore = () => ({
  durability: { survives: "nothing", claim: "Stores nothing: it is the HTTP ceiling." },
  details: { email_lookup: "none: every email answers the one fixed user" },
  get: () => FIXED_USER_JSON,
  findByEmail: () => [FIXED_USER_JSON],
  insert() {},
  count: () => 0,
  orders: ORDER_BOOK,
  close() {},
});
