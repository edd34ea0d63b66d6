// Products and orders: the course's data model beyond users. An order spans several
// records (the order, and the stock of each product it takes), so every store that takes
// orders must write it all or nothing. The checks and the arithmetic live here, once.
import { randomUUID } from "node:crypto";

/** The seeded products, one JSON object per line, for the flat-file stores. */
export const PRODUCTS_FILE = "products.jsonl";

export interface Product {
  id: string;
  name: string;
  price_cents: number;
  stock: number;
}

export interface OrderItem {
  product_id: string;
  quantity: number;
  /** The product's price when the order was placed. */
  price_cents: number;
}

export interface Order {
  id: string;
  user_id: string;
  items: OrderItem[];
  total_cents: number;
  created_at: string;
}

/** A validated POST /orders body: items non-empty, quantities positive, no product twice. */
export interface OrderRequest {
  user_id: string;
  items: { product_id: string; quantity: number }[];
}

export type PlaceResult =
  | { ok: true; order: Order }
  | { ok: false; status: 404 | 409; error: string };

/** An item of a user's order as GET /users/:id/orders shows it: with its product's name. */
export interface UserOrderItem {
  product_id: string;
  name: string;
  quantity: number;
  price_cents: number;
}

/** One of a user's orders, as GET /users/:id/orders shows it. */
export interface UserOrder {
  id: string;
  created_at: string;
  total_cents: number;
  items: UserOrderItem[];
}

/** One row of the join of orders, their items and the products. */
export interface UserOrderRow extends UserOrderItem {
  id: string;
  created_at: string;
  total_cents: number;
}

/** Rows of the join, an order's rows together and in order, folded into orders. */
export function foldUserOrders(rows: readonly UserOrderRow[]): UserOrder[] {
  const orders: UserOrder[] = [];
  for (const r of rows) {
    let last = orders.at(-1);
    if (last?.id !== r.id) {
      last = { id: r.id, created_at: r.created_at, total_cents: r.total_cents, items: [] };
      orders.push(last);
    }
    last.items.push({
      product_id: r.product_id,
      name: r.name,
      quantity: r.quantity,
      price_cents: r.price_cents,
    });
  }
  return orders;
}

/** What a store that takes orders offers the routes. Reads answer with JSON text. */
export interface OrderBook {
  product(id: string): string | undefined | Promise<string | undefined>;
  order(id: string): string | undefined | Promise<string | undefined>;
  /** Checks and writes the order and its stock changes, all or nothing. */
  place(request: OrderRequest): PlaceResult | Promise<PlaceResult>;
  /**
   * The user's orders, newest first, each item (in the order placed) with its product's
   * name: the join. The route checks that the user exists first.
   */
  ordersOf(userId: string): UserOrder[] | Promise<UserOrder[]>;
  /** Orders held, and units across their items: the lab checks these against the stock. */
  totals(): OrderTotals | Promise<OrderTotals>;
}

export interface OrderTotals {
  orders: number;
  units: number;
}

export function isProduct(value: unknown): value is Product {
  if (typeof value !== "object" || value === null) return false;
  const p = value as Record<string, unknown>;
  return (
    typeof p.id === "string" &&
    typeof p.name === "string" &&
    Number.isInteger(p.price_cents) &&
    Number.isInteger(p.stock)
  );
}

export const noUser = (id: string): PlaceResult => ({
  ok: false,
  status: 404,
  error: `no user with id "${id}"`,
});

export const noProduct = (id: string): PlaceResult => ({
  ok: false,
  status: 404,
  error: `no product with id "${id}"`,
});

export const shortOf = (id: string, wanted: number, left: number): PlaceResult => ({
  ok: false,
  status: 409,
  error: `not enough stock of product "${id}": ${wanted} wanted, ${left} left; nothing was ordered`,
});

/**
 * Checks a request against the current state and builds the order, or says why not.
 * `productOf` answers the product's price and stock as they are now; nothing is changed
 * here, so a store applies the result inside whatever makes it atomic.
 */
export function planOrder(
  request: OrderRequest,
  userExists: boolean,
  productOf: (id: string) => { price_cents: number; stock: number } | undefined,
): PlaceResult {
  if (!userExists) return noUser(request.user_id);
  const items: OrderItem[] = [];
  for (const { product_id, quantity } of request.items) {
    const product = productOf(product_id);
    if (!product) return noProduct(product_id);
    if (product.stock < quantity) return shortOf(product_id, quantity, product.stock);
    items.push({ product_id, quantity, price_cents: product.price_cents });
  }
  return { ok: true, order: newOrder(request.user_id, items) };
}

export function newOrder(user_id: string, items: OrderItem[]): Order {
  return {
    id: randomUUID(),
    user_id,
    items,
    total_cents: items.reduce((sum, i) => sum + i.quantity * i.price_cents, 0),
    created_at: new Date().toISOString(),
  };
}

export function unitsOf(order: Order): number {
  return order.items.reduce((n, i) => n + i.quantity, 0);
}

/** Units each product has left once `orders` are taken. */
export function stockAfter(products: readonly Product[], orders: readonly Order[]): Product[] {
  const taken = new Map<string, number>();
  for (const o of orders)
    for (const item of o.items)
      taken.set(item.product_id, (taken.get(item.product_id) ?? 0) + item.quantity);
  return products.map((p) => ({ ...p, stock: p.stock - (taken.get(p.id) ?? 0) }));
}

/** An order as GET /users/:id/orders shows it: each item with its product's name. */
export function userOrderOf(order: Order, nameOf: (productId: string) => string): UserOrder {
  return {
    ...{ id: order.id, created_at: order.created_at, total_cents: order.total_cents },
    items: order.items.map((i) => ({
      ...{ product_id: i.product_id, name: nameOf(i.product_id) },
      ...{ quantity: i.quantity, price_cents: i.price_cents },
    })),
  };
}

/**
 * A product's name by id, for the join, from `jsonOf` (the product's stored JSON), each
 * product read once per call of the join. A product that is gone has the name "".
 */
export function namesFrom(jsonOf: (id: string) => string | undefined): (id: string) => string {
  const names = new Map<string, string>();
  return (id) => {
    let name = names.get(id);
    if (name === undefined) {
      name = (JSON.parse(jsonOf(id) ?? "{}") as Partial<Product>).name ?? "";
      names.set(id, name);
    }
    return name;
  };
}

/**
 * planOrder for a store that keeps each product as JSON text (`jsonOf`), and, when the order
 * can be placed, each product it touches as it will be once the order takes its units: the
 * records the store writes, with the order, all or nothing.
 */
export function planFromStored(
  request: OrderRequest,
  userExists: boolean,
  jsonOf: (id: string) => string | undefined,
): { plan: PlaceResult; after: Product[] } {
  const read = new Map<string, Product>();
  const plan = planOrder(request, userExists, (id) => {
    const json = jsonOf(id);
    const p = json === undefined ? undefined : (JSON.parse(json) as Product);
    if (p) read.set(id, p);
    return p;
  });
  if (!plan.ok) return { plan, after: [] };
  const after = plan.order.items.map((item) => {
    const p = read.get(item.product_id) as Product;
    return { ...p, stock: p.stock - item.quantity };
  });
  return { plan, after };
}
