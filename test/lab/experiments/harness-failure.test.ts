// A cell whose load generator got no answer while the server sat idle measured the harness,
// not the store: it fails, rather than standing as a rate of 0.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertAsked } from "../../../src/lab/experiments/bench.ts";
import { sampleOf } from "../_fixtures.ts";

describe("a cell that measured the harness", () => {
  const none = { rps: 0, requests: 0, non2xx: 0 };

  it("fails when nothing was answered and the server sat idle", () => {
    const idle = sampleOf({
      approach: "sqlite",
      workload: "by-email",
      ...none,
      cpu_cores: 0.01,
      errors: 50,
    });
    assert.throws(
      () => assertAsked(idle, "autocannon"),
      /^Error: harness failure: autocannon got no answer .* 0\.01 cores.*50 connection errors.*--tool wrk/,
    );
  });

  it("stands when the server was busy (a store too slow to answer in the window), or answered", () => {
    assertAsked(
      sampleOf({ approach: "linear", workload: "by-email", ...none, cpu_cores: 0.97 }),
      "wrk",
    );
    assertAsked(sampleOf({ approach: "map", workload: "read", cpu_cores: 0.01 }), "wrk");
  });
});
