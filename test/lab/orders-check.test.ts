// npm run orders-check end to end, on a short run: crash trials under order load, and the
// two-process race, against real servers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { PROJECT_ROOT } from "../../src/lab/harness/paths.ts";
import type { OrdersResults, OrdersRun } from "../../src/lab/results/orders.ts";
import { tempDir } from "../_helpers.ts";

describe("npm run orders-check, end to end", () => {
  const out = tempDir("orders-out");
  const workDir = tempDir("orders-work");
  let results: OrdersResults;
  const run = (approach: string): OrdersRun =>
    results.runs.find((r) => r.approach === approach) ?? assert.fail(`no run for ${approach}`);

  before(() => {
    const r = spawnSync(
      process.execPath,
      [
        join(PROJECT_ROOT, "src/lab/orders-check.ts"),
        ...[
          "--approaches",
          "map,sqlite,lsm",
          "--trials",
          "1",
          "--faults",
          "sigkill",
          "--race",
          "1",
        ],
        ...["--out", out, "--work-dir", workDir],
      ],
      { encoding: "utf8", timeout: 180_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    results = JSON.parse(readFileSync(join(out, "orders.json"), "utf8"));
  });

  it("keeps every order whole through a process crash, on the stores that take orders", () => {
    for (const name of ["map", "sqlite"]) {
      const [crash] = run(name).crash;
      assert.ok(crash && crash.acked > 0, `${name}: ${JSON.stringify(crash)}`);
      assert.equal(crash.invariant_broken, 0, name);
      assert.equal(crash.lost, 0, name);
      assert.equal(crash.holds, true, name);
    }
  });

  it("shows map overselling when two processes share its files, and sqlite holding", () => {
    assert.ok((run("map").race?.oversold_units ?? 0) > 0, JSON.stringify(run("map").race));
    assert.equal(run("map").race?.holds, false);
    assert.equal(run("sqlite").race?.holds, true);
    assert.equal(run("sqlite").race?.oversold_units, 0);
  });

  it("reports a store without orders as 501, with its reason", () => {
    assert.equal(run("lsm").takes_orders, false);
    assert.match(run("lsm").why ?? "", /does not take orders/);
    assert.match(readFileSync(join(out, "orders.md"), "utf8"), /\| `lsm` \| no \(501\)/);
  });

  it("appears in the benchmark report, and the atomic-writes criterion cites it", () => {
    const report = tempDir("orders-bench");
    const r = spawnSync(
      process.execPath,
      [
        join(PROJECT_ROOT, "src/lab/bench.ts"),
        ...["--approaches", "null", "--workloads", "read", "--records", "100", "--repeat", "1"],
        ...["--duration", "1", "--warmup", "0", "--out", report, "--work-dir", workDir],
        ...["--orders", join(out, "orders.json"), "--durability", "none"],
        ...["--contention", "none", "--topology", "none"],
      ],
      { encoding: "utf8", timeout: 120_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    const md = readFileSync(join(report, "report.md"), "utf8");
    assert.match(md, /## Orders: writes that span several records, measured/);
    assert.match(md, /oversold: `map` \(\d[\d,]* units\)/);
    assert.match(readFileSync(join(report, "report.html"), "utf8"), /<h2>Orders: writes that span/);
  });
});
