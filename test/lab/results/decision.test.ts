// The decision, judged from result files the labs recorded on this machine (test/fixtures:
// a bench at 1,000 records, crash trials with power cuts, contention, topology and
// orders-check, each from a --quick run). The profiles differ; the evidence does not.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Results } from "../../../src/lab/results/bench.ts";
import type { ContentionResults } from "../../../src/lab/results/contention.ts";
import { decide, type Evidence } from "../../../src/lab/results/decision.ts";
import type { DurabilityResults } from "../../../src/lab/results/durability.ts";
import type { OrdersResults } from "../../../src/lab/results/orders.ts";
import type { Profile } from "../../../src/lab/results/profile.ts";
import type { TopologyResults } from "../../../src/lab/results/topology.ts";
import { APPROACHES, loadStore } from "../../../src/stores/index.ts";
import { runOf } from "../_fixtures.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/decision");
const read = <T>(name: string) => JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;

const declared = Object.fromEntries(
  await Promise.all(
    APPROACHES.map(async (a) => {
      const store = await loadStore(a);
      return [a, { service: Boolean(store.service), many: store.processes.many }] as const;
    }),
  ),
);

const evidence: Evidence = {
  bench: read<Results>("results.json"),
  durability: read<DurabilityResults>("durability.json").runs,
  contention: read<ContentionResults>("contention.json"),
  topology: read<TopologyResults>("topology.json"),
  orders: read<OrdersResults>("orders.json"),
  declared,
};

const base: Profile = {
  ...{ name: "test", daily_active_users: 1_000, requests_per_user: 20, peak_factor: 3 },
  ...{ write_share: 0.1, records: 1_000, processes: 1, servers: 1, needs: [] },
  ...{ survive: "nothing", restart_s_max: 30, stale_read_ms: 1_000 },
};

const ruledOut = (d: ReturnType<typeof decide>, approach: string) =>
  d.ruled_out.find((r) => r.approach === approach) ?? assert.fail(`${approach} was not ruled out`);

describe("the decision, from recorded results", () => {
  it("gives an app on several servers postgres, and rules out every store of files beside one server", () => {
    const d = decide({ ...base, servers: 3 }, evidence);
    assert.equal(d.recommended, "postgres", d.reason);
    for (const a of ["map", "sqlite", "jsonl-group", "lsm"]) {
      const r = ruledOut(d, a);
      assert.match(r.requirement, /3 servers/);
      assert.match(r.evidence, /stale .*npm run topology/);
    }
    assert.ok(d.headroom && d.headroom >= 1);
  });

  it("rules out the flat files for orders on several processes by the oversell measured", () => {
    const d = decide({ ...base, processes: 2, needs: ["orders"] }, evidence);
    for (const a of ["map", "jsonl-fsync", "jsonl-group"]) {
      const r = ruledOut(d, a);
      assert.match(
        r.evidence,
        /oversold [\d,]+ units \(npm run orders-check\)/,
        `${a}: ${r.evidence}`,
      );
    }
    assert.match(ruledOut(d, "linear").evidence, /answers 501 to orders/);
    assert.ok(["sqlite", "sqlite-group", "postgres"].includes(d.recommended ?? ""), d.reason);
  });

  it("rules out a store that came through power cuts but lost writes to torn ones, where torn writes were measured", () => {
    const chosen = decide({ ...base, survive: "power-loss" }, evidence).recommended as string;
    const torn = {
      ...{ approach: chosen, fault: "torn" as const, trials: 5, acked: 900, lost_acked: 3 },
      ...{
        corrupt: 0,
        restarted: 5,
        repaired: 5,
        max_lost_in_a_trial: 3,
        claim: "power-loss" as const,
      },
      claim_held: false,
    };
    const d = decide(
      { ...base, survive: "power-loss" },
      { ...evidence, durability: [...(evidence.durability ?? []), torn] },
    );
    assert.notEqual(d.recommended, chosen);
    assert.equal(
      ruledOut(d, chosen).evidence,
      "lost 3 of 900 acknowledged writes over 5 power cuts with torn writes (npm run crash)",
    );
    const crashOnly = decide(
      { ...base, survive: "process-crash" },
      { ...evidence, durability: [...(evidence.durability ?? []), torn] },
    );
    assert.ok(
      !crashOnly.ruled_out.some((r) => /torn/.test(r.evidence)),
      "torn writes are a power loss's test only",
    );
  });

  it("rules out map for power-loss survival by the acknowledged writes it lost to power cuts", () => {
    const d = decide({ ...base, survive: "power-loss" }, evidence);
    const map = ruledOut(d, "map");
    assert.match(
      map.evidence,
      /^lost ([\d,]+) of \1 acknowledged writes over \d+ power cuts \(npm run crash\)$/,
    );
    assert.notEqual(d.recommended, "map");
    assert.match(d.reason, /simplest/);
  });

  it("recommends nothing, and says why, when no approach carries the peak", () => {
    const d = decide({ ...base, daily_active_users: 10_000_000_000 }, evidence);
    assert.equal(d.recommended, null);
    assert.equal(d.headroom, null);
    assert.match(d.reason, /No approach measured on this machine meets every requirement/);
    assert.ok(d.ruled_out.every((r) => /requests\/s against/.test(r.evidence)));
  });

  it("passes, for a small app, the simplest approach that is enough, and says when its choice runs out", () => {
    const d = decide(base, evidence);
    assert.equal(d.recommended, "linear", d.reason);
    assert.match(d.what_would_change[0] ?? "", /carries up to [\d,]+ daily active users/);
  });
});

describe("the decision at a size past what was measured", () => {
  const LADDER = [100_000, 333_333, 1_000_000];
  /** One approach's mixed cells up the ladder: req/s, memory and start-up at each size. */
  const ladder = (approach: string, rps: number[], rss: number[], startup: number[]) =>
    LADDER.map((records, i) =>
      runOf({
        ...{ approach, workload: "mixed", records, durability: "power-loss" },
        ...{ rps: rps[i], rss_mb: rss[i], startup_ms: startup[i] },
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
      warnings: [],
    },
  });
  const big: Profile = { ...base, records: 40_000_000, daily_active_users: 200_000 };
  const steady = ladder("sqlite", [10_000, 9_800, 9_600], [60, 60, 61], [200, 205, 210]);
  const grows = ladder("map", [40_000, 39_000, 38_000], [100, 330, 1_000], [300, 1_000, 3_000]);
  const noisy = ladder("lsm", [30_000, 11_000, 17_000], [60, 61, 60], [200, 200, 200]);

  it("decides from predictions, marks them as predicted, and rules out memory it would need", () => {
    const d = decide(big, benchOf([...steady, ...grows]));
    assert.equal(d.recommended, "sqlite", d.reason);
    assert.match(d.reason, /predicted [\d,]+ ± [\d,]+ req\/s at 40,000,000 records from 3 sizes/);
    assert.ok(
      d.met.every((m) => /predicted/.test(m.evidence)),
      JSON.stringify(d.met),
    );
    assert.match(ruledOut(d, "map").evidence, /would use [\d,]+ MB holding 40,000,000 records/);
  });

  it("says it has no answer, rather than that nothing is enough, where a fit cannot be trusted", () => {
    const d = decide(big, benchOf([...grows, ...noisy]));
    assert.equal(d.recommended, null);
    assert.equal(ruledOut(d, "lsm").unknown, true);
    assert.match(ruledOut(d, "lsm").evidence, /missed its own held-out point/);
    assert.match(d.reason, /not shown to fail either: `lsm`/);
    assert.doesNotMatch(d.reason, /needs more than one machine of this size/);
  });

  it("still rules a store out by its largest measured rate, which no larger size can beat", () => {
    const d = decide({ ...big, daily_active_users: 3_000_000_000 }, benchOf([...grows, ...noisy]));
    const lsm = ruledOut(d, "lsm");
    assert.equal(lsm.unknown, undefined);
    assert.match(
      lsm.evidence,
      /at most 17,000 requests\/s against [\d,]+ needed: measured at 1,000,000/,
    );
    assert.match(d.reason, /No approach measured on this machine meets every requirement/);
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

  it("answers an app on 3 servers with 90% reads with replicas, its headroom from the replicas' measured reads", () => {
    const d = decide(readHeavy, evidence);
    assert.equal(d.recommended, "postgres", d.reason);
    const plan = d.deployment ?? assert.fail("no deployment");
    assert.equal(plan.kind, "replicas");
    assert.equal(plan.replicas, 1);
    const byReads = run(0).read_rps / 0.9;
    const byWrites = run(1).write.rps / 0.1;
    assert.ok(Math.abs((d.headroom ?? 0) - Math.min(byReads, byWrites) / peak) < 1e-9);
    assert.match(d.reason, /primary with 1 read replica/);
    assert.match(plan.reason, /reads\/s need 1 replica at [\d,]+ reads\/s each/);
    assert.match(plan.rejected[0] ?? "", /one primary: 5,076 requests\/s against 9,028 needed/);
  });

  it("with reads that may never be stale, makes writes wait for the replicas, or says why not", () => {
    const d = decide({ ...readHeavy, stale_read_ms: 0 }, evidence);
    assert.equal(d.recommended, "postgres", d.reason);
    const plan = d.deployment ?? assert.fail("no deployment");
    assert.equal(plan.kind, "replicas with read-your-writes");
    assert.match(
      plan.reason,
      /the app allows no stale read; with every write waiting .* 0 of \d+ were stale/,
    );
    const byWrites = run(1).write_read_your_writes.rps / 0.1;
    assert.ok(
      (d.headroom ?? 0) <= byWrites / peak + 1e-9,
      "writes are bounded by remote_apply's rate",
    );
    // Writes heavy enough that waiting for the replicas cannot carry them: no replicas.
    const writeHeavy = { ...readHeavy, write_share: 0.5, stale_read_ms: 0 };
    const none = decide(writeHeavy, evidence);
    assert.notEqual(none.deployment?.kind, "replicas with read-your-writes");
    assert.match(
      ruledOut(none, "postgres").evidence,
      /with read replicas, the primary took [\d,]+ writes\/s with 1 replica, each waiting for them/,
    );
  });

  it("gives one primary when it carries the peak alone", () => {
    const d = decide({ ...readHeavy, daily_active_users: 100_000 }, evidence);
    assert.equal(d.deployment?.kind, "one primary");
    assert.match(d.reason, /Run it as one primary/);
  });

  it("estimates the fleet for 3,000,000,000 daily users, from the measured rates, as an extrapolation", () => {
    const planet: Profile = {
      ...readHeavy,
      ...{ daily_active_users: 3_000_000_000, requests_per_user: 50, records: 3_000_000_000 },
      ...{ write_share: 0.05, servers: 1_000 },
    };
    const d = decide(planet, evidence);
    assert.equal(d.recommended, null);
    const f = d.fleet ?? assert.fail(`no fleet: ${d.reason}`);
    assert.equal(f.extrapolation, true);
    const writes = (3_000_000_000 * 50 * 3 * 0.05) / 86_400;
    const w = run(2).write.rps; // plain: the 2-replica run's stale reads lasted under 1 s
    assert.equal(f.shards, Math.ceil(writes / w));
    assert.equal(f.read_rps_per_replica, run(0).read_rps);
    assert.equal(f.servers, f.shards * (1 + f.replicas_per_shard));
    assert.match(d.reason, /Extrapolated from one machine: about [\d,]+ `postgres` primaries/);
    assert.match(d.reason, /CockroachDB, YugabyteDB and Citus/);
    assert.ok(f.model.length >= 4, "the model states its assumptions");
  });
});
