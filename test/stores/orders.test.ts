// Products and orders through the real server, on every approach: the stores that take
// orders write them all or nothing; the others answer 501 and say why.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { IDS_FILE, PRODUCT_STOCK, seed } from "../../src/lab/harness/seed.ts";
import { type ServerProcess, startServer } from "../../src/lab/harness/server-process.ts";
import { PRODUCTS_FILE } from "../../src/lib/order.ts";
import { APPROACHES, allStores } from "../../src/stores/index.ts";
import { getText, tempDir } from "../_helpers.ts";

/** What each store declares about orders, and whether it is the ceiling. */
const DECLARED = new Map(await allStores());
const UNKNOWN = "00000000-0000-4000-8000-000000000000";

async function post(url: string, body: unknown) {
  const res = await fetch(`${url}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), location: res.headers.get("location") };
}

interface Health {
  orders?: number;
  units_ordered?: number;
}

for (const approach of APPROACHES) {
  describe(`${approach}: products and orders`, () => {
    const dataDir = tempDir(`orders-${approach}`);
    let server: ServerProcess;
    let users: string[] = [];
    let products: string[] = [];
    const stock = async (id: string) =>
      JSON.parse((await getText(`${server.url}/products/${id}`)).text).stock as number;
    const health = async () => JSON.parse((await getText(`${server.url}/health`)).text) as Health;

    before(async () => {
      seed({ dataDir, count: 50, products: 5 });
      users = readFileSync(join(dataDir, IDS_FILE), "utf8").trim().split("\n");
      products = readFileSync(join(dataDir, PRODUCTS_FILE), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).id);
      server = await startServer({ approach, dataDir });
    });
    after(() => server?.stop());

    const store = DECLARED.get(approach);
    if (store?.ceiling) {
      it("answers every order route with fixed data and stores nothing (the ceiling)", async () => {
        const placed = await post(server.url, {
          user_id: users[0],
          items: [{ product_id: products[0], quantity: 1 }],
        });
        assert.equal(placed.status, 201, placed.text);
        assert.equal(
          (await getText(`${server.url}/orders/${JSON.parse(placed.text).id}`)).status,
          404,
        );
        assert.equal((await getText(`${server.url}/products/${products[0]}`)).status, 200);
        const joined = JSON.parse((await getText(`${server.url}/users/${users[0]}/orders`)).text);
        assert.equal(joined.orders.length, 1);
        assert.deepEqual(await health(), { ...(await health()), orders: 0, units_ordered: 0 });
      });
      return;
    }

    if (store?.ordersUnsupported !== undefined) {
      it("answers 501 on every order route, saying why and what to use", async () => {
        const order = await post(server.url, {
          user_id: users[0],
          items: [{ product_id: products[0], quantity: 1 }],
        });
        const product = await getText(`${server.url}/products/${products[0]}`);
        const got = await getText(`${server.url}/orders/${UNKNOWN}`);
        const joined = await getText(`${server.url}/users/${users[0]}/orders`);
        for (const r of [order, product, got, joined]) {
          assert.equal(r.status, 501, r.text);
          const error = JSON.parse(r.text).error as string;
          assert.ok(error.startsWith(`APPROACH=${approach} does not take orders: `), error);
          assert.match(error, /for orders, use .*sqlite/);
        }
      });
      return;
    }

    it("places an order: 201 with its items and total, and takes the stock", async () => {
      const before = await stock(products[0] as string);
      const price = JSON.parse((await getText(`${server.url}/products/${products[0]}`)).text)
        .price_cents as number;
      const r = await post(server.url, {
        user_id: users[0],
        items: [
          { product_id: products[0], quantity: 3 },
          { product_id: products[1], quantity: 1 },
        ],
      });
      assert.equal(r.status, 201, r.text);
      const order = JSON.parse(r.text);
      assert.equal(r.location, `/orders/${order.id}`);
      assert.equal(order.user_id, users[0]);
      assert.deepEqual(
        order.items.map((i: { product_id: string; quantity: number }) => [
          i.product_id,
          i.quantity,
        ]),
        [
          [products[0], 3],
          [products[1], 1],
        ],
      );
      assert.equal(order.items[0].price_cents, price);
      assert.equal(
        order.total_cents,
        order.items.reduce(
          (s: number, i: { quantity: number; price_cents: number }) =>
            s + i.quantity * i.price_cents,
          0,
        ),
      );
      assert.equal(await stock(products[0] as string), before - 3);
      assert.equal((await getText(`${server.url}/orders/${order.id}`)).text, r.text);
    });

    it("refuses unknown users and products with 404 naming which, and writes nothing", async () => {
      const before = [await stock(products[0] as string), await health()];
      const noUser = await post(server.url, {
        user_id: UNKNOWN,
        items: [{ product_id: products[0], quantity: 1 }],
      });
      assert.equal(noUser.status, 404, noUser.text);
      assert.match(JSON.parse(noUser.text).error, new RegExp(`no user with id "${UNKNOWN}"`));
      const noProduct = await post(server.url, {
        user_id: users[0],
        items: [
          { product_id: products[0], quantity: 1 },
          { product_id: UNKNOWN, quantity: 1 },
        ],
      });
      assert.equal(noProduct.status, 404, noProduct.text);
      assert.match(JSON.parse(noProduct.text).error, new RegExp(`no product with id "${UNKNOWN}"`));
      assert.deepEqual([await stock(products[0] as string), await health()], before);
    });

    it("refuses an order that wants more than the stock with 409, and writes nothing of it", async () => {
      const before = [
        await stock(products[2] as string),
        await stock(products[3] as string),
        await health(),
      ];
      const r = await post(server.url, {
        user_id: users[1],
        items: [
          { product_id: products[2], quantity: 1 },
          { product_id: products[3], quantity: PRODUCT_STOCK + 1 },
        ],
      });
      assert.equal(r.status, 409, r.text);
      assert.match(
        JSON.parse(r.text).error,
        /not enough stock .*1001 wanted, 1000 left; nothing was ordered/,
      );
      assert.deepEqual(
        [await stock(products[2] as string), await stock(products[3] as string), await health()],
        before,
      );
    });

    it("refuses malformed orders with 400 that names the rule", async () => {
      const p = products[0];
      const cases: [unknown, RegExp][] = [
        [{ user_id: users[0], items: [] }, /items must list at least one product/],
        [
          { user_id: users[0], items: [{ product_id: p, quantity: 0 }] },
          /quantity must be at least 1/,
        ],
        [
          { user_id: users[0], items: [{ product_id: p, quantity: 1.5 }] },
          /quantity must be a whole number/,
        ],
        [
          { user_id: users[0], items: [{ product_id: p, quantity: "2" }] },
          /quantity must be a number/,
        ],
        [
          {
            user_id: users[0],
            items: [
              { product_id: p, quantity: 1 },
              { product_id: p, quantity: 2 },
            ],
          },
          /must not list a product twice/,
        ],
        [{ user_id: "nope", items: [{ product_id: p, quantity: 1 }] }, /user_id must be an id/],
        [{ items: [{ product_id: p, quantity: 1 }] }, /user_id is required/],
        [{ user_id: users[0], items: [{ product_id: p, quantity: 1, note: "x" }] }, /note/],
        [{ user_id: users[0], items: "all" }, /items must be an array/],
        ["[]", /must be a JSON object/],
      ];
      const before = await health();
      for (const [body, says] of cases) {
        const r = await post(server.url, body);
        assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
        assert.match(JSON.parse(r.text).error, says, JSON.stringify(body));
      }
      assert.deepEqual(await health(), before);
    });

    it("sells the last units of a product once, however many orders race for them", async () => {
      const target = products[4] as string;
      const left = await stock(target);
      // Take all but 10 units in one order, then race 40 orders of 1 for the last 10.
      assert.equal(
        (
          await post(server.url, {
            user_id: users[2],
            items: [{ product_id: target, quantity: left - 10 }],
          })
        ).status,
        201,
      );
      const race = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          post(server.url, {
            user_id: users[i % users.length],
            items: [{ product_id: target, quantity: 1 }],
          }),
        ),
      );
      assert.equal(race.filter((r) => r.status === 201).length, 10);
      assert.equal(race.filter((r) => r.status === 409).length, 30);
      assert.equal(await stock(target), 0);
    });

    it("lists a user's orders newest first, each item with its product's name (the join)", async () => {
      const user = users[44] as string; // the race above ordered for users 0 to 39
      const placed = [];
      for (const items of [
        [{ product_id: products[0], quantity: 1 }],
        [
          { product_id: products[1], quantity: 2 },
          { product_id: products[0], quantity: 1 },
        ],
      ]) {
        const r = await post(server.url, { user_id: user, items });
        assert.equal(r.status, 201, r.text);
        placed.push(JSON.parse(r.text));
      }
      const res = await getText(`${server.url}/users/${user}/orders`);
      assert.equal(res.status, 200, res.text);
      const body = JSON.parse(res.text);
      assert.deepEqual(body.user, JSON.parse((await getText(`${server.url}/users/${user}`)).text));
      const names = new Map<string, string>();
      for (const id of products)
        names.set(id, JSON.parse((await getText(`${server.url}/products/${id}`)).text).name);
      const expected = placed.reverse().map((o) => ({
        id: o.id,
        created_at: o.created_at,
        total_cents: o.total_cents,
        items: o.items.map((i: { product_id: string; quantity: number; price_cents: number }) => ({
          product_id: i.product_id,
          name: names.get(i.product_id),
          quantity: i.quantity,
          price_cents: i.price_cents,
        })),
      }));
      assert.deepEqual(body.orders, expected);
      const none = JSON.parse((await getText(`${server.url}/users/${users[47]}/orders`)).text);
      assert.deepEqual(none.orders, [], "a user with no orders has an empty list");
      for (const id of [UNKNOWN, "nope"]) {
        const missing = await getText(`${server.url}/users/${id}/orders`);
        assert.equal(missing.status, 404, missing.text);
        assert.match(JSON.parse(missing.text).error, /no user with id/);
      }
    });

    it("keeps orders and stock across a restart, and stock plus units ordered equals what was seeded", async () => {
      const beforeStock = await Promise.all(products.map(stock));
      const beforeHealth = await health();
      const joined = (await getText(`${server.url}/users/${users[44]}/orders`)).text;
      assert.equal(await server.stop(), 0, server.stderr());
      server = await startServer({ approach, dataDir });
      assert.equal((await getText(`${server.url}/users/${users[44]}/orders`)).text, joined);
      assert.deepEqual(await Promise.all(products.map(stock)), beforeStock);
      const after = await health();
      assert.deepEqual(
        [after.orders, after.units_ordered],
        [beforeHealth.orders, beforeHealth.units_ordered],
      );
      const remaining = beforeStock.reduce((a, b) => a + b, 0);
      assert.equal(remaining + (after.units_ordered ?? 0), products.length * PRODUCT_STOCK);
    });
  });
}
