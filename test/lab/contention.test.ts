// npm run contention and npm run topology end to end, on short runs: the course's claims
// about several processes and several servers, checked against real servers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { PROJECT_ROOT } from "../../src/lab/harness/paths.ts";
import type { ContentionResults, ContentionRun } from "../../src/lab/results/contention.ts";
import type { TopologyResults } from "../../src/lab/results/topology.ts";
import { tempDir } from "../_helpers.ts";

function lab(tool: string, args: string[]) {
  return spawnSync(process.execPath, [join(PROJECT_ROOT, `src/lab/${tool}.ts`), ...args], {
    encoding: "utf8",
    timeout: 180_000,
  });
}

const SHORT = ["--records", "300", "--duration", "1", "--connections", "8"];

const contentionOut = tempDir("contention-out");
const topologyOut = tempDir("topology-out");

describe("npm run contention, end to end", () => {
  const workDir = tempDir("contention-work");
  const out = contentionOut;
  let results: ContentionResults;
  const run = (approach: string): ContentionRun =>
    results.runs.find((r) => r.approach === approach) ?? assert.fail(`no run for ${approach}`);
  const thread = (approach: string): ContentionRun =>
    results.thread_runs?.find((r) => r.approach === approach) ??
    assert.fail(`no thread run for ${approach}`);

  before(() => {
    const r = lab("contention", [
      ...["--approaches", "map,map-shared,sqlite,sqlite-group,leveldb", "--ports", "0,0"],
      ...SHORT,
      ...["--out", out, "--work-dir", workDir],
    ]);
    assert.equal(r.status, 0, r.stderr);
    results = JSON.parse(readFileSync(join(out, "contention.json"), "utf8"));
  });

  it("writes one run per approach, with both throughputs measured", () => {
    assert.equal(results.complete, true);
    assert.deepEqual(
      results.runs.map((r) => r.approach),
      ["map", "map-shared", "sqlite", "sqlite-group"],
    );
    for (const r of results.runs) {
      assert.ok(r.rps > 0 && r.rps_single > 0, `${r.approach}: ${r.rps} / ${r.rps_single}`);
      assert.ok(r.probes > 0, `${r.approach} ran probes`);
    }
    assert.match(readFileSync(join(out, "contention.md"), "utf8"), /stale reads \/ probes/);
  });

  it("records a store that keeps the second process out, with what it said", () => {
    assert.deepEqual(
      results.refused?.map((r) => r.approach),
      ["leveldb"],
    );
    assert.match(results.refused?.[0]?.why ?? "", /LOCK file.*one opener at a time/);
    assert.match(readFileSync(join(out, "contention.md"), "utf8"), /Refused a second process/);
  });

  it("map serves stale reads and diverges across two processes", () => {
    assert.ok(run("map").stale_reads > 0, JSON.stringify(run("map")));
    assert.equal(run("map").diverged, true);
  });

  it("map-shared serves no stale read and the same records from both", () => {
    assert.equal(run("map-shared").stale_reads, 0);
    assert.equal(run("map-shared").diverged, false);
    assert.equal(run("map-shared").errors_5xx, 0);
  });

  it("in two worker threads of one process, map serves stale reads as in two processes", () => {
    const map = thread("map");
    assert.ok(map.probes > 0 && map.stale_reads > 0, JSON.stringify(map));
    assert.equal(map.diverged, true);
    assert.match(readFileSync(join(out, "contention.md"), "utf8"), /two threads: req\/s/);
  });

  it("in two threads, map-shared and sqlite stay coherent, and leveldb keeps the second out", () => {
    for (const name of ["map-shared", "sqlite"]) {
      const r = thread(name);
      assert.ok(r.probes > 0, name);
      assert.deepEqual([r.stale_reads, r.errors_5xx, r.diverged], [0, 0, false], name);
    }
    assert.deepEqual(
      results.thread_refused?.map((r) => r.approach),
      ["leveldb"],
    );
    assert.match(results.thread_refused?.[0]?.why ?? "", /thread 1 exited.*LOCK file/);
  });

  it("sqlite and sqlite-group answer no 5xx to two writers, and stay coherent", () => {
    for (const name of ["sqlite", "sqlite-group"]) {
      assert.equal(run(name).errors_5xx, 0, name);
      assert.equal(run(name).stale_reads, 0, name);
      assert.equal(run(name).diverged, false, name);
    }
  });
});

describe("npm run topology, end to end", () => {
  const workDir = tempDir("topology-work");
  const out = topologyOut;
  let results: TopologyResults;

  before(() => {
    const r = lab("topology", [...SHORT, "--out", out, "--work-dir", workDir]);
    assert.equal(r.status, 0, r.stderr);
    results = JSON.parse(readFileSync(join(out, "topology.json"), "utf8"));
  });

  it("two app servers on one PostgreSQL agree, with no stale read", () => {
    const pg = results.runs.find((r) => r.setup === "postgres-shared") ?? assert.fail();
    assert.ok(pg.probes > 0);
    assert.equal(pg.stale_reads, 0);
    assert.equal(pg.diverged, false);
    assert.equal(pg.errors_5xx, 0);
  });

  it("two app servers with a SQLite file each diverge", () => {
    const sqlite = results.runs.find((r) => r.setup === "sqlite-per-server") ?? assert.fail();
    assert.equal(sqlite.stale_reads, sqlite.probes, "B never sees what A created");
    assert.equal(sqlite.diverged, true);
  });

  it("measures PostgreSQL with 0, 1 and 2 replicas, and read-your-writes leaves no stale read", () => {
    const runs = results.replica_runs ?? assert.fail("no replica runs");
    assert.deepEqual(
      runs.map((r) => r.replicas),
      [0, 1, 2],
    );
    for (const r of runs) {
      assert.ok(r.read_rps > 0 && r.write.rps > 0 && r.write_read_your_writes.rps > 0);
      const ryw = r.write_read_your_writes;
      assert.ok(ryw.probes > 0);
      assert.equal(
        ryw.stale_reads,
        0,
        `${r.replicas} replicas: a read-your-writes probe was stale`,
      );
      assert.equal(ryw.applied, ryw.probes, "every probe create was applied on every replica");
      assert.equal(r.write.errors_5xx + ryw.errors_5xx, 0);
      if (r.replicas > 0) assert.ok(r.write.lag_samples > 0, "lag was sampled from /health");
      else assert.equal(r.write.lag_samples, 0, "no replica, no lag");
    }
  });

  it("measures PostgreSQL's reads and writes against null", () => {
    assert.deepEqual(
      results.postgres_vs_null.map((v) => v.workload),
      ["read", "write"],
    );
    for (const v of results.postgres_vs_null) assert.ok(v.ratio > 0 && v.null_rps > 0);
  });
});

describe("the benchmark report shows both", () => {
  it("has a section for each, and the database criterion cites them", () => {
    const out = tempDir("bench-with-labs");
    const r = lab("bench", [
      ...["--approaches", "null", "--workloads", "read", "--records", "100", "--repeat", "1"],
      ...[
        "--duration",
        "1",
        "--warmup",
        "0",
        "--out",
        out,
        "--work-dir",
        tempDir("bench-labs-work"),
      ],
      ...["--contention", join(contentionOut, "contention.json")],
      ...["--topology", join(topologyOut, "topology.json")],
      ...["--durability", "none"],
    ]);
    assert.equal(r.status, 0, r.stderr);
    const md = readFileSync(join(out, "report.md"), "utf8");
    assert.match(md, /## Several processes on one DATA_DIR, measured/);
    assert.match(md, /\| `map-shared` \| yes \|/);
    assert.match(md, /### Two worker threads of one process on one DATA_DIR, measured/);
    assert.match(md, /## Several servers, measured/);
    assert.match(md, /Two servers on one DATA_DIR: `map` served stale reads or diverged/);
    const html = readFileSync(join(out, "report.html"), "utf8");
    assert.match(html, /<h2>Several servers, measured<\/h2>/);
  });
});
