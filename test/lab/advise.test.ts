// npm run advise end to end on a tiny profile: a decision.json of the promised shape, a
// decision.md that leads with the answer, reuse of matching results, and clear refusals of
// a bad profile. (The decision's rules are tested from recorded results in results/.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { PROJECT_ROOT } from "../../src/lab/harness/paths.ts";
import type { Decision } from "../../src/lab/results/decision.ts";
import { tempDir } from "../_helpers.ts";

const ADVISE = join(PROJECT_ROOT, "src/lab/advise.ts");
const advise = (args: string[]) =>
  spawnSync(process.execPath, [ADVISE, ...args], { encoding: "utf8", timeout: 300_000 });

describe("npm run advise, end to end", () => {
  const out = tempDir("advise-out");
  const work = tempDir("advise-work");
  const profile = join(tempDir("advise-profile"), "app.json");
  let first: ReturnType<typeof advise>;
  let decision: Decision & { sources: Record<string, string> };

  before(() => {
    writeFileSync(
      profile,
      JSON.stringify({
        name: "a tiny app",
        daily_active_users: 500,
        requests_per_user: 20,
        peak_factor: 3,
        write_share: 0.1,
        records: 200,
        processes: 1,
        servers: 1,
        needs: [],
        survive: "nothing",
      }),
    );
    first = advise(["--profile", profile, "--quick", "--out", out, "--work-dir", work]);
    assert.equal(first.status, 0, first.stderr);
    decision = JSON.parse(readFileSync(join(out, "decision.json"), "utf8"));
  });

  it("writes decision.json with the answer, its reason, its headroom and every other approach's", () => {
    assert.equal(decision.profile.name, "a tiny app");
    assert.equal(typeof decision.recommended, "string");
    assert.ok((decision.headroom ?? 0) >= 1, `headroom ${decision.headroom}`);
    assert.match(decision.reason, /simplest/);
    const judged = [
      decision.recommended,
      ...decision.passing.map((p) => p.approach),
      ...decision.ruled_out.map((r) => r.approach),
    ];
    for (const a of ["linear", "map", "sqlite", "postgres"]) assert.ok(judged.includes(a), a);
    for (const r of decision.ruled_out) assert.ok(r.requirement && r.evidence, JSON.stringify(r));
    assert.ok(Array.isArray(decision.warnings));
    assert.deepEqual(
      Object.keys(decision.sources),
      ["bench"],
      "a profile needing nothing more runs the bench only",
    );
  });

  it("leads decision.md with the answer, and writes decision.html", () => {
    const md = readFileSync(join(out, "decision.md"), "utf8");
    assert.match(md, new RegExp(`## The answer\\n\\n\\*\\*Use \`${decision.recommended}\`\\*\\*`));
    assert.match(readFileSync(join(out, "decision.html"), "utf8"), /<h2>The answer<\/h2>/);
  });

  it("reuses what it measured when run again with the same profile and --out", () => {
    const again = advise(["--profile", profile, "--quick", "--out", out, "--work-dir", work]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /bench: reusing .*bench\.json/);
    const second = JSON.parse(readFileSync(join(out, "decision.json"), "utf8")) as Decision;
    assert.equal(second.recommended, decision.recommended);
  });

  it("refuses a bad profile, naming the field and what to write", () => {
    const bad = advise(["--profile", profile, "--survive", "meteor", "--processes", "0"]);
    assert.equal(bad.status, 1);
    assert.match(
      bad.stderr,
      /^error: the profile is not right: .*processes must be at least 1.*survive must be one of power-loss, process-crash, nothing/m,
    );
    assert.doesNotMatch(bad.stderr, /\n\s+at /, "no stack trace");
  });
});
