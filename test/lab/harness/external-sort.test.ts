import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ExternalSort } from "../../../src/lab/harness/external-sort.ts";
import { createRandom, randomUuid } from "../../../src/lab/harness/prng.ts";
import { tempDir } from "../../_helpers.ts";

describe("ExternalSort", () => {
  it("gives back every record in key order, across many runs on disk", () => {
    const dir = join(tempDir("xsort"), "runs");
    const sorter = new ExternalSort(dir, 7);
    const next = createRandom(3);
    const records = Array.from(
      { length: 100 },
      (_, i) => [randomUuid(next), `{"n":${i}}`] as const,
    );
    for (const r of records) sorter.add(r);
    assert.equal(readdirSync(dir).length, 14, "100 records in runs of 7: 14 runs on disk");
    const out = [...sorter.sorted()];
    assert.deepEqual(
      out,
      records.toSorted((a, b) => (a[0] < b[0] ? -1 : 1)),
    );
    sorter.close();
    assert.equal(existsSync(dir), false, "its runs are removed");
  });

  it("refuses a key given twice", () => {
    const sorter = new ExternalSort(join(tempDir("xsort-dup"), "runs"), 2);
    for (const key of ["b", "a", "c", "a"]) sorter.add([key, "x"]);
    assert.throws(() => [...sorter.sorted()], /a is out of order or repeated/);
    sorter.close();
  });

  it("sorts nothing to nothing", () => {
    const sorter = new ExternalSort(join(tempDir("xsort-empty"), "runs"));
    assert.deepEqual([...sorter.sorted()], []);
    sorter.close();
  });
});
