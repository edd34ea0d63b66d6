// The power-cut filesystem: what it keeps and what it drops when the plug is pulled.
// Needs /dev/fuse, root and python3-fusepy; .ci/run installs the package.
import assert from "node:assert/strict";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { mountLazyFs, powerCutUnavailable } from "../../../src/lab/faults/powercut/mount.ts";
import { seed } from "../../../src/lab/harness/seed.ts";
import { SEED_ID_FILE } from "../../../src/lib/engines/seeded.ts";
import { AtomicFile, fsyncDir, openAppend } from "../../../src/lib/files/durable-fs.ts";
import { snapshot, tempDir } from "../../_helpers.ts";

const unavailable = powerCutUnavailable();
const skip = unavailable ? `power-cut tests skipped: ${unavailable}` : false;

/** Runs `work` on a fresh mount, pulls the plug, and returns the backing directory. */
async function afterCut(work: (dir: string) => void): Promise<{ dir: string; report: string }> {
  const base = tempDir("lazyfs");
  const backing = join(base, "backing");
  const mnt = join(base, "mnt");
  const mount = await mountLazyFs(backing, mnt);
  try {
    work(mnt);
  } catch (err) {
    await mount.cut();
    throw err;
  }
  const report = await mount.cut();
  return { dir: backing, report };
}

function appendSynced(path: string, text: string, sync: boolean): void {
  const fd = openSync(path, "a");
  writeSync(fd, text);
  if (sync) fsyncSync(fd);
  closeSync(fd);
}

describe("the power-cut filesystem", { skip }, () => {
  it("drops an unsynced write and keeps a synced one", async () => {
    const { dir, report } = await afterCut((mnt) => {
      writeFileSync(join(mnt, "f"), "");
      fsyncDir(mnt);
      appendSynced(join(mnt, "f"), "synced\n", true);
      appendSynced(join(mnt, "f"), "lost\n", false);
      assert.equal(
        readFileSync(join(mnt, "f"), "utf8"),
        "synced\nlost\n",
        "before the cut both are there",
      );
    });
    assert.equal(readFileSync(join(dir, "f"), "utf8"), "synced\n");
    assert.match(report, /dropped 1 unsynced writes/);
  });

  it("loses a write whose fsync failed, unless its pages are written again and synced", async () => {
    const base = tempDir("lazyfs-eio");
    const [backing, mnt] = [join(base, "backing"), join(base, "mnt")];
    const mount = await mountLazyFs(backing, mnt);
    const page = (c: string) => Buffer.alloc(4096, c);
    try {
      for (const name of ["lost", "rewritten"]) {
        const fd = openSync(join(mnt, name), "w");
        writeSync(fd, page("a"), 0, 4096, 0);
        fsyncSync(fd);
        closeSync(fd);
      }
      fsyncDir(mnt);
      for (const name of ["lost", "rewritten"]) {
        const fd = openSync(join(mnt, name), "r+");
        writeSync(fd, page("b"), 0, 4096, 0);
        mount.misbehave("eio");
        assert.throws(() => fsyncSync(fd), /EIO/);
        if (name === "rewritten") {
          writeSync(fd, page("c"), 0, 4096, 0);
          fsyncSync(fd);
        }
        closeSync(fd);
      }
    } finally {
      await mount.cut();
    }
    assert.deepEqual(readFileSync(join(backing, "lost")), page("a"), "the failed write is gone");
    assert.deepEqual(
      readFileSync(join(backing, "rewritten")),
      page("c"),
      "the page written again and synced stays",
    );
  });

  it("restores bytes that an unsynced write overwrote", async () => {
    const { dir } = await afterCut((mnt) => {
      writeFileSync(join(mnt, "g"), "");
      fsyncDir(mnt);
      appendSynced(join(mnt, "g"), "0123456789", true);
      const fd = openSync(join(mnt, "g"), "r+");
      writeSync(fd, "ABC", 2);
      closeSync(fd);
    });
    assert.equal(readFileSync(join(dir, "g"), "utf8"), "0123456789");
  });

  it("undoes a rename whose directory was not fsynced, and keeps one whose was", async () => {
    const { dir } = await afterCut((mnt) => {
      for (const name of ["a", "b"]) {
        writeFileSync(join(mnt, `${name}.tmp`), `new ${name}`);
        writeFileSync(join(mnt, name), `old ${name}`);
      }
      fsyncDir(mnt);
      for (const file of ["a", "a.tmp", "b", "b.tmp"]) {
        const fd = openSync(join(mnt, file), "r+");
        fsyncSync(fd);
        closeSync(fd);
      }
      renameSync(join(mnt, "a.tmp"), join(mnt, "a"));
      fsyncDir(mnt); // a's rename is durable from here
      renameSync(join(mnt, "b.tmp"), join(mnt, "b")); // b's is not
    });
    assert.equal(readFileSync(join(dir, "a"), "utf8"), "new a");
    assert.ok(!existsSync(join(dir, "a.tmp")));
    assert.equal(readFileSync(join(dir, "b"), "utf8"), "old b", "the replaced file is back");
    assert.equal(readFileSync(join(dir, "b.tmp"), "utf8"), "new b");
  });

  it("loses a created file whose directory was never fsynced, even if the file was", async () => {
    const { dir } = await afterCut((mnt) => {
      mkdirSync(join(mnt, "sub"));
      fsyncDir(mnt);
      appendSynced(join(mnt, "sub", "kept"), "x", true);
      fsyncDir(join(mnt, "sub"));
      appendSynced(join(mnt, "sub", "orphan"), "y", true);
    });
    assert.equal(readFileSync(join(dir, "sub", "kept"), "utf8"), "x");
    assert.ok(!existsSync(join(dir, "sub", "orphan")));
  });

  it("keeps a file replaced the durable way: write temp, fsync, rename, fsync directory", async () => {
    const { dir } = await afterCut((mnt) => {
      for (const version of [1, 2]) {
        const file = new AtomicFile(join(mnt, "config.json"));
        file.write(`{"v":${version}}`);
        file.commit();
      }
    });
    assert.equal(readFileSync(join(dir, "config.json"), "utf8"), '{"v":2}');
  });

  it("keeps files created in directories that did not exist: their parents are made durable too", async () => {
    const { dir } = await afterCut((mnt) => {
      const file = new AtomicFile(join(mnt, "new", "deeper", "atomic.json"));
      file.write("{}");
      file.commit();
      const fd = openAppend(join(mnt, "other", "log.jsonl"));
      writeSync(fd, "line\n");
      fsyncSync(fd);
      closeSync(fd);
    });
    assert.equal(readFileSync(join(dir, "new", "deeper", "atomic.json"), "utf8"), "{}");
    assert.equal(readFileSync(join(dir, "other", "log.jsonl"), "utf8"), "line\n");
  });

  it("keeps everything a seed wrote: each file is replaced the durable way", async () => {
    const reference = tempDir("seed-ref");
    seed({ dataDir: reference, count: 300 });
    const { dir } = await afterCut((mnt) => seed({ dataDir: mnt, count: 300 }));
    // Each seeding gets a random id: it must be there whole, and every other byte the same.
    const [after, before] = [snapshot(dir), snapshot(reference)];
    assert.match(after[SEED_ID_FILE] ?? "", /^36:/);
    assert.deepEqual({ ...after, [SEED_ID_FILE]: "" }, { ...before, [SEED_ID_FILE]: "" });
  });

  it("runs SQLite in WAL mode, keeping FULL commits and its files consistent", async () => {
    const { dir } = await afterCut((mnt) => {
      const db = new DatabaseSync(join(mnt, "t.db"));
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      db.exec("CREATE TABLE t (n INTEGER)");
      const insert = db.prepare("INSERT INTO t VALUES (?)");
      for (let n = 0; n < 50; n++) insert.run(n);
      db.close();
    });
    const db = new DatabaseSync(join(dir, "t.db"));
    assert.equal((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n, 50);
    assert.equal(
      (db.prepare("PRAGMA integrity_check").get() as { integrity_check: string }).integrity_check,
      "ok",
    );
    db.close();
  });
});
