import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { levelsOff, slope } from "../../../src/lab/results/soak.ts";

describe("soak memory verdict", () => {
  it("fits a slope by least squares", () => {
    assert.equal(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
      2,
    );
    assert.equal(slope([{ x: 0, y: 4 }]), 0);
  });

  const minutes = (mbAt: (s: number) => number, recordsAt: (s: number) => number = () => 1000) =>
    Array.from({ length: 600 }, (_, s) => ({ at_s: s, mb: mbAt(s), records: recordsAt(s) }));

  it("accepts memory that rises at start and then levels off", () => {
    const v = levelsOff(minutes((s) => 100 + Math.min(s, 60) * 0.5 + (s % 7) * 0.3));
    assert.equal(v.ok, true, `slope ${v.slope}`);
  });

  it("accepts growth that the records added explain", () => {
    // 600 records a second at ~400 bytes each: RSS climbs, and all of it is data.
    const v = levelsOff(
      minutes(
        (s) => 100 + (s * 600 * 400) / 2 ** 20,
        (s) => 1000 + s * 600,
      ),
    );
    assert.equal(v.ok, true);
    assert.ok(Math.abs(v.bytesPerRecord - 400) < 1, `${v.bytesPerRecord} bytes per record`);
  });

  it("flags memory that keeps climbing", () => {
    const v = levelsOff(minutes((s) => 100 + s * 0.2)); // 12 MB a minute on 100 MB
    assert.equal(v.ok, false);
    assert.ok(Math.abs(v.slope - 12) < 0.01);
  });
});
