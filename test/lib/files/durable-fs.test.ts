import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { AtomicFile } from "../../../src/lib/files/durable-fs.ts";
import { tempDir } from "../../_helpers.ts";

describe("atomic file replacement", () => {
  const dir = tempDir("durable");

  it("replaces the target only on commit", () => {
    const path = join(dir, "a.txt");
    writeFileSync(path, "old");
    const file = new AtomicFile(path);
    file.write("new ");
    file.write(Buffer.from("contents"));
    assert.equal(readFileSync(path, "utf8"), "old", "before commit the old file stands");
    file.commit();
    assert.equal(readFileSync(path, "utf8"), "new contents");
    assert.deepEqual(readdirSync(dir), ["a.txt"], "no temporary file is left");
  });

  it("leaves the target untouched on abort", () => {
    const path = join(dir, "b.txt");
    writeFileSync(path, "keep");
    const file = new AtomicFile(path);
    file.write("discard");
    file.abort();
    assert.equal(readFileSync(path, "utf8"), "keep");
    assert.ok(!existsSync(file.tempPath));
  });

  it("creates missing directories", () => {
    const path = join(dir, "nested", "deeper", "c.txt");
    const file = new AtomicFile(path);
    file.write("x");
    file.commit();
    assert.equal(readFileSync(path, "utf8"), "x");
  });
});
