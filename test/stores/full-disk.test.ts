// A full disk, for real: each approach serves a DATA_DIR on its own small tmpfs, a ballast
// file takes every free byte, and POSTs go on until the store refuses one. The contract:
// every refusal is 507 and says the disk is full, reads go on, writes resume once space
// is freed (no restart), and a restart finds every acknowledged record as it was sent. A
// store that cannot resume on its own says so (503, "restart to recover") and resumes after
// a restart.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createdId, get, health, post, userBody } from "../../src/lab/harness/client.ts";
import { seed } from "../../src/lab/harness/seed.ts";
import { type ServerProcess, startServer } from "../../src/lab/harness/server-process.ts";
import { choosable } from "../../src/stores/index.ts";

const SEEDED = 200;
/** Room for PostgreSQL's cluster and a WAL segment; tmpfs takes memory only as it fills. */
const TMPFS_SIZE = "256m";
/** Writes before the disk fills, all acknowledged. */
const BEFORE_FULL = 20;
/**
 * POSTs tried on the full disk before giving up on seeing a refusal: SQLite may first fill
 * WAL pages it already has, 4 KiB per commit.
 */
const MAX_TRIES_WHEN_FULL = 5_000;
/** lsm flushes a memtable every few writes here, so its background work meets the full disk too. */
const ENV: Record<string, Record<string, string>> = { lsm: { LSM_MEMTABLE_RECORDS: "10" } };
/** How long writes may take to resume once space is freed (lsm retries its flush each second). */
const RESUME_MS_MAX = 10_000;
/**
 * Stores that cannot resume without a restart, and why: they answer 503 and name the full
 * disk, and GET /health says "degraded". LevelDB cannot take back the part of a log record
 * that a failed write left, and would append the next one after it.
 */
const RESTARTS_WHEN_FULL: Record<string, RegExp> = {
  leveldb: /LevelDB could not write its log .*\(the disk is full\).*restart to recover/,
};

/** Why this machine cannot mount a tmpfs for the test, or undefined if it can. */
function cannotMount(): string | undefined {
  if (process.platform !== "linux") return "tmpfs mounts need Linux";
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  return undefined;
}

/** A fresh directory on its own small tmpfs, unmounted and removed when the file ends. */
function tmpfsDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `needadb-${label}-`));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_SIZE}`, "tmpfs", dir], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`mount tmpfs on ${dir} failed: ${r.stderr}`);
  after(() => {
    spawnSync("umount", [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes a file until the disk is full; returns its path. */
function fillDisk(dir: string): string {
  const path = join(dir, "ballast");
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
  // A partial chunk may still fit: fill to the last byte.
  const last = openSync(path, "a");
  try {
    for (;;) writeSync(last, Buffer.alloc(1, 1));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(last);
  }
  return path;
}

const STORES = await choosable();

describe("a full disk", { skip: cannotMount() }, () => {
  for (const approach of STORES) {
    it(`${approach}: 507 while full, reads served, writes resume, nothing acknowledged lost`, async () => {
      const dataDir = tmpfsDir(`full-${approach}`);
      seed({ dataDir, count: SEEDED });
      const acked = new Map<string, string>();
      const env = ENV[approach] ?? {};
      let server: ServerProcess | undefined = await startServer({ approach, dataDir, env });
      try {
        const write = async (tag: string) => {
          const answer = await post(server?.url as string, "/users", userBody("Full", tag));
          if (answer.status === 201) acked.set(createdId(answer.text), answer.text);
          return answer;
        };
        for (let i = 0; i < BEFORE_FULL; i++) assert.equal((await write(`a${i}`)).status, 201);

        const ballast = fillDisk(dataDir);
        let refusal: { status: number; text: string } | undefined;
        for (let i = 0; i < MAX_TRIES_WHEN_FULL && !refusal; i++) {
          const answer = await write(`b${i}`);
          if (answer.status !== 201) refusal = answer;
        }
        assert.ok(refusal, `no write was refused in ${MAX_TRIES_WHEN_FULL} tries on a full disk`);
        const restarts = RESTARTS_WHEN_FULL[approach];
        assert.equal(refusal.status, restarts ? 503 : 507, refusal.text);
        assert.match(refusal.text, restarts ?? /disk is full.*Free space/);

        const [someId, someBody] = [...acked][0] as [string, string];
        const read = await get(server.url, `/users/${someId}`);
        assert.deepEqual({ status: read.status, text: read.text }, { status: 200, text: someBody });
        assert.equal((await health(server.url)).status, restarts ? "degraded" : "ok");

        rmSync(ballast);
        if (restarts) {
          assert.equal(await server.stop(), 0, server.stderr());
          server = await startServer({ approach, dataDir, env });
        }
        const deadline = performance.now() + RESUME_MS_MAX;
        let resumed = false;
        for (let i = 0; !resumed && performance.now() < deadline; i++) {
          const answer = await write(`c${i}`);
          resumed = answer.status === 201;
          if (!resumed) {
            assert.equal(answer.status, 507, answer.text);
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        assert.ok(resumed, `writes did not resume within ${RESUME_MS_MAX} ms of freeing space`);

        assert.equal(await server.stop(), 0, server.stderr());
        server = await startServer({ approach, dataDir, env });
        for (const [id, body] of acked) {
          const read = await get(server.url, `/users/${id}`);
          assert.deepEqual(
            { status: read.status, text: read.text },
            { status: 200, text: body },
            id,
          );
        }
      } finally {
        await server?.stop();
      }
    });
  }
});
