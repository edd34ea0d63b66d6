import assert from "node:assert/strict";
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readFully } from "../../../src/lib/files/read-fully.ts";
import { tempDir } from "../../_helpers.ts";

describe("readFully", () => {
  const dir = tempDir("read-fully");
  const path = join(dir, "f");
  writeFileSync(path, "0123456789");

  it("reads exactly the bytes asked for, at the position asked", () => {
    const fd = openSync(path, "r");
    const buf = Buffer.alloc(4);
    readFully(fd, buf, 4, 3, path);
    closeSync(fd);
    assert.equal(buf.toString(), "3456");
  });

  it("throws, naming the file, when it ends before the bytes asked for", () => {
    const fd = openSync(path, "r");
    assert.throws(() => readFully(fd, Buffer.alloc(8), 8, 6, path), /f ended early: 4 of 8 bytes/);
    closeSync(fd);
  });

  it("refuses a length the buffer cannot hold", () => {
    assert.throws(() => readFully(0, Buffer.alloc(2), 3, 0, path), RangeError);
  });
});
