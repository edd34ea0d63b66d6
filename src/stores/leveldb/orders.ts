// Orders in LevelDB: one atomic batch writes the order, its place in the user's list and
// every product's new stock. LevelDB has batches but no transactions: nothing stops two
// orders from reading the same stock and both taking it. So this process places its orders
// one at a time, in a queue: each reads the stock, writes its batch (synced), and only then
// does the next one read. LevelDB's LOCK file keeps every other process out, so that queue
// is the only writer of stock there is.

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
import { OverloadedError } from "../../lib/storage-errors.ts";
import { keys, type Level, type Put, type SyncedWriter } from "./engine.ts";

/** Orders waiting for their turn; past this, an order gets 503 with Retry-After. */
const QUEUE_MAX_ORDERS = 1024;

export class LevelOrderBook implements OrderBook {
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  private readonly db: Level;
  private readonly writer: SyncedWriter;
  constructor(db: Level, writer: SyncedWriter) {
    this.db = db;
    this.writer = writer;
  }

  product = (id: string) => this.db.getSync(keys.product(id));
  order = (id: string) => this.db.getSync(keys.order(id));

  place(request: OrderRequest): Promise<PlaceResult> {
    if (this.#waiting >= QUEUE_MAX_ORDERS)
      throw new OverloadedError(`${QUEUE_MAX_ORDERS} orders are already waiting; retry`, 1);
    this.#waiting++;
    const turn = this.#tail.then(() => this.#placeNow(request));
    this.#tail = turn.catch(() => {}).finally(() => this.#waiting--);
    return turn;
  }

  async #placeNow(request: OrderRequest): Promise<PlaceResult> {
    const userExists = this.db.getSync(keys.user(request.user_id)) !== undefined;
    const jsonOf = (id: string) => this.db.getSync(keys.product(id));
    const { plan, after } = planFromStored(request, userExists, jsonOf);
    if (!plan.ok) return plan;
    const { order } = plan;
    const puts: Put[] = after.map((p) => ({
      type: "put",
      key: keys.product(p.id),
      value: JSON.stringify(p),
    }));
    puts.push({ type: "put", key: keys.order(order.id), value: JSON.stringify(order) });
    const entry = keys.userOrder(order.user_id, order.created_at, order.id);
    puts.push({ type: "put", key: entry, value: "" });
    await this.writer.write(puts);
    return plan;
  }

  async ordersOf(userId: string): Promise<UserOrder[]> {
    const range = keys.within(keys.userOrders(userId));
    const nameOf = namesFrom((id) => this.db.getSync(keys.product(id)));
    const found: UserOrder[] = [];
    for await (const key of this.db.keys({ ...range, reverse: true })) {
      const json = this.db.getSync(keys.order(key.slice(key.lastIndexOf("\0") + 1)));
      if (json !== undefined) found.push(userOrderOf(JSON.parse(json) as Order, nameOf));
    }
    return found;
  }

  async totals(): Promise<OrderTotals> {
    let orders = 0;
    let units = 0;
    for await (const json of this.db.values(keys.within("o:"))) {
      orders++;
      units += unitsOf(JSON.parse(json) as Order);
    }
    return { orders, units };
  }
}
