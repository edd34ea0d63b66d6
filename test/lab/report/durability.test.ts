// The durability section: the crash lab's table, and the flush-window note for a store that
// acknowledges before it writes, judged from the window its /health reported.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { durabilitySection } from "../../../src/lab/report/durability.ts";
import { renderMarkdown } from "../../../src/lab/report/markdown.ts";
import type { Report } from "../../../src/lab/report/model.ts";
import type { DurabilityRun } from "../../../src/lab/results/durability.ts";

const report = (runs: DurabilityRun[]): Report => ({
  title: "t",
  intro: [],
  sections: [durabilitySection(runs, "")],
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
