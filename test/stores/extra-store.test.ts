// Adding a store is one folder: a store that only a test fixture declares, named in
// NEEDADB_EXTRA_STORES, is served, benched, crashed, run twice on one DATA_DIR and decided
// on, with no other file knowing it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Advice } from "../../src/lab/experiments/advise.ts";
import { PROJECT_ROOT } from "../../src/lab/harness/paths.ts";
import type { Results } from "../../src/lab/results/bench.ts";
import type { DurabilityResults } from "../../src/lab/results/durability.ts";
import { tempDir } from "../_helpers.ts";

const EXTRA = join(PROJECT_ROOT, "test/fixtures/stores/fixture-log");
const lab = (script: string, args: string[]) =>
  spawnSync(process.execPath, [join(PROJECT_ROOT, "src/lab", `${script}.ts`), ...args], {
    encoding: "utf8",
    timeout: 300_000,
    env: { ...process.env, NEEDADB_EXTRA_STORES: EXTRA },
  });

describe("a store from outside the project", () => {
  const work = tempDir("extra-work");

  it("is benched beside the others", () => {
    const out = tempDir("extra-bench");
    const r = lab("bench", [
      ...["--approaches", "fixture-log,null", "--records", "200", "--workloads", "read,write"],
      ...["--repeat", "1", "--duration", "1", "--warmup", "1", "--warmup-max", "2"],
      ...["--out", out, "--work-dir", work],
    ]);
    assert.equal(r.status, 0, r.stderr);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results;
    const mine = results.runs.filter((x) => x.approach === "fixture-log");
    assert.equal(mine.length, 2);
    for (const x of mine) assert.ok(x.rps > 0 && x.durability === "power-loss", JSON.stringify(x));
  });

  it("is crashed by the crash lab, which finds its files in DATA_DIR from what it declares", () => {
    const out = tempDir("extra-crash");
    const r = lab("crash", [
      "--approaches",
      "fixture-log",
      "--faults",
      "sigkill",
      "--trials",
      "1",
      "--out",
      out,
      "--work-dir",
      work,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(readFileSync(join(out, "durability.json"), "utf8")) as DurabilityResults;
    assert.deepEqual(
      d.runs.map((x) => [x.approach, x.fault, x.lost_acked]),
      [["fixture-log", "sigkill", 0]],
    );
  });

  it("is a candidate of the decision, ranked by the simplicity it declares", () => {
    const out = tempDir("extra-advise");
    const profile = join(tempDir("extra-profile"), "p.json");
    const body = {
      name: "x",
      daily_active_users: 100,
      records: 200,
      records_per_day: 0,
      survive: "nothing",
    };
    writeFileSync(profile, JSON.stringify(body));
    const r = lab("advise", [
      "--profile",
      profile,
      "--approaches",
      "fixture-log,map",
      "--quick",
      "--out",
      out,
      "--work-dir",
      work,
    ]);
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(readFileSync(join(out, "decision.json"), "utf8")) as Advice;
    assert.deepEqual(d.candidates.map((c) => c.approach).sort(), ["fixture-log", "map"]);
    assert.equal(d.recommended, "map", "map is simpler than a store of our own");
  });
});
