// Seeded orders (npm run seed -- --orders N): deterministic, within the stock, and read the
// same through every store that takes orders, each from its own form of them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { IDS_FILE, PRODUCT_STOCK, seed } from "../../../src/lab/harness/seed.ts";
import { generateOrders } from "../../../src/lab/harness/seed-orders.ts";
import { type ServerProcess, startServer } from "../../../src/lab/harness/server-process.ts";
import { ORDERS_FILE } from "../../../src/lib/memory-orders.ts";
import { snapshot, tempDir } from "../../_helpers.ts";

const USERS = 40;
const PRODUCTS = 5;
const ORDERS = 60;

describe("seeded orders", () => {
  it("are deterministic and spread over the users in ids.txt order", () => {
    const [a, b] = [tempDir("orders-a"), tempDir("orders-b")];
    for (const dir of [a, b])
      seed({ dataDir: dir, count: USERS, products: PRODUCTS, orders: ORDERS });
    assert.equal(snapshot(a)[ORDERS_FILE], snapshot(b)[ORDERS_FILE]);
    const ids = readFileSync(join(a, IDS_FILE), "utf8").trim().split("\n");
    const owners = readFileSync(join(a, ORDERS_FILE), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l.slice(9)).user_id);
    assert.equal(owners.length, ORDERS);
    assert.deepEqual(owners.slice(0, USERS), ids, "order i belongs to user i");
  });

  it("stop, saying how many fit, when the products run out of stock", () => {
    assert.throws(
      () => seed({ dataDir: tempDir("orders-short"), count: 10, products: 1, orders: 5_000 }),
      /stock runs out after \d+ orders; seed more --products/,
    );
    assert.deepEqual(generateOrders(0, { first: [], count: 0, lastCreated: 0 }, [], 1), []);
  });

  for (const approach of ["map", "sqlite", "postgres"]) {
    describe(`read through ${approach}`, () => {
      const dir = tempDir(`orders-${approach}`);
      let server: ServerProcess;
      let first: string;
      before(async () => {
        seed({ dataDir: dir, count: USERS, products: PRODUCTS, orders: ORDERS });
        first = readFileSync(join(dir, IDS_FILE), "utf8").split("\n")[0] as string;
        server = await startServer({ approach, dataDir: dir });
      });
      after(() => server?.stop());

      it("holds every seeded order, and stock plus units ordered is the seeded stock", async () => {
        const health = (await (await fetch(`${server.url}/health`)).json()) as {
          orders: number;
          units_ordered: number;
        };
        assert.equal(health.orders, ORDERS);
        const products = readFileSync(join(dir, "products.jsonl"), "utf8").trim().split("\n");
        let stock = 0;
        for (const line of products) {
          const res = await fetch(`${server.url}/products/${JSON.parse(line).id}`);
          stock += ((await res.json()) as { stock: number }).stock;
        }
        assert.equal(stock + health.units_ordered, PRODUCTS * PRODUCT_STOCK);
      });

      it("answers the join with the user's seeded orders, newest first", async () => {
        const res = await fetch(`${server.url}/users/${first}/orders`);
        const body = (await res.json()) as {
          orders: { created_at: string; items: { name: string }[] }[];
        };
        assert.equal(body.orders.length, Math.ceil(ORDERS / USERS));
        const times = body.orders.map((o) => o.created_at);
        assert.deepEqual(times, [...times].sort().reverse());
        for (const o of body.orders) for (const i of o.items) assert.match(i.name, / no\. \d+$/);
      });
    });
  }
});
