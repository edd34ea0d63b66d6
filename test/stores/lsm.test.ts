// The LSM store's own mechanics, through the real server: flushes, compactions, restarts and
// the clean-up of a crash's leftovers. A tiny memtable makes every step happen in a second.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { IDS_FILE, seed } from "../../src/lab/harness/seed.ts";
import { startServer } from "../../src/lab/harness/server-process.ts";
import { getText, postJson, tempDir } from "../_helpers.ts";

const SEEDED = 300;
const MEMTABLE = 20;
const WRITES = 400;

interface Health {
  records: number;
  flushes: number;
  compactions: number;
  segments: number;
  frozen_memtables: number;
}

describe("lsm: flush, compaction and restart", () => {
  const dataDir = tempDir("lsm");
  seed({ dataDir, count: SEEDED });
  const seeded = readFileSync(join(dataDir, IDS_FILE), "utf8").trim().split("\n");
  const created = new Map<string, string>();
  const env = { LSM_MEMTABLE_RECORDS: String(MEMTABLE) };

  it("flushes full memtables into segments and merges them, keeping every record readable", async () => {
    const server = await startServer({ approach: "lsm", dataDir, env });
    try {
      for (let i = 0; i < WRITES; i += 20) {
        const batch = await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            postJson(server.url, JSON.stringify({ name: `L ${i + j}`, email: `l${i + j}@x.y` })),
          ),
        );
        for (const r of batch) {
          assert.equal(r.status, 201, r.text);
          created.set(JSON.parse(r.text).id, r.text);
        }
      }
      // Flushes and compactions run in the background: wait until they have settled (no
      // memtable waiting, the segments merged), for up to 10 s on a busy machine.
      const settled = (h: Health) =>
        h.flushes >= WRITES / MEMTABLE - 2 && h.frozen_memtables === 0 && h.segments <= 5;
      let health = JSON.parse((await getText(`${server.url}/health`)).text) as Health;
      for (let i = 0; i < 100 && !settled(health); i++) {
        await new Promise((r) => setTimeout(r, 100));
        health = JSON.parse((await getText(`${server.url}/health`)).text) as Health;
      }
      assert.ok(health.flushes >= WRITES / MEMTABLE - 2, `flushes: ${health.flushes}`);
      assert.ok(health.compactions >= 1, `compactions: ${health.compactions}`);
      assert.ok(health.segments <= 5, `live segments: ${health.segments}`);
      assert.equal(health.records, SEEDED + WRITES);
      for (const [id, body] of created) {
        assert.equal((await getText(`${server.url}/users/${id}`)).text, body, id);
      }
      for (const id of seeded.slice(0, 50)) {
        assert.equal((await getText(`${server.url}/users/${id}`)).status, 200, id);
      }
    } finally {
      assert.equal(await server.stop(), 0, server.stderr());
    }
  });

  it("restarts from the manifest and its logs, and removes what a crash left behind", async () => {
    const lsmDir = join(dataDir, "lsm");
    // What a crash in the middle of a flush leaves: a segment no manifest names, a temp file.
    writeFileSync(join(lsmDir, "seg-999999.jsonl"), "half a segment");
    writeFileSync(join(lsmDir, "MANIFEST.json.tmp-1"), "{");
    const server = await startServer({ approach: "lsm", dataDir, env });
    try {
      const names = readdirSync(lsmDir);
      assert.ok(!names.includes("seg-999999.jsonl"), names.join(" "));
      assert.ok(!names.includes("MANIFEST.json.tmp-1"), names.join(" "));
      assert.match(server.stderr(), /removing seg-999999\.jsonl/);
      const health = JSON.parse((await getText(`${server.url}/health`)).text) as Health;
      assert.equal(health.records, SEEDED + WRITES);
      for (const [id, body] of created) {
        assert.equal((await getText(`${server.url}/users/${id}`)).text, body, id);
      }
    } finally {
      await server.stop();
    }
  });

  it("refuses a damaged manifest in one message that names it, without its bytes", async () => {
    const dir = tempDir("lsm-damaged");
    seed({ dataDir: dir, count: 10 });
    mkdirSync(join(dir, "lsm"));
    writeFileSync(join(dir, "lsm", "MANIFEST.json"), Buffer.from([0, 1, 2, 0xff, 0x7b]));
    await assert.rejects(startServer({ approach: "lsm", dataDir: dir }), (err: Error) => {
      assert.match(err.message, /lsm\/MANIFEST\.json is damaged .*restore it from a backup/);
      assert.ok(!err.message.includes("\0") && !err.message.includes("\ufffd"), "no bytes of it");
      return true;
    });
  });
});
