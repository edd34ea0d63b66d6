// npm run failover end to end, on Debian's PostgreSQL, Patroni, etcd and HAProxy. Without
// them (or with NEEDADB_HIDE_TOOLS=patroni) the lab must say what to install; with them, a
// stall and a kill of the leader in both main modes, and Ctrl-C in the middle of a trial.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { missingPackages } from "../../src/lab/harness/ha-cluster.ts";
import { PROJECT_ROOT } from "../../src/lab/harness/paths.ts";
import type { FailoverResults, FailoverRun } from "../../src/lab/results/failover.ts";
import { processesMentioning, tempDir } from "../_helpers.ts";

const FAILOVER = join(PROJECT_ROOT, "src/lab/failover.ts");
const missing = missingPackages();
const skip = missing.length ? `needs Debian's ${missing.join(", ")}` : false;

describe("npm run failover without Debian's HA packages", () => {
  it("says which packages to install and how, and exits 1", () => {
    const out = tempDir("failover-none");
    const run = spawnSync(process.execPath, [FAILOVER, "--quick", "--out", out], {
      encoding: "utf8",
      env: { ...process.env, NEEDADB_HIDE_TOOLS: "patroni" },
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /apt-get install -y --no-install-recommends postgresql-15 patroni/);
    assert.match(run.stderr, /python3-etcd/);
    assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/, "no stack trace");
  });
});

describe("npm run failover: a stall and a kill, asynchronous and synchronous", { skip }, () => {
  const out = tempDir("failover-out");
  const workDir = tempDir("failover-work");
  let results: FailoverResults;
  const run = (mode: string, fault: string): FailoverRun =>
    results.runs.find((r) => r.mode === mode && r.fault === fault) ??
    assert.fail(`no run of ${mode} ${fault}`);

  before(() => {
    const r = spawnSync(
      process.execPath,
      [
        FAILOVER,
        ...["--modes", "async,sync", "--faults", "node,stall-node", "--trials", "1"],
      ].concat(["--out", out, "--work-dir", workDir]),
      { encoding: "utf8", timeout: 480_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    results = JSON.parse(readFileSync(join(out, "failover.json"), "utf8"));
  });

  it("writes failover.json, failover.md and failover.html, and leaves nothing running", () => {
    assert.equal(results.complete, true);
    assert.equal(results.trials.length, 4);
    assert.match(readFileSync(join(out, "failover.md"), "utf8"), /\| `sync` \| `stall-node` \|/);
    assert.match(readFileSync(join(out, "failover.html"), "utf8"), /<table/);
    assert.match(results.settings.stack, /^PostgreSQL 15\.\d+, Patroni 3\./);
    assert.deepEqual(processesMentioning(workDir), []);
  });

  it("fails over: writes come back on another node after each kill", () => {
    for (const r of results.runs) {
      assert.equal(r.recovered, 1, `${r.mode} ${r.fault}: writes came back`);
      assert.equal(r.promoted, 1, `${r.mode} ${r.fault}: another node leads`);
      assert.ok(r.acked > 100, `${r.mode} ${r.fault}: ${r.acked} writes acknowledged`);
    }
  });

  it("synchronous replication loses no acknowledged write, even after a stall", () => {
    assert.equal(run("sync", "node").lost, 0);
    assert.equal(run("sync", "stall-node").lost, 0);
  });

  it("asynchronous replication loses the writes acknowledged during the stall, and says so", () => {
    const stalled = run("async", "stall-node");
    assert.ok(stalled.lost > 0, `lost ${stalled.lost} of ${stalled.acked}`);
    assert.ok(stalled.lost < stalled.acked);
  });
});

describe("npm run failover, interrupted", { skip }, () => {
  it("stops on Ctrl-C in the middle of a trial and leaves no process of the cluster", async () => {
    const out = tempDir("failover-int-out");
    const workDir = tempDir("failover-int-work");
    const child = spawn(
      process.execPath,
      [FAILOVER, "--quick", "--out", out, "--work-dir", workDir],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
        if (stderr.includes("[1/")) setTimeout(resolve, 8_000); // its cluster is starting
      });
      exited.then(() => reject(new Error(`failover ended before its first trial:\n${stderr}`)));
    });
    assert.ok(processesMentioning(workDir).length > 0, "the cluster was running");
    child.kill("SIGINT");
    assert.equal(await exited, 130, stderr);
    assert.deepEqual(processesMentioning(workDir), [], "nothing of the cluster is left");
    const results = JSON.parse(readFileSync(join(out, "failover.json"), "utf8"));
    assert.equal(results.complete, false);
    assert.match(readFileSync(join(out, "failover.md"), "utf8"), /Interrupted/);
  });
});
