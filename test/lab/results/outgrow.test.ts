// How long an approach holds an app whose data grows, from fits over a ladder of sizes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Results, Run } from "../../../src/lab/results/bench.ts";
import { Figures } from "../../../src/lab/results/figures.ts";
import { type Limits, outgrowOf } from "../../../src/lab/results/outgrow.ts";
import type { Profile } from "../../../src/lab/results/profile.ts";
import { runOf } from "../_fixtures.ts";

const LADDER = [20_000, 66_667, 200_000];
const fixture = JSON.parse(
  readFileSync(join(import.meta.dirname, "../../fixtures/decision/results.json"), "utf8"),
) as Results;
const benchOf = (runs: Run[]): Results => ({
  ...fixture,
  runs,
  settings: { ...fixture.settings, approaches: ["jsonl-fsync"], records: LADDER },
});
/** A write-heavy cell: it ends holding `held` records, whatever it was seeded with. */
const cell = (records: number, held: number, o: Partial<Run>) =>
  runOf({
    ...{ approach: "jsonl-fsync", workload: "mixed", records, records_held: held },
    ...{ rps: 3_000, anon_mb: 60 + held / 1_000, startup_ms: 100 + records / 1_000 },
    ...o,
  });
const profile: Profile = {
  ...{ name: "devices", daily_active_users: 2_000, requests_per_user: 8_640, peak_factor: 1.5 },
  ...{ write_share: 0.95, records: 200_000, processes: 1, servers: 1, needs: [] },
  ...{ survive: "power-loss", restart_s_max: 30, stale_read_ms: 1_000 },
};
const limits: Limits = {
  memory_mb: 12_000,
  restart_ms: 30_000,
  peak_rps: 300,
  rates: ["mixed_rps"],
};

describe("outgrowOf", () => {
  it("fits memory against the records a cell held, its writes too, and says when it runs out", () => {
    // Seeded sizes say nothing about memory here: every cell wrote about 60,000 records.
    const runs = LADDER.map((n) => cell(n, n + 60_000, {}));
    const o = outgrowOf("jsonl-fsync", profile, new Figures(benchOf(runs), 200_000), limits);
    assert.match(o.limit, /^memory, at about [\d,]+ records \(predicted\)$/, o.limit);
    // 1 MB per 1,000 records held: 12,000 MB at about 11.9 million, under a day of writes.
    assert.ok(o.days !== null && o.days > 0.5 && o.days < 1, `${o.days}`);
  });

  it("never says 'no limit' when a limit's growth could not be predicted", () => {
    const flat = (n: number, i: number) =>
      cell(n, n, { anon_mb: 60, startup_ms: [100, 900, 150][i] as number });
    const o = outgrowOf(
      "jsonl-fsync",
      profile,
      new Figures(benchOf(LADDER.map(flat)), 200_000),
      limits,
    );
    assert.equal(o.days, null);
    assert.match(o.limit, /^cannot tell: its restart time could not be predicted/);
  });
});
