// The decision's words, held once: every other test asserts verdicts' ids and numbers, and
// this one snapshot holds what a reader sees for each kind of answer (an answer with how to
// run it, replicas, a fleet, no answer yet, a failed lab). `npm test -- --test-update-snapshots`
// rewrites it after a change to the wording, which the diff then shows.
import { describe, it } from "node:test";
import { decisionReport } from "../../../src/lab/report/decision.ts";
import { renderMarkdown } from "../../../src/lab/report/markdown.ts";
import { type Decision, decide } from "../../../src/lab/results/decision.ts";
import type { Profile } from "../../../src/lab/results/profile.ts";
import { base, evidence } from "../results/decision.test.ts";

const render = (d: Decision) => renderMarkdown(decisionReport(d));

describe("the decision, in words", () => {
  it("reads as it did, for each kind of answer", (t) => {
    const heavy: Profile = { ...base, daily_active_users: 13_000_000, servers: 3 };
    const planet: Profile = {
      ...heavy,
      ...{ daily_active_users: 3_000_000_000, requests_per_user: 50, records: 3_000_000_000 },
      ...{ write_share: 0.05, servers: 1_000 },
    };
    const failed = [
      { lab: "bench", complete: false, interrupted: false, error: "map mixed 1000 records: boom" },
    ];
    const pages = [
      render(decide({ ...base, survive: "power-loss", needs: ["by-email"] }, evidence)),
      render(decide(heavy, evidence)),
      render(decide(planet, evidence)),
      render(decide({ ...base, survive: "power-loss" }, { ...evidence, labs: failed })),
    ];
    t.assert.snapshot(pages.join("\n\n---\n\n"));
  });
});
