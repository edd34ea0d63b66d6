// The evidence the decision's tests judge from: result files the labs recorded on this
// machine (test/fixtures/decision: a --quick bench at 1,000 records, crash trials with power
// cuts, contention, topology and orders-check), and a plain profile to vary.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { declarations } from "../../../src/lab/experiments/bench.ts";
import type { Results } from "../../../src/lab/results/bench.ts";
import type { ContentionResults } from "../../../src/lab/results/contention.ts";
import type { Evidence } from "../../../src/lab/results/decision.ts";
import type { DurabilityResults } from "../../../src/lab/results/durability.ts";
import type { OrdersResults } from "../../../src/lab/results/orders.ts";
import type { Profile } from "../../../src/lab/results/profile.ts";
import type { TopologyResults } from "../../../src/lab/results/topology.ts";
import { APPROACHES } from "../../../src/stores/index.ts";

const FIXTURES = join(import.meta.dirname, "../../fixtures/decision");
const read = <T>(name: string) => JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as T;

export const evidence: Evidence = {
  bench: read<Results>("results.json"),
  durability: read<DurabilityResults>("durability.json").runs,
  contention: read<ContentionResults>("contention.json"),
  topology: read<TopologyResults>("topology.json"),
  orders: read<OrdersResults>("orders.json"),
  declared: await declarations(APPROACHES),
};

export const base: Profile = {
  ...{ name: "test", daily_active_users: 1_000, requests_per_user: 20, peak_factor: 3 },
  ...{ write_share: 0.1, records: 1_000, processes: 1, servers: 1, needs: [] },
  ...{ survive: "nothing", restart_s_max: 30, stale_read_ms: 1_000, horizon_days: 365 },
  failover_s_max: 30,
  // The fixture's bench measured 1,000 records only: records that do not grow stay there.
  records_per_day: 0,
};
