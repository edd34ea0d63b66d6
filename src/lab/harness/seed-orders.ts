// Seeded orders: deterministic orders over the seeded users and products, so that the join
// (GET /users/:id/orders) has something to read. Order i belongs to user i (wrapping round),
// so with fewer orders than users, the first users in ids.txt are the ones with orders.
import type { Order, OrderItem, Product } from "../../lib/order.ts";
import type { User } from "../../lib/user.ts";
import { createRandom, randomUuid } from "./prng.ts";

/** Products on one seeded order, at most, and units of one product. */
const MAX_LINES = 3;
const MAX_QUANTITY = 2;
/** Seeded orders were placed one every 10 s, starting after the last seeded user. */
const ORDER_STEP_MS = 10_000;

/**
 * The seeded users orders are placed for: the first min(count, orders) of them (order i
 * goes to user i mod count), how many there are in all, and when the last was created.
 */
export interface OrderUsers {
  first: readonly User[];
  count: number;
  lastCreated: number;
}

/**
 * `count` orders, from their own stream of the generator (so adding them changed no user
 * or product). Each takes stock that is there: it throws, saying how many orders fit, when
 * the products run out.
 */
export function generateOrders(
  count: number,
  users: OrderUsers,
  products: readonly Product[],
  seed: number,
): Order[] {
  if (count === 0) return [];
  if (users.count === 0 || products.length === 0)
    throw new Error("--orders needs seeded users and products (--count and --products above 0)");
  if (users.first.length < Math.min(users.count, count))
    throw new RangeError(`orders need the first ${Math.min(users.count, count)} users`);
  const next = createRandom(seed ^ 0x5eed_0002);
  const left = new Map(products.map((p) => [p.id, p.stock]));
  const firstMs = users.lastCreated + ORDER_STEP_MS;
  const orders: Order[] = [];
  for (let i = 0; i < count; i++) {
    const items: OrderItem[] = [];
    const lines = 1 + (next() % MAX_LINES);
    for (let tries = 0; items.length < lines && tries < products.length; tries++) {
      const p = products[next() % products.length] as Product;
      const quantity = 1 + (next() % MAX_QUANTITY);
      if (items.some((item) => item.product_id === p.id) || (left.get(p.id) ?? 0) < quantity)
        continue;
      left.set(p.id, (left.get(p.id) ?? 0) - quantity);
      items.push({ product_id: p.id, quantity, price_cents: p.price_cents });
    }
    if (items.length === 0)
      throw new Error(
        `--orders ${count}: the products' stock runs out after ${i} orders; seed more --products`,
      );
    orders.push({
      id: randomUuid(next),
      user_id: (users.first[i % users.count] as User).id,
      items,
      total_cents: items.reduce((sum, item) => sum + item.quantity * item.price_cents, 0),
      created_at: new Date(firstMs + i * ORDER_STEP_MS).toISOString(),
    });
  }
  return orders;
}
