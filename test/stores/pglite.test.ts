// PGlite on a directory it cannot start on (a power cut can leave one: it never fsyncs):
// the store refuses with what to do next, changes no byte, and lets go of its lock.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadStore } from "../../src/stores/index.ts";
import { snapshot, tempDir } from "../_helpers.ts";

describe("pglite on a damaged directory", () => {
  it("refuses to start, says what to do, and leaves every byte as it was", async () => {
    const dataDir = tempDir("pglite-damaged");
    mkdirSync(join(dataDir, "pglite"));
    writeFileSync(join(dataDir, "pglite", "PG_VERSION"), "garbage\n");
    writeFileSync(join(dataDir, "pglite", "postgresql.conf"), "# half a file");
    const before = snapshot(join(dataDir, "pglite"));
    const store = await loadStore("pglite");
    const open = async () => store.open({ dataDir, env: {}, log: () => {} });
    for (const attempt of [1, 2]) {
      // The second attempt meets the same damage, not its own lock left behind.
      await assert.rejects(open, (err: Error) => {
        assert.match(err.message, /could not start on .*pglite/, `attempt ${attempt}`);
        assert.match(err.message, /changed nothing/);
        assert.match(err.message, /Restore the directory from a copy, or move it aside/);
        return true;
      });
    }
    assert.deepEqual(snapshot(join(dataDir, "pglite")), before);
  });
});
