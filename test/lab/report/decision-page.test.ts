// decision.html in a real browser: the answer and its command come first, and each chart of
// the decision draws its bars, from the verdicts the words read. A decision with nothing
// passing still draws capacity against the peak.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decisionReport } from "../../../src/lab/report/decision.ts";
import { renderHtml } from "../../../src/lab/report/html.ts";
import { decide } from "../../../src/lab/results/decision.ts";
import type { Profile } from "../../../src/lab/results/profile.ts";
import { tempDir } from "../../_helpers.ts";
import { noBrowser, openPage } from "../_browser.ts";
import { base, evidence } from "../results/_decision-evidence.ts";

const dir = tempDir("decision-page");
const page = (name: string, p: Profile) => {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, renderHtml(decisionReport(decide(p, evidence))));
  return file;
};

describe("decision.html in a browser", { skip: noBrowser }, () => {
  it("draws capacity against the peak, the writes lost, and how long each holds, at 1280 and 390 px", async () => {
    const file = page("saas", { ...base, survive: "power-loss", needs: ["by-email"] });
    for (const width of [1280, 390]) {
      const p = await openPage(file, width);
      assert.deepEqual(p.problems, []);
      assert.equal(p.charts, 3, `${width} px`);
      for (const id of ["chart-capacity", "chart-losses", "chart-holds"]) {
        assert.ok((p.items[id] ?? 0) > 0, `${id} drew nothing at ${width} px`);
        assert.ok(
          (p.marks[id] ?? 0) >= 1,
          `${id} drew no line for the peak, the loss or the horizon`,
        );
      }
      for (const n of p.inked) assert.ok(n > 1000, `a canvas has ${n} drawn pixels`);
    }
  });

  it("still draws capacity against the peak when nothing passes", async () => {
    const p = await openPage(page("none", { ...base, daily_active_users: 10_000_000_000 }));
    assert.deepEqual(p.problems, []);
    assert.ok((p.items["chart-capacity"] ?? 0) > 0);
    assert.equal(p.marks["chart-capacity"], 1, "the peak's line");
  });

  it("draws the peak's line on a chart of one bar, however far the bar is from it", async () => {
    // As on a SaaS answer's page: one approach measured for speed, hundreds of times the peak.
    // The line was once a one-point dataset, which draws nothing on a single row.
    const file = join(dir, "one-bar.html");
    const d = decide({ ...base, daily_active_users: 100 }, { ...evidence, candidates: ["sqlite"] });
    writeFileSync(file, renderHtml(decisionReport(d)));
    const p = await openPage(file);
    assert.deepEqual(p.problems, []);
    assert.equal(p.items["chart-capacity"], 1, "one bar");
    assert.equal(p.marks["chart-capacity"], 1, "the peak's line");
  });
});
