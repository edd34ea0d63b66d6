// The decision's words, held once: every other test asserts verdicts' ids and numbers, and
// this one snapshot holds what a reader sees for each kind of answer (an answer with how to
// run it, replicas, a fleet, no answer yet, a failed lab, a failover). `npm test -- --test-update-snapshots`
// rewrites it after a change to the wording, which the diff then shows.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readProfile } from "../../../src/lab/cli/profile.ts";
import { PROJECT_ROOT } from "../../../src/lab/harness/paths.ts";
import { decisionReport } from "../../../src/lab/report/decision.ts";
import { renderMarkdown } from "../../../src/lab/report/markdown.ts";
import type { Report } from "../../../src/lab/report/model.ts";
import { type Decision, decide } from "../../../src/lab/results/decision.ts";
import type { Profile } from "../../../src/lab/results/profile.ts";
import { base, evidence } from "../results/_decision-evidence.ts";
import { allFailover } from "../results/_failover-fixture.ts";

const render = (d: Decision) => renderMarkdown(decisionReport(d));

/** Tables with a header and no row: a section with nothing to show must say why instead. */
const emptyTables = (r: Report) =>
  r.sections.flatMap((s) =>
    s.blocks.filter((b) => b.kind === "table" && b.table.rows.length === 0).map(() => s.title),
  );

describe("the decision, in words", () => {
  it("prints no empty table, for any profile in profiles/", () => {
    const dir = join(PROJECT_ROOT, "profiles");
    for (const file of readdirSync(dir)) {
      const profile = readProfile({ profile: join(dir, file) });
      const r = decisionReport(decide(profile, evidence));
      assert.deepEqual(emptyTables(r), [], file);
    }
  });

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
      render(
        decide(
          { ...base, survive: "machine-loss", stale_read_ms: 0, servers: 2 },
          { ...evidence, failover: allFailover },
        ),
      ),
    ];
    t.assert.snapshot(pages.join("\n\n---\n\n"));
  });
});
