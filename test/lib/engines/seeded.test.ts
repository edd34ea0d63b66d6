// Building an engine's files from the seed: once, whole or not at all, never over a
// finished build.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PRODUCT_STOCK, seed } from "../../../src/lab/harness/seed.ts";
import { buildOnce, readSeeded } from "../../../src/lib/engines/seeded.ts";
import { tempDir } from "../../_helpers.ts";

describe("buildOnce", () => {
  it("builds a directory beside its name, then renames it into place, once", async () => {
    const dir = tempDir("build-once");
    const path = join(dir, "engine.db");
    let builds = 0;
    const build = async (temp: string) => {
      builds++;
      mkdirSync(temp);
      writeFileSync(join(temp, "data"), "whole");
    };
    assert.equal(await buildOnce(path, build), true);
    assert.equal(await buildOnce(path, build), false, "a finished build is kept");
    assert.equal(builds, 1);
    assert.equal(readFileSync(join(path, "data"), "utf8"), "whole");
    assert.deepEqual(readdirSync(dir), ["engine.db"], "no temporary name is left");
  });

  it("leaves nothing under the final name when the build fails", async () => {
    const dir = tempDir("build-fails");
    const path = join(dir, "engine.db");
    await assert.rejects(
      buildOnce(path, async (temp) => {
        writeFileSync(temp, "half");
        throw new Error("disk gone");
      }),
      /disk gone/,
    );
    assert.equal(existsSync(path), false);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe("readSeeded", () => {
  it("reads users in the order they were created, products at their stock after the seeded orders", () => {
    const dir = tempDir("read-seeded");
    seed({ dataDir: dir, count: 50, products: 5, orders: 20 });
    const s = readSeeded(dir, () => {});
    const users = [...s.users];
    assert.equal([...s.users].length, 50, "read again from the file each time it is iterated");
    const created = users.map((u) => u.user.created_at);
    assert.deepEqual(created, created.toSorted());
    const ids = users.map((u) => u.user.id);
    assert.notDeepEqual(ids, ids.toSorted(), "random ids: not in id order");
    assert.equal(users.length, 50);
    assert.equal(s.orders.length, 20);
    const units = s.orders.flatMap((o) => o.items).reduce((n, i) => n + i.quantity, 0);
    const taken = s.products.reduce((n, p) => n + (PRODUCT_STOCK - p.stock), 0);
    assert.equal(taken, units, "every unit ordered is taken from the stock");
    assert.equal(users[0]?.json, JSON.stringify(users[0]?.user));
  });
});
