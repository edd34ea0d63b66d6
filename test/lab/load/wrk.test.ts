// The course's commands, as written, against every approach: wrk with the two Lua scripts
// must see only 2xx answers. Needs wrk (Debian package `wrk`); .ci/run installs it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { seed } from "../../../src/lab/harness/seed.ts";
import { type ServerProcess, startServer } from "../../../src/lab/harness/server-process.ts";
import { hasWrk, parseWrkJson, runWrk } from "../../../src/lab/load/wrk.ts";
import { APPROACHES } from "../../../src/stores/index.ts";
import { tempDir } from "../../_helpers.ts";

describe("parseWrkJson", () => {
  it("reads counts, errors and latency in milliseconds", () => {
    const r = parseWrkJson(
      '{"requests":5000,"duration_us":2000000,"bytes":1,"errors":{"connect":1,"read":2,"write":3,"status":7,"timeout":4},' +
        '"latency_us":{"p50":250,"p90":900,"p99":1500,"p999":4200,"max":9000,"mean":300.5}}',
    );
    assert.equal(r.rps, 2500);
    assert.equal(r.non2xx, 7);
    assert.equal(r.errors, 10);
    assert.deepEqual(r.latency_ms, { p50: 0.25, p90: 0.9, p99: 1.5, p999: 4.2, max: 9 });
  });
});

const skip = hasWrk()
  ? false
  : "wrk is not installed (Debian: apt-get install wrk); skipping the course's wrk commands";

describe("the course's wrk commands", { skip }, () => {
  for (const approach of APPROACHES) {
    describe(approach, () => {
      const dataDir = tempDir(`wrk-${approach}`);
      let server: ServerProcess;
      before(async () => {
        seed({ dataDir, count: 1000 });
        server = await startServer({ approach, dataDir });
      });
      after(() => server?.stop());

      for (const script of ["random_ids.lua", "post_users.lua"]) {
        it(`wrk -t1 -c10 -d1s -s ${script}: only 2xx`, async () => {
          const r = await runWrk({
            url: server.url,
            script,
            threads: 1,
            connections: 10,
            durationS: 1,
            dataDir,
          });
          assert.ok(r.requests > 0, "wrk sent requests");
          assert.equal(r.non2xx, 0, "non-2xx responses");
          assert.equal(r.errors, 0, "socket errors");
        });
      }
    });
  }
});
