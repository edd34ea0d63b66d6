import assert from "node:assert/strict";
import { appendFileSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CorruptLineError } from "../../src/lib/files/jsonl.ts";
import { SetAside } from "../../src/lib/files/set-aside.ts";
import {
  frameOrder,
  ORDERS_FILE,
  openMemoryOrderBook,
  unframeOrder,
} from "../../src/lib/memory-orders.ts";
import { newOrder, PRODUCTS_FILE } from "../../src/lib/order.ts";
import { tempDir } from "../_helpers.ts";

const PRODUCT = "11111111-1111-4111-8111-111111111111";
const USER = "22222222-2222-4222-8222-222222222222";

function fresh(label: string): string {
  const dir = tempDir(label);
  writeFileSync(
    join(dir, PRODUCTS_FILE),
    `${JSON.stringify({ id: PRODUCT, name: "Kettle", price_cents: 500, stock: 10 })}\n`,
  );
  return dir;
}

const order = (quantity: number) =>
  newOrder(USER, [{ product_id: PRODUCT, quantity, price_cents: 500 }]);

describe("the map stores' order log", () => {
  it("frames a record with a checksum that catches any change", () => {
    const line = frameOrder(order(2));
    assert.ok("value" in unframeOrder(line));
    assert.deepEqual(unframeOrder(line.replace('"quantity":2', '"quantity":3')), {
      reason: "its checksum does not match",
    });
  });

  it("replays whole orders, and drops a torn last one with its stock change", async () => {
    const dir = fresh("orders-torn");
    const path = join(dir, ORDERS_FILE);
    writeFileSync(path, `${frameOrder(order(2))}\n${frameOrder(order(3))}\n`);
    truncateSync(path, readFileSync(path).length - 20); // the second record, torn by a crash
    const logs: string[] = [];
    const book = openMemoryOrderBook(
      dir,
      new SetAside(dir, (m) => logs.push(m)),
      () => true,
      undefined,
    );
    assert.deepEqual(book.totals(), { orders: 1, units: 2 });
    assert.equal(JSON.parse(book.product(PRODUCT) as string).stock, 8);
    assert.match(
      logs.join("\n"),
      /set aside \d+ bytes from offset \d+ in recovered\/orders\.jsonl\.bytes-.*: a torn last record/,
    );
    await book.close();
  });

  it("refuses to start on a damaged record that is not the last", () => {
    const dir = fresh("orders-corrupt");
    const good = frameOrder(order(1));
    writeFileSync(
      join(dir, ORDERS_FILE),
      `${good.replace('"quantity":1', '"quantity":9')}\n${good}\n`,
    );
    assert.throws(
      () => openMemoryOrderBook(dir, new SetAside(dir, () => {}), () => true, undefined),
      (err) =>
        err instanceof CorruptLineError && /line 1: its checksum does not match/.test(err.message),
    );
  });

  it("gives the stock back when the record cannot be written", async () => {
    const dir = fresh("orders-full");
    appendFileSync(join(dir, ORDERS_FILE), "");
    const book = openMemoryOrderBook(dir, new SetAside(dir, () => {}), () => true, {
      maxBatch: 1,
      maxQueue: 1,
    });
    // Three at once: the first is being written, the second waits in the queue of one,
    // and the third finds it full and is refused before anything is written.
    const results = await Promise.allSettled(
      [1, 2, 3].map((quantity) =>
        book.place({ user_id: USER, items: [{ product_id: PRODUCT, quantity }] }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ["fulfilled", "fulfilled", "rejected"],
    );
    assert.equal(JSON.parse(book.product(PRODUCT) as string).stock, 7);
    assert.deepEqual(book.totals(), { orders: 2, units: 3 });
    await book.close();
  });
});
