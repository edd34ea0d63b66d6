import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { firstSizeWhere, fitGrowth, predict } from "../../../src/lab/results/growth.ts";

const LADDER = [1e3, 1e4, 1e5, 1e6];
const points = (f: (n: number) => number, jitter: number[] = [0, 0, 0, 0]) =>
  LADDER.map((n, i) => ({ n, y: f(n) * (1 + (jitter[i] ?? 0)) }));

describe("fitGrowth", () => {
  it("calls a cost that stays within its noise flat", () => {
    const fit = fitGrowth(points(() => 20, [0.03, -0.04, 0.02, -0.01]));
    assert.equal(fit?.shape, "flat");
    assert.equal(fit?.usable, true);
    assert.ok(Math.abs((fit?.held_out?.error ?? 1) - 0.01) < 0.02);
  });

  it("finds a B-tree's logarithm, a scan's line and a power law where neither fits", () => {
    assert.equal(
      fitGrowth(
        points((n) => 5 + 2 * Math.log(n)),
        0.01,
      )?.shape,
      "log",
    );
    assert.equal(
      fitGrowth(
        points((n) => 0.002 * n + 1),
        0.01,
      )?.shape,
      "linear",
    );
    assert.equal(
      fitGrowth(
        points((n) => 3 * n ** 0.5),
        0.01,
      )?.shape,
      "power",
    );
  });

  it("checks itself on its largest size, fitted without it", () => {
    const fit = fitGrowth(points((n) => 0.002 * n + 1));
    assert.equal(fit?.held_out?.n, 1e6);
    assert.ok((fit?.held_out?.error ?? 1) < 1e-9);
    assert.equal(fit?.usable, true);
    assert.ok(Math.abs(predict(fit as never, 4e7).value - (0.002 * 4e7 + 1)) < 1e-3);
  });

  it("marks a fit that misses its held-out point by more than its band, and will not predict with it", () => {
    // Flat over the first three sizes, then it jumps: the fit without 10^6 misses it by far.
    const fit = fitGrowth([
      { n: 1e3, y: 10 },
      { n: 1e4, y: 10.5 },
      { n: 1e5, y: 9.8 },
      { n: 1e6, y: 14 },
    ]);
    assert.equal(fit?.usable, false);
    assert.ok((fit?.held_out?.error ?? 0) > (fit?.band ?? 1), JSON.stringify(fit));
  });

  it("will not predict with a fit too scattered to say much", () => {
    const fit = fitGrowth([
      { n: 1e3, y: 1 },
      { n: 1e4, y: 10 },
      { n: 1e5, y: 100 },
      { n: 1e6, y: 120 },
    ]);
    assert.ok((fit?.band ?? 0) > 0.5);
    assert.equal(fit?.usable, false);
  });

  it("needs two sizes to fit, and three to check", () => {
    assert.equal(fitGrowth([{ n: 1e3, y: 1 }]), undefined);
    const two = fitGrowth([
      { n: 1e3, y: 1 },
      { n: 1e4, y: 3 },
    ]);
    assert.equal(two?.usable, false, "nothing to hold out");
  });
});

describe("predict and firstSizeWhere", () => {
  it("give the value with its band, and the first size a limit is reached at", () => {
    const fit = fitGrowth(points((n) => 100 * n)); // bytes of memory, 100 per record
    assert.ok(fit);
    const p = predict(fit, 1e7);
    assert.ok(Math.abs(p.value - 1e9) / 1e9 < 1e-6);
    assert.ok(p.low < p.value && p.high > p.value);
    const n = firstSizeWhere(fit, 1e6, (q) => q.value >= 2e9) as number;
    assert.ok(n >= 2e7 && n < 2.2e7, `${n}`);
    assert.equal(
      firstSizeWhere(fitGrowth(points(() => 5)) as never, 1e6, (q) => q.value > 10),
      null,
    );
  });
});
