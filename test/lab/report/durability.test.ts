// The durability section: the crash lab's table, and the flush-window note for a store that
// acknowledges before it writes, judged from the window its /health reported.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { durabilitySections } from "../../../src/lab/report/durability.ts";
import { renderMarkdown } from "../../../src/lab/report/markdown.ts";
import type { Report } from "../../../src/lab/report/model.ts";
import type { DurabilityRun } from "../../../src/lab/results/durability.ts";

const report = (runs: DurabilityRun[]): Report => ({
  title: "t",
  intro: [],
  sections: durabilitySections(runs, ""),
});

describe("the flush-window check", () => {
  const run = (worst: number) => ({
    approach: "sqlite-batched",
    fault: "sigkill" as const,
    trials: 5,
    acked: 900,
    lost_acked: worst,
    corrupt: 0,
    restarted: 5,
    repaired: 0,
    max_lost_in_a_trial: worst,
    claim: "nothing" as const,
    claim_held: true,
    flush_window: { rows: 100, ms: 50 },
  });
  const notes = (runs: DurabilityRun[]) => renderMarkdown(report(runs));
  it("says whether sqlite-batched lost more than one flush window", () => {
    assert.match(
      notes([run(99)]),
      /at most 99 acknowledged rows .* 100 rows .*stayed within one window/,
    );
    assert.match(notes([run(250)]), /exceeded one window/);
    const { flush_window: _, ...map } = { ...run(5), approach: "map" };
    assert.doesNotMatch(notes([map]), /flush window/);
  });
});

describe("the disk-fault section", () => {
  const run = (fault: "enospc" | "eio" | "sigkill", extra: Partial<DurabilityRun> = {}) => ({
    ...{ approach: "jsonl-group", fault, trials: 5, acked: 900, lost_acked: 0, corrupt: 0 },
    ...{ restarted: 5, repaired: 0, max_lost_in_a_trial: 0, claim: "power-loss" as const },
    claim_held: true,
    ...extra,
  });
  it("gets its own table, with what the client saw, bare 500s, the return of writes and fencing", () => {
    const md = renderMarkdown(
      report([
        run("sigkill"),
        run("enospc", { statuses: { "201": 4021, "507": 88 }, resumed_ms_max: 12, fenced: 0 }),
        run("eio", { statuses: { "201": 300, "503": 40, "500": 2 }, fenced: 5 }),
      ]),
    );
    assert.match(md, /## Durability, measured/);
    assert.match(md, /## What each store does when the disk misbehaves/);
    const [crash, disk] = md.split("## What each store does");
    assert.doesNotMatch(crash ?? "", /ENOSPC\)/, "disk faults stay out of the crash table");
    assert.match(disk ?? "", /\| 201 ×4,021 · 507 ×88 \| 0 \| 12 ms \| 0\/5 \|/);
    assert.match(disk ?? "", /\| 201 ×300 · 503 ×40 · 500 ×2 \| 2 \| {2}\| 5\/5 \|/);
  });
  it("says when writes never came back after a full disk", () => {
    const md = renderMarkdown(report([run("enospc", { statuses: {}, resumed_ms_max: null })]));
    assert.match(md, /\*\*never\*\*/);
    assert.doesNotMatch(md, /## Durability, measured/);
  });
});
