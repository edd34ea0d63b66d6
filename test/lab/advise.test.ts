// npm run advise end to end, through the real CLI: a decision.json of the promised shape, a
// decision.md that leads with the answer and how to run it, reuse of what finished, and
// every way it fails loudly: a mistyped flag, a bad profile, a failed cell, an interrupted
// run. (The decision's rules are tested from recorded results in results/.)
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import type { Advice } from "../../src/lab/experiments/advise.ts";
import { ensureDataset } from "../../src/lab/harness/datasets.ts";
import { missingPackages } from "../../src/lab/harness/ha-cluster.ts";
import { PROJECT_ROOT } from "../../src/lab/harness/paths.ts";
import { processesMentioning, tempDir } from "../_helpers.ts";

const ADVISE = join(PROJECT_ROOT, "src/lab/advise.ts");
const BENCH = join(PROJECT_ROOT, "src/lab/bench.ts");
const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { encoding: "utf8", timeout: 300_000 });
const advise = (args: string[]) => run(ADVISE, args);

/** A tiny app: 200 records that do not grow, a few requests a second, nothing to survive. */
function tinyProfile(o: Record<string, unknown> = {}): string {
  const file = join(tempDir("advise-profile"), "app.json");
  writeFileSync(
    file,
    JSON.stringify({
      ...{ name: "a tiny app", daily_active_users: 500, requests_per_user: 20, peak_factor: 3 },
      ...{
        write_share: 0.1,
        records: 200,
        records_per_day: 0,
        processes: 1,
        servers: 1,
        needs: [],
        survive: "nothing",
      },
      ...o,
    }),
  );
  return file;
}

const decisionIn = (out: string) =>
  JSON.parse(readFileSync(join(out, "decision.json"), "utf8")) as Advice;

describe("npm run advise, end to end", () => {
  const out = tempDir("advise-out");
  const work = tempDir("advise-work");
  const profile = tinyProfile();
  let decision: Advice;

  before(() => {
    const first = advise(["--profile", profile, "--quick", "--out", out, "--work-dir", work]);
    assert.equal(first.status, 0, first.stderr);
    decision = decisionIn(out);
  });

  it("writes decision.json with the final answer, how to run it, and every approach's verdicts", () => {
    assert.equal(decision.profile.name, "a tiny app");
    assert.equal(decision.status, "answer");
    assert.equal(decision.final, true);
    const chosen = decision.recommended ?? assert.fail("no answer");
    assert.ok((decision.headroom ?? 0) >= 1, `headroom ${decision.headroom}`);
    assert.equal(decision.run?.env.APPROACH, chosen);
    assert.equal(decision.run?.code, `src/stores/${chosen}/`);
    const judged = decision.candidates.map((c) => c.approach);
    for (const a of ["linear", "map", "sqlite", "postgres", "lmdb"])
      assert.ok(judged.includes(a), a);
    assert.ok(!judged.includes("null"), "the ceiling is no candidate");
    assert.ok(decision.measured.length > 0);
    // The first estimate covered the whole run: every task measured was in the first plan.
    const planned = decision.planned_first.map((t) => JSON.stringify(t));
    for (const t of decision.measured)
      assert.ok(planned.includes(JSON.stringify(t)), JSON.stringify(t));
    assert.ok(decision.estimated_first_s > 0);
    assert.ok(
      decision.answered_after_s !== null && decision.answered_after_s <= decision.took_s,
      "a provisional answer came first",
    );
  });

  it("leads decision.md with the answer and the command that runs it, and writes decision.html", () => {
    const md = readFileSync(join(out, "decision.md"), "utf8");
    assert.match(
      md,
      new RegExp(
        `## The answer\\n\\n\\*\\*Use \`${decision.recommended}\`\\.\\*\\*.* This answer is final`,
      ),
    );
    assert.match(md, new RegExp(`Run it: \`APPROACH=${decision.recommended} npm start\``));
    assert.match(readFileSync(join(out, "decision.html"), "utf8"), /<h2>The answer<\/h2>/);
  });

  it("answers a second profile from the calibration, measuring nothing new", () => {
    const other = tinyProfile({ daily_active_users: 2_000, write_share: 0.3, name: "another app" });
    const again = advise(["--profile", other, "--quick", "--out", out, "--work-dir", work]);
    assert.equal(again.status, 0, again.stderr);
    const d = decisionIn(out);
    assert.equal(d.profile.name, "another app");
    assert.equal(d.final, true);
    assert.deepEqual(d.measured, [], "every measurement it needed was kept");
  });

  it("decides what-ifs side by side from what is kept", () => {
    const r = advise([
      "--profile",
      profile,
      "--quick",
      "--out",
      out,
      "--work-dir",
      work,
      "--what-if",
      "dau=1000,servers=2+dau=800",
    ]);
    assert.equal(r.status, 0, r.stderr);
    const ifs = (
      JSON.parse(readFileSync(join(out, "decision.json"), "utf8")) as { what_if: Advice[] }
    ).what_if;
    assert.deepEqual(
      ifs.map((d) => [d.profile.daily_active_users, d.profile.servers]),
      [
        [1_000, 1],
        [800, 2],
      ],
    );
    assert.match(readFileSync(join(out, "decision.md"), "utf8"), /## What if\n/);
  });
});

describe("npm run advise, failing loudly", () => {
  it("refuses a mistyped flag before any work, with the flag it meant", () => {
    const out = join(tempDir("advise-typo"), "out");
    const typo = advise(["--record", "2000000", "--quick", "--out", out]);
    assert.equal(typo.status, 1);
    assert.equal(
      typo.stderr,
      "error: unknown flag --record; did you mean --records? (--help lists them)\n",
    );
    assert.equal(existsSync(out), false, "nothing was measured or written");
    const bench = run(BENCH, ["--aproaches", "map"]);
    assert.equal(bench.status, 1);
    assert.match(bench.stderr, /^error: unknown flag --aproaches; did you mean --approaches\?/);
  });

  it("refuses a bad profile, naming the field and what to write", () => {
    const bad = advise([
      "--profile",
      tinyProfile({ recrods: 5 }),
      "--survive",
      "meteor",
      "--processes",
      "0",
    ]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^error: the profile is not right: /);
    assert.match(bad.stderr, /unknown field "recrods" \(did you mean "records"\?\)/);
    assert.match(bad.stderr, /processes must be at least 1/);
    assert.match(
      bad.stderr,
      /survive must be one of machine-loss, power-loss, process-crash, nothing/,
    );
    assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
  });

  it("says a failed cell in the headline, exits non-zero, and never keeps what failed", () => {
    const work = tempDir("advise-fail-work");
    const out = tempDir("advise-fail-out");
    // A damaged cached dataset: map refuses to start on it, as it should.
    const users = join(ensureDataset(work, 1_000, 42).dir, "users.jsonl");
    const lines = readFileSync(users, "utf8").split("\n");
    lines[2] = "{damaged";
    writeFileSync(users, lines.join("\n"));
    const args = [
      "--profile",
      tinyProfile(),
      "--approaches",
      "map,sqlite",
      "--quick",
      "--out",
      out,
      "--work-dir",
      work,
    ];
    const failed = advise(args);
    assert.equal(failed.status, 1, failed.stderr);
    const d = decisionIn(out);
    assert.equal(d.status, "failed");
    assert.match(d.labs[0]?.error ?? "", /^map \S+ 1000 records: .*users\.jsonl, line 3/s);
    const md = readFileSync(join(out, "decision.md"), "utf8");
    assert.match(
      md,
      /## The answer\n\n\*\*A measurement failed, so this is no answer yet\.\*\* bench map/,
    );
    const again = advise(args);
    assert.equal(again.status, 1);
    assert.match(
      again.stderr,
      /\[1\/\d\] map read 1,000 records/,
      "map's cells are measured again",
    );
  });

  it("says an interrupted run is no answer yet, exits 130, leaves nothing running, and resumes", async () => {
    const work = tempDir("advise-int-work");
    const out = tempDir("advise-int-out");
    const profile = tinyProfile();
    const child = spawn(
      process.execPath,
      [
        ADVISE,
        "--profile",
        tinyProfile(),
        "--approaches",
        "map,sqlite",
        "--quick",
        "--out",
        out,
        "--work-dir",
        work,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
        if (stderr.includes("[3/")) resolve(); // two cells are done, the third is running
      });
      exited.then(() => reject(new Error(`advise ended before its third cell:\n${stderr}`)));
    });
    child.kill("SIGINT");
    assert.equal(await exited, 130, stderr);
    assert.deepEqual(processesMentioning(work), [], "no server is left running");
    const d = decisionIn(out);
    assert.equal(d.status, "interrupted");
    assert.match(
      readFileSync(join(out, "decision.md"), "utf8"),
      /## The answer\n\n\*\*Interrupted: no answer yet\.\*\* What finished: advise \(\d+ of \d+ finished\)/,
    );
    // Started again, it resumes: what finished is not measured twice.
    const first = d.measured.slice(0, -1).map((t) => JSON.stringify(t));
    const resumed = advise([
      "--profile",
      profile,
      "--approaches",
      "map,sqlite",
      "--quick",
      "--out",
      out,
      "--work-dir",
      work,
    ]);
    assert.equal(resumed.status, 0, resumed.stderr);
    const again = decisionIn(out).measured.map((t) => JSON.stringify(t));
    for (const t of first) assert.ok(!again.includes(t), `measured twice: ${t}`);
  });
});

describe("npm run advise, past one machine", () => {
  it("gives a planet-scale app a fleet, from the read and write cells it measures for it, as an extrapolation", () => {
    const out = tempDir("advise-planet-out");
    const work = tempDir("advise-planet-work");
    const planet = join(PROJECT_ROOT, "profiles/planet.json");
    // Held to postgres, at 1,000 records that do not grow, so that it runs in a minute; on
    // one server, so that no topology lab runs and the fleet needs the bench's read and write
    // cells, which it plans.
    const args = [
      ...["--profile", planet, "--records", "1000", "--records-per-day", "0"],
      ...["--approaches", "postgres", "--servers", "1"],
    ];
    const r = advise([...args, "--quick", "--out", out, "--work-dir", work]);
    assert.equal(r.status, 0, r.stderr);
    const d = decisionIn(out);
    assert.equal(d.status, "none-enough");
    const f = d.fleet ?? assert.fail(`no fleet: ${JSON.stringify(d.fleet_missing)}`);
    assert.equal(f.extrapolation, true);
    assert.equal(f.rates.kind, "read-write", "the plan measured postgres's reads and writes");
    assert.ok(f.shards >= 1 && f.replicas_per_shard >= 1);
    assert.ok(f.rates.read_rps_per_replica > 0 && f.rates.write_rps_per_primary > 0);
    assert.ok(
      d.measured.some(
        (t) => t.kind === "cells" && t.approach === "postgres" && t.workloads.includes("write"),
      ),
      "it measured postgres's reads and writes",
    );
    const md = readFileSync(join(out, "decision.md"), "utf8");
    assert.match(
      md,
      /## Past one machine: the fleet these measurements imply \(an extrapolation\)/,
    );
    assert.match(
      md,
      /Extrapolated from one machine: about [\d,]+ primaries \(shards\) of `postgres`/,
    );
    // Its last progress line gives the same answer, not "no answer yet".
    assert.match(
      r.stderr,
      /final: nothing on one machine is enough; about [\d,]+ database servers/,
    );
  });
});

describe("npm run advise, when the app must survive losing the database's machine", () => {
  const work = tempDir("advise-ml-work");
  // One server, 1,000 records that do not grow, sqlite beside postgres: the failover lab is
  // the only long part (about 30 s a trial).
  const args = (out: string) => [
    ...["--records", "1000", "--records-per-day", "0", "--approaches", "sqlite,postgres"],
    ...["--survive", "machine-loss", "--quick", "--out", out, "--work-dir", work],
  ];
  const verdictOf = (d: Advice, approach: string) =>
    d.candidates
      .find((c) => c.approach === approach)
      ?.verdicts.find((v) => v.requirement === "machine-loss") ??
    assert.fail(`no machine-loss verdict for ${approach}`);

  it("without Debian's HA packages: a store beside the app fails, postgres waits on what to install", () => {
    const out = tempDir("advise-ml-none");
    const r = spawnSync(process.execPath, [ADVISE, ...args(out)], {
      encoding: "utf8",
      timeout: 300_000,
      env: { ...process.env, NEEDADB_HIDE_TOOLS: "patroni" },
    });
    assert.equal(r.status, 0, r.stderr);
    const d = decisionIn(out);
    assert.equal(d.status, "undecided");
    assert.deepEqual(verdictOf(d, "sqlite").finding, { kind: "one-machine" });
    const pg = verdictOf(d, "postgres");
    assert.equal(pg.valid, "unknown");
    assert.ok(pg.finding.kind === "not-measured" && pg.finding.needs?.includes("patroni"));
    const md = readFileSync(join(out, "decision.md"), "utf8");
    assert.match(md, /apt-get install -y --no-install-recommends postgresql-15 patroni/);
    assert.doesNotMatch(md, /Measuring closer to the app's size/, "size is not what is missing");
  });

  it("with them: asynchronous replication loses writes in the stall, synchronous is the answer", {
    skip: missingPackages().length ? `needs Debian's ${missingPackages().join(", ")}` : false,
  }, () => {
    const out = tempDir("advise-ml-out");
    const r = advise(args(out));
    assert.equal(r.status, 0, r.stderr);
    const d = decisionIn(out);
    assert.deepEqual([d.status, d.recommended, d.final], ["answer", "postgres", true]);
    const f = verdictOf(d, "postgres").finding;
    assert.ok(f.kind === "failover", f.kind);
    const [async, sync] = f.modes;
    assert.equal(async?.valid, "fail");
    assert.ok((async?.lost ?? 0) > 0, "the stall lost acknowledged writes");
    assert.deepEqual([sync?.valid, sync?.lost], ["pass", 0]);
    assert.ok((sync?.stopped_ms_max ?? Infinity) <= 30_000);
    assert.equal(d.run?.failover?.mode, "sync");
    assert.deepEqual(
      d.measured.filter((t) => t.kind === "failover").map((t) => t.kind === "failover" && t.mode),
      ["async", "sync"],
      "it stopped at the first mode that passed",
    );
    assert.match(
      readFileSync(join(out, "decision.md"), "utf8"),
      /Its failover: PostgreSQL on three machines under Patroni/,
    );
    // A stall-node trial stops the leader's walsenders before it kills the node: none is left.
    assert.deepEqual(processesMentioning(work), [], "nothing of the clusters is left");
  });
});
