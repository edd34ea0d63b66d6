// The decision, judged from result files the labs recorded on this machine (test/fixtures:
// a bench at 1,000 records, crash trials with power cuts, contention, topology and
// orders-check, each from a --quick run), and from made-up ladders past them. Every test
// asserts verdicts' ids and numbers; the words are held once, by report/decision.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type Candidate,
  type Decision,
  decide,
  type Evidence,
} from "../../../src/lab/results/decision.ts";
import type { Profile } from "../../../src/lab/results/profile.ts";
import type { Finding, RequirementId, Verdict } from "../../../src/lab/results/requirements.ts";
import type { TopologyResults } from "../../../src/lab/results/topology.ts";
import { runOf } from "../_fixtures.ts";
import { base, evidence } from "./_decision-evidence.ts";

const candidate = (d: Decision, approach: string): Candidate =>
  d.candidates.find((c) => c.approach === approach) ?? assert.fail(`${approach} was not judged`);
const verdict = (d: Decision, approach: string, id: RequirementId): Verdict =>
  candidate(d, approach).verdicts.find((v) => v.requirement === id) ??
  assert.fail(`${approach} has no ${id} verdict`);
function finding<K extends Finding["kind"]>(v: Verdict, kind: K): Extract<Finding, { kind: K }> {
  assert.equal(v.finding.kind, kind, JSON.stringify(v.finding));
  return v.finding as Extract<Finding, { kind: K }>;
}

describe("the decision, from recorded results", () => {
  it("gives an app on several servers postgres, and rules out every store of files beside one server by what topology measured", () => {
    const d = decide({ ...base, servers: 3 }, evidence);
    assert.equal(d.recommended, "postgres");
    assert.equal(d.status, "answer");
    for (const a of ["map", "sqlite", "jsonl-group", "lsm"]) {
      const v = verdict(d, a, "servers");
      assert.equal(v.valid, "fail");
      const measured = finding(v, "files-apart").measured ?? assert.fail("no measurement");
      assert.ok(measured.stale_reads > 0 && measured.diverged);
    }
    assert.equal(verdict(d, "postgres", "servers").valid, "pass");
    assert.ok((d.headroom ?? 0) >= 1);
  });

  it("rules out the flat files for orders on several processes by the oversell measured", () => {
    const d = decide({ ...base, processes: 2, needs: ["orders"] }, evidence);
    for (const a of ["map", "jsonl-fsync", "jsonl-group"]) {
      const v = verdict(d, a, "processes");
      assert.equal(v.valid, "fail");
      assert.ok(finding(v, "oversold").units > 0);
    }
    assert.equal(finding(verdict(d, "linear", "orders"), "no-orders").lab, "orders-check");
    assert.ok(["sqlite", "sqlite-group", "postgres"].includes(d.recommended ?? ""));
  });

  it("rules out a store that came through power cuts but lost writes to torn ones, where torn writes were measured", () => {
    const chosen = decide({ ...base, survive: "power-loss" }, evidence).recommended as string;
    const torn = {
      ...{ approach: chosen, fault: "torn" as const, trials: 5, acked: 900, lost_acked: 3 },
      ...{ corrupt: 0, restarted: 5, repaired: 5, max_lost_in_a_trial: 3 },
      ...{ claim: "power-loss" as const, claim_held: false },
    };
    const withTorn = { ...evidence, durability: [...(evidence.durability ?? []), torn] };
    const d = decide({ ...base, survive: "power-loss" }, withTorn);
    assert.notEqual(d.recommended, chosen);
    const runs = finding(verdict(d, chosen, "survive"), "trials").runs;
    assert.deepEqual(
      runs.find((r) => r.fault === "torn"),
      { fault: "torn", trials: 5, acked: 900, lost: 3, corrupt: 0, not_restarted: 0 },
    );
    const crashOnly = decide({ ...base, survive: "process-crash" }, withTorn);
    assert.equal(
      verdict(crashOnly, chosen, "survive").valid,
      "pass",
      "torn writes test a power loss only",
    );
  });

  it("rules out map for power-loss survival by every acknowledged write it lost to power cuts", () => {
    const d = decide({ ...base, survive: "power-loss" }, evidence);
    const v = verdict(d, "map", "survive");
    assert.equal(v.valid, "fail");
    const cut = finding(v, "trials").runs.find((r) => r.fault === "powercut") ?? assert.fail();
    assert.ok(cut.lost > 0 && cut.lost === cut.acked);
    assert.notEqual(d.recommended, "map");
  });

  it("recommends nothing when no approach carries the peak even at its best, and gives a fleet", () => {
    const d = decide({ ...base, daily_active_users: 10_000_000_000 }, evidence);
    assert.equal(d.recommended, null);
    assert.equal(d.status, "none-enough");
    for (const c of d.candidates) assert.equal(verdict(d, c.approach, "capacity").valid, "fail");
    assert.equal(d.fleet?.approach, "postgres");
  });

  it("passes, for a small app, the simplest approach that is enough", () => {
    const d = decide(base, evidence);
    assert.equal(d.recommended, "linear");
    assert.deepEqual(d.run?.env, { APPROACH: "linear" });
    assert.equal(d.run?.code, "src/stores/linear/");
  });

  it("runs the SQLite stores with the setting behind their claim, and names the workers", () => {
    const d = decide({ ...base, survive: "power-loss", processes: 2 }, evidence);
    const run = d.run ?? assert.fail("no run plan");
    assert.equal(run.env.WORKERS, "2");
    if (run.approach.startsWith("sqlite")) assert.equal(run.env.SQLITE_SYNCHRONOUS, "FULL");
  });
});

describe("the decision's lab states", () => {
  it("says a failed lab first, and never calls its decision final", () => {
    const labs = [{ lab: "bench", complete: false, interrupted: false, error: "map read: boom" }];
    const d = decide(base, { ...evidence, labs });
    assert.equal(d.status, "failed");
    assert.deepEqual(d.labs, labs);
  });

  it("says an interrupted run is interrupted, whatever finished", () => {
    const labs = [
      { lab: "bench", complete: false, interrupted: true, done: 3, total: 84 },
      { lab: "crash", complete: false, interrupted: true, done: 0 },
    ];
    assert.equal(decide(base, { ...evidence, labs }).status, "interrupted");
  });

  it("has nothing to decide from when nothing was measured", () => {
    const d = decide(base, { ...evidence, bench: { ...evidence.bench, runs: [] } });
    assert.equal(d.status, "nothing-measured");
    assert.equal(d.recommended, null);
  });
});

describe("the decision past the sizes measured: bounds, then fits", () => {
  const LADDER = [100_000, 333_333, 1_000_000];
  /** One approach's mixed cells up the ladder: req/s, memory and start-up at each size. */
  const ladder = (approach: string, rps: number[], rss: number[], startup: number[]) =>
    LADDER.map((records, i) =>
      runOf({
        ...{ approach, workload: "mixed", records, durability: "power-loss" },
        ...{ rps: rps[i], rps_samples: [rps[i] as number], rss_mb: rss[i], startup_ms: startup[i] },
      }),
    );
  const benchOf = (runs: ReturnType<typeof runOf>[]): Evidence => ({
    ...evidence,
    bench: {
      ...evidence.bench,
      runs,
      settings: {
        ...evidence.bench.settings,
        approaches: [...new Set(runs.map((r) => r.approach))],
        records: LADDER,
      },
    },
  });
  const big: Profile = { ...base, records: 40_000_000, daily_active_users: 200_000 };
  const need = (200_000 * 20 * 3) / 86_400;
  const steady = ladder("sqlite", [10_000, 9_800, 9_600], [60, 60, 61], [200, 205, 210]);
  const grows = ladder("map", [40_000, 39_000, 38_000], [100, 330, 1_000], [300, 1_000, 3_000]);
  const noisy = ladder("lsm", [30_000, 11_000, 17_000], [60, 61, 60], [200, 200, 200]);

  it("passes on the bound that needs no fit, and says what each figure rests on", () => {
    const d = decide(big, benchOf([...steady, ...grows]));
    assert.equal(d.recommended, "sqlite");
    const cap = finding(verdict(d, "sqlite", "capacity"), "capacity").workloads[0] ?? assert.fail();
    const e = cap.estimate;
    assert.equal(e.basis, "predicted");
    assert.equal(e.from.records, 1_000_000);
    // The bound: the rate at 1,000,000 at its band's low edge (10% noise), × 1/40.
    assert.ok(Math.abs((e.bound ?? 0) - (9_600 * 0.9) / 40) < 1e-6, `${e.bound}`);
    assert.ok((e.bound ?? 0) >= need);
    assert.equal(verdict(d, "sqlite", "restart").valid, "pass");
  });

  it("fails memory that even its fit's best edge would need", () => {
    const d = decide(big, benchOf([...steady, ...grows]));
    const v = verdict(d, "map", "memory");
    assert.equal(v.valid, "fail");
    const e = finding(v, "figure").estimate;
    assert.equal(e.basis, "predicted");
    assert.ok(e.low > finding(v, "figure").need);
  });

  it("passes on the bound where the fit missed its held-out point, rather than giving no answer", () => {
    const d = decide(big, benchOf([...grows, ...noisy]));
    assert.equal(d.recommended, "lsm");
    const e = finding(verdict(d, "lsm", "capacity"), "capacity").workloads[0]?.estimate;
    assert.equal(e?.basis, "bounded");
    assert.equal(e?.fit === null ? "none" : "missed", "missed");
  });

  it("is unknown only between the bound and the best edge, and then names what was not shown", () => {
    // 1,000 requests/s: above lsm's bound (17,000 × 0.9 / 40), below its best (17,000 × 1.1).
    const dau = Math.round((1_000 * 86_400) / (20 * 3));
    const d = decide({ ...big, daily_active_users: dau }, benchOf([...grows, ...noisy]));
    assert.equal(d.status, "undecided");
    assert.equal(verdict(d, "lsm", "capacity").valid, "unknown");
    assert.equal(d.recommended, null);
  });

  it("still fails a store by its largest measured rate, which no larger size can beat", () => {
    const d = decide({ ...big, daily_active_users: 3_000_000_000 }, benchOf([...grows, ...noisy]));
    assert.equal(verdict(d, "lsm", "capacity").valid, "fail");
    assert.equal(d.status, "none-enough");
  });

  it("judges a start-up near its limit as unknown, not on its point estimate", () => {
    // 30 s allowed; measured 28 s at the profile's own size, ±10%: between.
    const near = ladder("jsonl-group", [9_000, 9_000, 9_000], [60, 60, 60], [2_800, 9_333, 28_000]);
    const d = decide({ ...base, records: 1_000_000, daily_active_users: 1_000 }, benchOf(near));
    assert.equal(verdict(d, "jsonl-group", "restart").valid, "unknown");
  });
});

describe("the decision over the app's growth", () => {
  const LADDER = [100_000, 333_333, 1_000_000];
  const cells = (approach: string, rss: (n: number) => number) =>
    LADDER.map((records) =>
      runOf({
        ...{ approach, workload: "mixed", records, durability: "power-loss" },
        ...{ rps: 5_000, rps_samples: [5_000], rss_mb: rss(records), startup_ms: 200 },
      }),
    );
  // A map store's memory grows by 2 MB per 1,000 records; SQLite's stays flat.
  const growing = cells("jsonl-fsync", (n) => 60 + n / 500);
  const flat = cells("sqlite", () => 60);
  const ev: Evidence = {
    ...evidence,
    durability: [],
    bench: {
      ...evidence.bench,
      runs: [...growing, ...flat],
      settings: {
        ...evidence.bench.settings,
        approaches: ["jsonl-fsync", "sqlite"],
        records: LADDER,
      },
    },
  };
  // 30,000 writes a day: 11 million more records in a year, 22 GB more for jsonl-fsync.
  const saas: Profile = {
    ...base,
    ...{ daily_active_users: 20_000, requests_per_user: 30, peak_factor: 5, write_share: 0.05 },
    ...{ records: 1_000_000, survive: "power-loss", records_per_day: undefined },
  };

  it("ranks an approach that reaches a limit inside the horizon below one that holds, and says so", () => {
    const d = decide(saas, ev);
    assert.equal(d.recommended, "sqlite");
    const j = candidate(d, "jsonl-fsync");
    assert.equal(j.valid, "pass");
    assert.equal(j.lasts?.first?.requirement, "memory");
    assert.equal(j.lasts?.predicted_to_hold, false);
    assert.ok((j.lasts?.days_predicted ?? 0) < 365);
    assert.equal(candidate(d, "sqlite").lasts?.valid, "pass");
    assert.equal(candidate(d, "sqlite").lasts?.assumed, true);
  });

  it("without records_per_day, shows the answer if the records did not grow", () => {
    const d = decide(saas, ev);
    assert.deepEqual(d.without_growth, { recommended: "jsonl-fsync" });
    const known = decide({ ...saas, records_per_day: 100 }, ev);
    assert.equal(known.recommended, "jsonl-fsync", "100 records a day: it holds a year");
    assert.equal(known.without_growth, undefined);
  });

  it("answers for the servers the app will have later, and why the answer for now would not do", () => {
    const d = decide(
      { ...saas, servers_later: 3 },
      { ...evidence, durability: ev.durability, bench: ev.bench },
    );
    const later = d.later ?? assert.fail("no outlook");
    assert.equal(later.servers, 3);
    assert.equal(later.now_fails?.requirement, "servers");
  });
});

describe("the decision past one database server", () => {
  const topology = evidence.topology as TopologyResults;
  const runs = topology.replica_runs ?? assert.fail("the fixture has replica runs");
  const run = (n: number) => runs.find((r) => r.replicas === n) ?? assert.fail(`no run with ${n}`);
  // 3 servers, 90% reads, a peak of 9,028 requests/s: more than one primary's mix (5,076 in the
  // fixture's bench), fewer reads than one replica serves.
  const readHeavy: Profile = {
    ...base,
    ...{ daily_active_users: 13_000_000, write_share: 0.1, servers: 3, stale_read_ms: 1_000 },
  };
  const peak = (13_000_000 * 20 * 3) / 86_400;

  it("answers an app on 3 servers with 90% reads with the fewest replicas that carry the reads at their low edge", () => {
    const d = decide(readHeavy, evidence);
    assert.equal(d.recommended, "postgres");
    const plan = d.deployment ?? assert.fail("no deployment");
    assert.equal(plan.kind, "replicas");
    const perReplica = run(0).read_rps;
    assert.equal(plan.replicas, Math.ceil((peak * 0.9) / (perReplica * 0.9)));
    const writes = (runFor(plan.replicas)?.write.rps ?? 0) / 0.1;
    const capacity = Math.min((plan.replicas * perReplica) / 0.9, writes);
    assert.ok(Math.abs(plan.capacity_rps - capacity) < 1e-6);
    assert.equal(d.run?.env.POSTGRES_REPLICAS, String(plan.replicas));
    assert.equal(d.run?.shared_database, true);
  });

  const runFor = (n: number) =>
    runs
      .filter((r) => r.replicas > 0 && r.replicas <= n)
      .sort((a, b) => b.replicas - a.replicas)[0];

  it("with reads that may never be stale, makes writes wait for the replicas, or says why not", () => {
    const d = decide({ ...readHeavy, stale_read_ms: 0 }, evidence);
    const plan = d.deployment ?? assert.fail(`no deployment: ${d.status}`);
    assert.equal(plan.kind, "replicas with read-your-writes");
    assert.ok(
      plan.capacity_rps <= (runFor(plan.replicas)?.write_read_your_writes.rps ?? 0) / 0.1 + 1e-9,
    );
    const none = decide({ ...readHeavy, write_share: 0.5, stale_read_ms: 0 }, evidence);
    const v = verdict(none, "postgres", "capacity");
    assert.equal(v.valid, "fail");
    assert.equal(finding(v, "replicas").plan.why_not, "writes-too-slow");
  });

  it("gives one primary, with no replica, when it carries the peak alone", () => {
    const d = decide({ ...readHeavy, daily_active_users: 100_000 }, evidence);
    assert.equal(d.recommended, "postgres");
    assert.equal(d.deployment, undefined);
    assert.equal(verdict(d, "postgres", "capacity").finding.kind, "capacity");
    assert.equal(d.run?.env.POSTGRES_REPLICAS, undefined);
  });

  it("estimates the fleet for 3,000,000,000 daily users from the replicas' measured rates, as an extrapolation", () => {
    const planet: Profile = {
      ...readHeavy,
      ...{ daily_active_users: 3_000_000_000, requests_per_user: 50, records: 3_000_000_000 },
      ...{ write_share: 0.05, servers: 1_000 },
    };
    const d = decide(planet, evidence);
    assert.equal(d.recommended, null);
    const f = d.fleet ?? assert.fail(`no fleet: ${d.status}`);
    assert.equal(f.extrapolation, true);
    assert.equal(f.rates.kind, "replicas");
    const writes = (3_000_000_000 * 50 * 3 * 0.05) / 86_400;
    assert.equal(f.shards, Math.ceil(writes / run(2).write.rps));
    assert.equal(f.rates.read_rps_per_replica, run(0).read_rps);
    assert.equal(f.servers, f.shards * (1 + f.replicas_per_shard));
    // Without topology, the bench's mixed cell, split by the write share, and labelled so.
    const bare = decide(planet, { ...evidence, topology: undefined });
    assert.equal(bare.fleet?.rates.kind, "mixed-split");
  });
});
