// npm run soak end to end, on a run of a few seconds: every malformed request gets its own
// 4xx, no well-formed one fails, and the store ends holding what it acknowledged.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "../../src/lab/harness/paths.ts";
import type { SoakResult } from "../../src/lab/results/soak.ts";
import { tempDir } from "../_helpers.ts";

describe("npm run soak, end to end", () => {
  it("answers every malformed request with its 4xx and keeps every acknowledged record", () => {
    const out = tempDir("soak-out");
    const run = spawnSync(
      process.execPath,
      [
        join(PROJECT_ROOT, "src/lab/soak.ts"),
        ...["--minutes", "0.05", "--approaches", "map", "--records", "200", "--connections", "4"],
        ...["--out", out, "--work-dir", tempDir("soak-work")],
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    const [r] = JSON.parse(readFileSync(join(out, "soak.json"), "utf8")) as SoakResult[];
    assert.ok(r && r.requests > 100, `${r?.requests} requests`);
    assert.ok(r.bad_sent > 0);
    assert.equal(r.bad_answered_right, r.bad_sent, r.failures.join("\n"));
    assert.equal(r.good_failed, 0, r.failures.join("\n"));
    assert.ok(r.acked_writes > 0);
    assert.equal(r.records_at_end, r.records_expected);
    assert.equal(r.levels_off, null, "a 3-second run gives no verdict on memory");
    assert.match(readFileSync(join(out, "soak.md"), "utf8"), /too short to judge/);
  });
});
