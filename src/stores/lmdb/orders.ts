// Orders in LMDB: one write transaction checks the user and every product, takes the
// stock, and writes the order and its place in the user's list. LMDB has one writer at a
// time across every process that opens the file, and the check runs inside the writer's
// transaction, so no other order (from this process or another) can come between the
// check and the take. The transaction commits all of it or none.

import {
  namesFrom,
  type Order,
  type OrderBook,
  type OrderRequest,
  type OrderTotals,
  type PlaceResult,
  planFromStored,
  type UserOrder,
  unitsOf,
  userOrderOf,
} from "../../lib/order.ts";
import type { LmdbFile, LmdbGuard } from "./engine.ts";
import { orderIdOfEntry, userOrderEntry } from "./engine.ts";

export class LmdbOrderBook implements OrderBook {
  private readonly f: LmdbFile;
  private readonly guard: LmdbGuard;
  constructor(f: LmdbFile, guard: LmdbGuard) {
    this.f = f;
    this.guard = guard;
  }

  product = (id: string) => this.guard.read(() => this.f.products.get(id));
  order = (id: string) => this.guard.read(() => this.f.orders.get(id));

  place(request: OrderRequest): Promise<PlaceResult> {
    return this.guard.commit(() => {
      const userExists = this.f.users.doesExist(request.user_id);
      const { plan, after } = planFromStored(request, userExists, (id) => this.f.products.get(id));
      if (!plan.ok) return plan;
      const { order } = plan;
      for (const p of after) this.f.products.put(p.id, JSON.stringify(p));
      this.f.orders.put(order.id, JSON.stringify(order));
      this.f.userOrders.put(order.user_id, userOrderEntry(order.created_at, order.id));
      return plan;
    });
  }

  ordersOf(userId: string): UserOrder[] {
    return this.guard.read(() => {
      const nameOf = namesFrom((id) => this.f.products.get(id));
      const entries = [...this.f.userOrders.getValues(userId)].reverse();
      return entries.map((e) =>
        userOrderOf(JSON.parse(this.f.orders.get(orderIdOfEntry(e)) as string) as Order, nameOf),
      );
    });
  }

  totals(): OrderTotals {
    return this.guard.read(() => {
      let orders = 0;
      let units = 0;
      for (const { value } of this.f.orders.getRange()) {
        orders++;
        units += unitsOf(JSON.parse(value) as Order);
      }
      return { orders, units };
    });
  }
}
