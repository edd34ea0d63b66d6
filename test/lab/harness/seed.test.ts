import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { IDS_FILE, NoRoomError, seed, seedBytes } from "../../../src/lab/harness/seed.ts";
import { DB_FILE } from "../../../src/lib/engines/sqlite.ts";
import { INDEX_FILE, SORTED_FILE } from "../../../src/lib/files/sorted-file.ts";
import { USERS_FILE } from "../../../src/lib/files/user-log.ts";
import { snapshot, tempDir } from "../../_helpers.ts";

describe("seed", () => {
  it("refuses a size the disk cannot hold before it writes anything, saying how much it needs", {
    skip: process.getuid?.() === 0 ? undefined : "mounting a small tmpfs needs root",
  }, () => {
    const dir = tempDir("seed-room");
    assert.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]).status, 0);
    try {
      assert.throws(
        () => seed({ dataDir: dir, count: 100_000 }),
        (err: Error) => {
          assert.ok(err instanceof NoRoomError);
          assert.match(
            err.message,
            /^seeding 100,000 users needs about \d+ MiB free in .* \(its files, and room to sort them\); 2 MiB is free there\. .*Nothing was written\.$/,
          );
          return true;
        },
      );
      assert.deepEqual(readdirSync(dir), []);
      seed({ dataDir: dir, count: 1_000 });
    } finally {
      spawnSync("umount", [dir]);
    }
  });

  it("estimates what a seed takes on disk within 15% of what it took", () => {
    const dir = tempDir("seed-size");
    seed({ dataDir: dir, count: 20_000 });
    const took = Object.values(snapshot(dir)).reduce((n, v) => n + Number(v.split(":")[0]), 0);
    const estimate = seedBytes(20_000, 42) / 1.1; // without its margin
    // The estimate also counts the sort's runs, written and removed again: about a line per user.
    const runs = statSync(join(dir, USERS_FILE)).size;
    assert.ok(
      Math.abs(estimate - (took + runs)) / (took + runs) < 0.15,
      `${estimate} vs ${took + runs}`,
    );
  });

  it("is deterministic: the same count and seed give the same bytes", () => {
    const a = tempDir("seed-a");
    const b = tempDir("seed-b");
    seed({ dataDir: a, count: 500, seed: 7 });
    seed({ dataDir: b, count: 500, seed: 7 });
    const sa = snapshot(a);
    const sb = snapshot(b);
    // users.db embeds nothing random either, but compare the text files strictly.
    for (const f of [USERS_FILE, IDS_FILE, SORTED_FILE, INDEX_FILE]) assert.equal(sa[f], sb[f], f);
    const c = tempDir("seed-c");
    seed({ dataDir: c, count: 500, seed: 8 });
    assert.notEqual(snapshot(c)[USERS_FILE], sa[USERS_FILE]);
  });

  it("writes every form from the same records", () => {
    const dir = tempDir("seed-forms");
    seed({ dataDir: dir, count: 300 });
    const lines = readFileSync(join(dir, USERS_FILE), "utf8").trim().split("\n");
    const ids = readFileSync(join(dir, IDS_FILE), "utf8").trim().split("\n");
    assert.equal(lines.length, 300);
    assert.deepEqual(
      ids,
      lines.map((l) => JSON.parse(l).id),
    );
    assert.equal(new Set(ids).size, 300, "ids are unique");
    const sorted = readFileSync(join(dir, SORTED_FILE), "utf8").trim().split("\n");
    assert.deepEqual(
      sorted,
      lines.slice().sort((x, y) => (JSON.parse(x).id < JSON.parse(y).id ? -1 : 1)),
    );
    const db = new DatabaseSync(join(dir, DB_FILE), { readOnly: true });
    const rows = db.prepare("SELECT id, name, email, created_at FROM users ORDER BY id").all();
    db.close();
    assert.deepEqual(
      rows.map((r) => JSON.stringify({ ...r })),
      sorted,
    );
  });
});
