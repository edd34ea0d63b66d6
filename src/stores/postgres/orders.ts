// Orders in PostgreSQL: one transaction locks the order's products (SELECT ... FOR UPDATE,
// in id order so that two orders never wait on each other in a circle), checks the user and
// the stock, takes the stock and writes the order with its items. PostgreSQL commits all of
// it or none, and the row locks keep any other server from selling the same units.
import { existsSync } from "node:fs";
import { loadRecords } from "../../lib/files/jsonl.ts";
import type { SetAside } from "../../lib/files/set-aside.ts";
import { unframeOrder } from "../../lib/memory-orders.ts";
import {
  foldUserOrders,
  noUser,
  type Order,
  type OrderBook,
  type OrderRequest,
  type OrderTotals,
  type PlaceResult,
  planOrder,
  type UserOrder,
  type UserOrderRow,
} from "../../lib/order.ts";
import type { SqlPool } from "./sql.ts";

/** Migration 2: products, orders and their items, in the same portable subset as users. */
export const ORDERS_MIGRATION = `
  CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    price_cents BIGINT NOT NULL,
    stock BIGINT NOT NULL CHECK (stock >= 0)
  );
  CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    total_cents BIGINT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS order_items (
    order_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    line INT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    price_cents BIGINT NOT NULL,
    PRIMARY KEY (order_id, line)
  )`;

export class PostgresOrderBook implements OrderBook {
  private readonly pool: SqlPool;

  constructor(pool: SqlPool) {
    this.pool = pool;
  }

  async product(id: string): Promise<string | undefined> {
    const { rows } = await this.pool.query({
      name: "find-product",
      text: "SELECT id, name, price_cents::int AS price_cents, stock::int AS stock FROM products WHERE id = $1",
      values: [id],
    });
    const p = rows[0];
    return (
      p && JSON.stringify({ id: p.id, name: p.name, price_cents: p.price_cents, stock: p.stock })
    );
  }

  async order(id: string): Promise<string | undefined> {
    const [order, items] = await Promise.all([
      this.pool.query({
        name: "find-order",
        text: "SELECT user_id, total_cents::int AS total_cents, created_at FROM orders WHERE id = $1",
        values: [id],
      }),
      this.pool.query({
        name: "find-order-items",
        text: "SELECT product_id, quantity::int AS quantity, price_cents::int AS price_cents FROM order_items WHERE order_id = $1 ORDER BY line",
        values: [id],
      }),
    ]);
    const o = order.rows[0];
    if (!o) return undefined;
    const result: Order = {
      id,
      user_id: o.user_id,
      items: items.rows.map((i) => ({
        product_id: i.product_id,
        quantity: i.quantity,
        price_cents: i.price_cents,
      })),
      total_cents: o.total_cents,
      created_at: o.created_at,
    };
    return JSON.stringify(result);
  }

  /** The join: orders_by_user (migration 4) finds the user's orders; newest first. */
  async ordersOf(userId: string): Promise<UserOrder[]> {
    const { rows } = await this.pool.query<UserOrderRow>({
      name: "orders-of-user",
      text: `SELECT o.id, o.created_at, o.total_cents::int AS total_cents, i.product_id, p.name,
               i.quantity::int AS quantity, i.price_cents::int AS price_cents
             FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id
             WHERE o.user_id = $1 ORDER BY o.created_at DESC, o.id DESC, i.line`,
      values: [userId],
    });
    return foldUserOrders(rows);
  }

  async place(request: OrderRequest): Promise<PlaceResult> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const user = await client.query("SELECT 1 FROM users WHERE id = $1", [request.user_id]);
      if (!user.rowCount) {
        await client.query("ROLLBACK");
        return noUser(request.user_id);
      }
      const ids = request.items.map((i) => i.product_id);
      const locked = await client.query<{ id: string; price_cents: number; stock: number }>(
        "SELECT id, price_cents::int AS price_cents, stock::int AS stock FROM products WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
        [ids],
      );
      const byId = new Map(locked.rows.map((r) => [r.id, r]));
      const plan = planOrder(request, true, (id) => byId.get(id));
      if (!plan.ok) {
        await client.query("ROLLBACK");
        return plan;
      }
      const o = plan.order;
      await client.query(
        "UPDATE products p SET stock = p.stock - t.quantity FROM unnest($1::text[], $2::bigint[]) AS t(id, quantity) WHERE p.id = t.id",
        [ids, o.items.map((i) => i.quantity)],
      );
      await client.query(
        "INSERT INTO orders (id, user_id, total_cents, created_at) VALUES ($1, $2, $3, $4)",
        [o.id, o.user_id, o.total_cents, o.created_at],
      );
      await client.query(
        `INSERT INTO order_items (order_id, product_id, line, quantity, price_cents)
         SELECT $1, t.product_id, t.line, t.quantity, t.price_cents
         FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[]) AS t(product_id, line, quantity, price_cents)`,
        [
          o.id,
          o.items.map((i) => i.product_id),
          o.items.map((_, line) => line),
          o.items.map((i) => i.quantity),
          o.items.map((i) => i.price_cents),
        ],
      );
      await client.query("COMMIT");
      return plan;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async totals(): Promise<OrderTotals> {
    const { rows } = await this.pool.query(
      "SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT coalesce(sum(quantity), 0) FROM order_items)::int AS units",
    );
    return { orders: rows[0].orders, units: rows[0].units };
  }
}

/**
 * Loads the orders `npm run seed` wrote (orders.jsonl, framed as the map stores keep them)
 * into empty orders tables, and takes their units from the stock the products were loaded
 * with: PostgreSQL keeps the stock as it is now. One transaction, with the orders table
 * locked, so two processes starting at once load them once.
 */
export async function importSeededOrders(
  pool: SqlPool,
  path: string,
  aside: SetAside,
): Promise<boolean> {
  if (!existsSync(path)) return false;
  const orders: Order[] = [];
  loadRecords(path, unframeOrder, (o) => orders.push(o), aside);
  if (orders.length === 0) return false;
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("LOCK TABLE orders IN EXCLUSIVE MODE");
    if ((await client.query("SELECT 1 FROM orders LIMIT 1")).rowCount) {
      await client.query("ROLLBACK");
      return false;
    }
    const items = orders.flatMap((o) =>
      o.items.map((item, line) => ({ ...item, line, order_id: o.id })),
    );
    await client.query(
      "INSERT INTO orders (id, user_id, total_cents, created_at) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[])",
      [
        orders.map((o) => o.id),
        orders.map((o) => o.user_id),
        orders.map((o) => o.total_cents),
        orders.map((o) => o.created_at),
      ],
    );
    await client.query(
      "INSERT INTO order_items (order_id, product_id, line, quantity, price_cents) SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[])",
      [
        items.map((i) => i.order_id),
        items.map((i) => i.product_id),
        items.map((i) => i.line),
        items.map((i) => i.quantity),
        items.map((i) => i.price_cents),
      ],
    );
    await client.query(
      "UPDATE products p SET stock = p.stock - t.units FROM (SELECT product_id, sum(quantity) AS units FROM order_items GROUP BY product_id) t WHERE p.id = t.product_id",
    );
    await client.query("COMMIT");
    aside.log(`postgres: loaded ${orders.length.toLocaleString("en")} seeded orders from ${path}`);
    return true;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
