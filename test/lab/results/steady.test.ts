import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { COMPARE_MS, judgeWindow, tCritical, warmedUp } from "../../../src/lab/results/steady.ts";

const flat = (n: number, rate = 1000) => Array.from({ length: n }, (_, i) => rate + (i % 2) * 20);

describe("warmedUp", () => {
  it("waits for two seconds of the server's own answers, then for two half-seconds to agree within 15%", () => {
    assert.equal(warmedUp([100, ...flat(7)]), false, "not yet two seconds after the first sample");
    assert.equal(
      warmedUp([100, ...flat(8)]),
      true,
      "the first sample is the load generator starting",
    );
    assert.equal(warmedUp([100, 262, 450, 1172, 2655]), false, "LMDB's climb");
    assert.equal(warmedUp([100, 262, 450, 1172, 2655, ...flat(8, 3400)]), true);
    assert.equal(
      warmedUp([100, ...flat(6, 5000), 4000, 4000]),
      false,
      "a fall counts as much as a climb",
    );
  });

  it("keeps warming through a slow climb that every half-second comparison lets pass", () => {
    // ~3.5% per quarter-second, as map's writes climbed at a million records: each
    // half-second is within 15% of the one before, but the last two seconds rose 22%.
    const climb = [100, 20000, 20700, 21400, 22100, 22900, 23700, 24500, 25300];
    assert.equal(warmedUp(climb), false);
    assert.equal(warmedUp([...climb, ...flat(8, 25300)]), true, "settled once it levels off");
  });

  it("quick runs compare quarter-seconds and judge the last second", () => {
    assert.equal(warmedUp([100, ...flat(4)], COMPARE_MS / 2), true);
    assert.equal(warmedUp([100, ...flat(3)], COMPARE_MS / 2), false);
  });

  it("waits for the first answer: before it, the load generator is still starting", () => {
    assert.equal(warmedUp([0, 0, 0, 0, 0, 0]), false, "wrk still loading ids.txt");
    assert.equal(warmedUp([0, 0, 0, 7040, 19275, 29436, 20776, 60607]), false);
    assert.equal(warmedUp([0, 0, 700, ...flat(8, 20000)]), true);
    assert.equal(
      warmedUp([0, 10, 0, 0, 0, 0, 0, 0, 0, 0]),
      true,
      "answers stopped: settled at zero",
    );
  });

  it("lets the half-second rule decide alone where the trend test cannot tell", () => {
    // 2-3 answers per quarter-second: too few for a trend, as linear's lookups at a million.
    assert.equal(warmedUp([1, 2, 3, 2, 3, 2, 3, 2, 3]), true);
  });
});

describe("judgeWindow", () => {
  it("calls a flat but noisy window steady", () => {
    const noisy = [200, 1000, 1080, 940, 1050, 960, 1030, 990, 1010];
    const v = judgeWindow(noisy, 250);
    assert.equal(v.steady, true);
    assert.ok(Math.abs(v.trend) < 0.05);
    assert.ok(v.noise > 0.03 && v.noise < 0.1, `noise ${v.noise}`);
  });

  it("calls a window that climbs well past its noise not steady, with its trend", () => {
    const v = judgeWindow([0, 900, 1000, 1100, 1180, 1300, 1390, 1500, 1610, 1700], 250);
    assert.equal(v.steady, false);
    assert.ok(v.trend > 0.5 && v.trend < 0.6, `trend ${v.trend}`);
  });

  it("lets a small significant drift pass: it is not material", () => {
    assert.equal(
      judgeWindow([0, 1000, 1005, 1010, 1015, 1020, 1025, 1030, 1035], 250).steady,
      true,
    );
  });

  it("does not call a trend the noise can explain", () => {
    // A 14% rise over the window, but the scatter is as large: not significant.
    assert.equal(judgeWindow([0, 1000, 1400, 800, 1300, 900, 1350, 950, 1250], 250).steady, true);
  });

  it("leaves out the samples before the first answer, and that one", () => {
    // map at a million records: wrk loading ids.txt, then its first partial quarter-second.
    const v = judgeWindow([0, 0, 0, 7040, 41000, 40100, 42300, 39800, 41500, 40600], 250);
    assert.equal(v.steady, true);
    assert.ok(Math.abs(v.trend) < 0.05, `trend ${v.trend}`);
  });

  it("cannot tell from too few samples or too few answers per sample", () => {
    assert.equal(judgeWindow([0, 1, 2, 3], 250).steady, null);
    const slow = judgeWindow([0, 4, 8, 4, 12, 8, 16], 250);
    assert.equal(slow.steady, null);
    assert.ok(["few-samples", "few-answers"].includes(slow.why ?? ""), slow.why);
  });
});

describe("tCritical", () => {
  it("is Student's two-sided 95% value, falling to the normal's", () => {
    assert.equal(tCritical(1), 12.71);
    assert.equal(tCritical(6), 2.45);
    assert.equal(tCritical(11), 2.18);
    assert.equal(tCritical(1000), 1.96);
    assert.throws(() => tCritical(0), RangeError);
  });
});
