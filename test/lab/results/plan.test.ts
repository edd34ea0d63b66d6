// What advise measures next: the ceilings first, then the crash trials that rule a store out in
// seconds, then store by store in ranking order its races, cells and disk faults; nothing for a
// store already out; nothing at all for one that could not rank above an answer that holds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Decision } from "../../../src/lab/results/decision.ts";
import {
  type Contender,
  type Inventory,
  type PlanInput,
  planTasks,
} from "../../../src/lab/results/plan.ts";
import type { Profile } from "../../../src/lab/results/profile.ts";
import { base } from "./_decision-evidence.ts";
import { allFailover } from "./_failover-fixture.ts";

const contenders: Contender[] = [
  { approach: "map", order: 101, crashable: true, service: false },
  { approach: "sqlite", order: 203, crashable: true, service: false },
  { approach: "postgres", order: 510, crashable: false, service: true },
];
const empty: Inventory = { cells: new Set(), trials: new Set(), pairs: new Set(), topology: false };
const none = { candidates: [], recommended: null } as unknown as Decision;
const plan = (
  profile: Profile,
  decision = none,
  inventory = empty,
  failover: Partial<PlanInput> = { can_failover: false },
) =>
  planTasks({
    profile,
    decision,
    inventory,
    contenders,
    records: 1_000,
    faults: ["sigkill", "powercut", "enospc", "eio", "torn"],
    can_failover: false,
    ...failover,
  });

describe("the plan", () => {
  it("measures the ceilings, then each crash the app must survive, then cells in ranking order, then disk faults", () => {
    const kinds = plan({ ...base, survive: "power-loss" }).map((t) =>
      t.kind === "cells"
        ? `cells ${t.approach}`
        : t.kind === "trials"
          ? `${t.faults.join("+")} ${t.approach}`
          : t.kind,
    );
    assert.deepEqual(kinds, [
      "cells node:http",
      "cells null",
      "powercut map",
      "powercut sqlite",
      "cells map",
      "enospc+eio+torn map",
      "cells sqlite",
      "enospc+eio+torn sqlite",
      "cells postgres",
    ]);
  });

  it("runs the two-server labs for the app's needs first, and topology for a store with a server of its own", () => {
    const tasks = plan({ ...base, processes: 2, needs: ["orders"], servers_later: 3 });
    assert.deepEqual(
      tasks
        .filter((t) => t.kind === "pair")
        .map((t) => t.kind === "pair" && `${t.lab} ${t.approach}`),
      [
        "contention map",
        "orders map",
        "contention sqlite",
        "orders sqlite",
        "contention postgres",
        "orders postgres",
      ],
    );
    assert.equal(tasks.filter((t) => t.kind === "topology").length, 1);
  });

  it("runs every crash trial before any race, and a store's races right before its cells", () => {
    const names = plan({ ...base, processes: 2, survive: "power-loss" }).map((t) =>
      t.kind === "cells" || t.kind === "trials" || t.kind === "pair"
        ? `${t.kind === "pair" ? t.lab : t.kind} ${t.approach}`
        : t.kind,
    );
    assert.deepEqual(names.slice(2, 7), [
      "trials map",
      "trials sqlite",
      "contention map",
      "cells map",
      "trials map",
    ]);
    assert.deepEqual(names.slice(7, 10), ["contention sqlite", "cells sqlite", "trials sqlite"]);
  });

  it("plans nothing more for a store ruled out, nor for one that could not rank above an answer that holds", () => {
    const d = {
      recommended: "map",
      candidates: [
        { approach: "map", valid: "pass", lasts: { valid: "pass" } },
        { approach: "sqlite", valid: "unknown" },
        { approach: "postgres", valid: "fail" },
      ],
    } as unknown as Decision;
    const measured: Inventory = {
      ...empty,
      cells: new Set([
        "node:http|read|1000",
        "node:http|write|1000",
        "null|read|1000",
        "null|write|1000",
        "map|read|1000",
        "map|write|1000",
        "map|mixed|1000",
      ]),
    };
    assert.deepEqual(plan(base, d, measured), [], "the answer is final");
    const unsure = {
      ...d,
      candidates: [{ ...d.candidates[0], lasts: { valid: "unknown" } }, ...d.candidates.slice(1)],
    } as Decision;
    assert.deepEqual(
      plan(base, unsure, measured).map((t) => t.kind === "cells" && t.approach),
      ["sqlite"],
      "an answer that may not hold the horizon could be beaten by a store that does",
    );
  });

  it("measures failovers of the store with a server of its own, when the app must survive losing a machine", () => {
    const ruledOut = {
      candidates: [
        { approach: "map", valid: "fail" },
        { approach: "sqlite", valid: "fail" },
        { approach: "postgres", valid: "unknown" },
      ],
      recommended: null,
    } as unknown as Decision;
    const loss = { ...base, survive: "machine-loss" as const };
    const failovers = (input: Partial<PlanInput>) =>
      plan(loss, ruledOut, empty, input).filter((t) => t.kind === "failover");
    assert.deepEqual(failovers({ can_failover: true }), [
      { kind: "failover", mode: "async", faults: ["stall-node", "node"] },
    ]);
    assert.deepEqual(failovers({ can_failover: false }), [], "not without Debian's packages");
    assert.deepEqual(failovers({ can_failover: true, failover: allFailover }), [], "sync passed");
  });
});

describe("the plan, for growth no measurement decides", () => {
  const lasts = (predicted: boolean | null) => ({
    ...{ valid: predicted === null ? "unknown" : "pass", predicted_to_hold: predicted },
  });
  const decided = (predicted: boolean | null) =>
    ({
      recommended: "map",
      candidates: [{ approach: "map", valid: "pass", lasts: lasts(predicted) }],
    }) as unknown as Decision;
  const growth = (d: Decision) =>
    planTasks({
      ...{ profile: { ...base, survive: "nothing" }, decision: d, inventory: empty, contenders },
      ...{ records: 1_000_000, faults: [], can_failover: false },
    }).filter((t) => t.kind === "cells" && t.records < 1_000_000);

  it("measures the answer's reads and writes at the two sizes below, so that a fit can predict", () => {
    assert.deepEqual(
      growth(decided(null)).map((t) => t.kind === "cells" && [t.approach, t.records, t.workloads]),
      [
        ["map", 10_000, ["read", "write"]],
        ["map", 100_000, ["read", "write"]],
      ],
    );
  });

  it("measures nothing more where a fit already predicts", () => {
    assert.deepEqual(growth(decided(true)), []);
  });
});
