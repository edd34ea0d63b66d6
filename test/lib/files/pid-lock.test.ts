// The lock a store takes on a directory whose engine takes none (PGlite): a second taker,
// in another process or this one, is refused and told the holder; a dead holder's lock is
// taken over; a release frees it for the next.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { takeLock } from "../../../src/lib/files/pid-lock.ts";
import { tempDir } from "../../_helpers.ts";

test("one holder at a time, a dead holder's lock taken over, a release frees it", () => {
  const path = join(tempDir("pid-lock"), "store.lock");
  const first = takeLock(path);
  assert.ok("release" in first);
  assert.deepEqual(takeLock(path), { heldBy: process.pid }, "a second opening in the same process");
  first.release();
  const again = takeLock(path);
  assert.ok("release" in again, "released, it is free");
  again.release();
  // A pid that has exited: its lock holds nothing.
  const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid as number;
  writeFileSync(path, `${dead} some-token\n`);
  const taken = takeLock(path);
  assert.ok("release" in taken, "a dead holder's lock is taken over");
  taken.release();
});
