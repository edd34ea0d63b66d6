// Orders in SQLite: one BEGIN IMMEDIATE transaction checks the user and every product,
// takes the stock and writes the order with its items. SQLite commits all of it or none,
// and the write lock it takes first means no other process can change the stock between
// the check and the take. The CHECK (stock >= 0) would refuse an oversell even so.

import {
  foldUserOrders,
  type Order,
  type OrderBook,
  type OrderRequest,
  type OrderTotals,
  type PlaceResult,
  planOrder,
  type UserOrder,
  type UserOrderRow,
} from "../order.ts";
import type { SqliteStatement, UsersDb } from "./sqlite.ts";

export const ORDERS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    stock INTEGER NOT NULL CHECK (stock >= 0)
  );
  CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    total_cents INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS order_items (
    order_id TEXT NOT NULL REFERENCES orders (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    price_cents INTEGER NOT NULL,
    PRIMARY KEY (order_id, product_id)
  );
  CREATE INDEX IF NOT EXISTS orders_by_user ON orders (user_id)`;

export class SqliteOrderBook implements OrderBook {
  private readonly users: UsersDb;
  private readonly productStmt: SqliteStatement;
  private readonly userStmt: SqliteStatement;
  private readonly takeStmt: SqliteStatement;
  private readonly orderStmt: SqliteStatement;
  private readonly itemStmt: SqliteStatement;
  private readonly findOrderStmt: SqliteStatement;
  private readonly findItemsStmt: SqliteStatement;
  private readonly totalsStmt: SqliteStatement;
  private readonly ordersOfStmt: SqliteStatement;

  constructor(users: UsersDb) {
    this.users = users;
    const db = users.db;
    users.migrate(ORDERS_SCHEMA);
    this.productStmt = db.prepare("SELECT id, name, price_cents, stock FROM products WHERE id = ?");
    this.userStmt = db.prepare("SELECT 1 AS found FROM users WHERE id = ?");
    this.takeStmt = db.prepare("UPDATE products SET stock = stock - ? WHERE id = ?");
    this.orderStmt = db.prepare(
      "INSERT INTO orders (id, user_id, total_cents, created_at) VALUES (?, ?, ?, ?)",
    );
    this.itemStmt = db.prepare(
      "INSERT INTO order_items (order_id, product_id, quantity, price_cents) VALUES (?, ?, ?, ?)",
    );
    this.findOrderStmt = db.prepare(
      "SELECT id, user_id, total_cents, created_at FROM orders WHERE id = ?",
    );
    this.findItemsStmt = db.prepare(
      "SELECT product_id, quantity, price_cents FROM order_items WHERE order_id = ? ORDER BY rowid",
    );
    // The join: orders_by_user finds the user's orders, the primary keys their items and
    // products. Newest first; an order's items in the order they were placed (rowid).
    this.ordersOfStmt = db.prepare(
      `SELECT o.id, o.created_at, o.total_cents, i.product_id, p.name, i.quantity, i.price_cents
       FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id
       WHERE o.user_id = ? ORDER BY o.created_at DESC, o.rowid DESC, i.rowid`,
    );
    this.totalsStmt = db.prepare(
      "SELECT (SELECT count(*) FROM orders) AS orders, (SELECT coalesce(sum(quantity), 0) FROM order_items) AS units",
    );
  }

  product(id: string): string | undefined {
    const row = this.productStmt.get(id) as Record<string, unknown> | undefined;
    return row && JSON.stringify({ ...row });
  }

  order(id: string): string | undefined {
    const row = this.findOrderStmt.get(id) as Omit<Order, "items"> | undefined;
    if (!row) return undefined;
    const items = this.findItemsStmt.all(id) as unknown as Order["items"];
    const { user_id, total_cents, created_at } = row;
    return JSON.stringify({
      id,
      user_id,
      items: items.map((i) => ({ ...i })),
      total_cents,
      created_at,
    });
  }

  ordersOf(userId: string): UserOrder[] {
    return foldUserOrders(this.ordersOfStmt.all(userId) as unknown as UserOrderRow[]);
  }

  place(request: OrderRequest): PlaceResult | Promise<PlaceResult> {
    return this.users.transaction(() => {
      const plan = planOrder(
        request,
        this.userStmt.get(request.user_id) !== undefined,
        (id) => this.productStmt.get(id) as { price_cents: number; stock: number } | undefined,
      );
      if (!plan.ok) return plan;
      const o = plan.order;
      this.orderStmt.run(o.id, o.user_id, o.total_cents, o.created_at);
      for (const item of o.items) {
        this.takeStmt.run(item.quantity, item.product_id);
        this.itemStmt.run(o.id, item.product_id, item.quantity, item.price_cents);
      }
      return plan;
    });
  }

  totals(): OrderTotals {
    const row = this.totalsStmt.get() as { orders: number; units: number };
    return { orders: Number(row.orders), units: Number(row.units) };
  }
}
