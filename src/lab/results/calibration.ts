// A machine's calibration, as data: the fixed ladder of sizes every profile shares, and the
// rule that gives a profile's mix of reads and writes from cells measured once for all.
//
// The rule: a server spends its time on each request it answers, so at a write share w the
// time one request takes is (1 - w) times a read's plus w times a write's, and the rate is
// the harmonic mix 1 / ((1 - w) / R + w / W) of the read rate R and the write rate W. It
// holds where reads and writes contend for the same core; a store whose writes wait on the
// disk while reads go on (an fsync off the event loop) may do better than it says. So it is
// checked, per approach, against a mixed cell measured at CHECK_SHARE, which the rule never
// saw, and every derived rate carries that error in its band.
import type { Results, Run } from "./bench.ts";
import { median } from "./stats.ts";

/** The sizes every profile's measurements are drawn from, a decade apart. */
export const RUNGS = [1_000, 10_000, 100_000, 1_000_000] as const;

/** The write share of the mixed cell that checks the rule. */
export const CHECK_SHARE = 0.1;

/** The least error a derived rate is given, before (or beside) its check: the noise floor. */
export const RULE_ERROR_MIN = 0.1;

/**
 * The rungs a profile of `records` needs: every rung up to its size, and the first at or
 * above it (a rate there bounds the rate at the profile's size from below, memory and
 * start-up from above); past the top rung, the top.
 */
export function rungsFor(records: number): number[] {
  const above = RUNGS.find((r) => r >= records);
  return RUNGS.filter((r) => r < records || r === above);
}

/** The rate of a mix with write share `w` of reads at `read` and writes at `write` req/s. */
export function harmonic(read: number, write: number, w: number): number {
  if (read <= 0 || write <= 0) return w === 0 ? read : w === 1 ? write : 0;
  return 1 / ((1 - w) / read + w / write);
}

/** One approach's rule check at one size: the mixed cell measured, and what the rule says. */
export interface RuleCheck {
  approach: string;
  records: number;
  measured: number;
  derived: number;
  /** |derived - measured| / measured. */
  error: number;
}

const at = (runs: readonly Run[], approach: string, workload: string, records: number) =>
  runs.find((r) => r.approach === approach && r.workload === workload && r.records === records);

/** Every mixed cell at CHECK_SHARE, against the rule from its read and write cells. */
export function checkRule(runs: readonly Run[]): RuleCheck[] {
  return runs.flatMap((m) => {
    if (m.workload !== "mixed" || m.write_share !== CHECK_SHARE) return [];
    const read = at(runs, m.approach, "read", m.records);
    const write = at(runs, m.approach, "write", m.records);
    if (!read || !write || m.rps <= 0) return [];
    const derived = harmonic(read.rps, write.rps, CHECK_SHARE);
    const error = Math.abs(derived - m.rps) / m.rps;
    return [{ approach: m.approach, records: m.records, measured: m.rps, derived, error }];
  });
}

/** The rule's error for `approach`: its own checks' worst, else the worst of all, at least the floor. */
export function ruleError(checks: readonly RuleCheck[], approach: string): number {
  const mine = checks.filter((c) => c.approach === approach).map((c) => c.error);
  const all = checks.map((c) => c.error);
  return Math.max(RULE_ERROR_MIN, ...(mine.length ? mine : all));
}

/** A mixed row at `share`, derived from one size's read and write rows by the rule. */
function derivedRow(read: Run, write: Run, share: number, error: number): Run {
  const rate = harmonic(read.rps, write.rps, share);
  const lo = harmonic(Math.min(...read.rps_samples), Math.min(...write.rps_samples), share);
  const hi = harmonic(Math.max(...read.rps_samples), Math.max(...write.rps_samples), share);
  return {
    ...read,
    ...{ workload: "mixed", write_share: share, rps: rate },
    rps_samples: [lo * (1 - error), rate, hi * (1 + error)],
    ...{ repeats: Math.min(read.repeats, write.repeats), spread: null },
    rss_mb: Math.max(read.rss_mb, write.rss_mb),
    anon_mb: Math.max(read.anon_mb ?? 0, write.anon_mb ?? 0) || null,
    records_held: Math.max(read.records_held ?? 0, write.records_held ?? 0) || null,
    startup_ms: median([read.startup_ms, write.startup_ms]),
    steady: read.steady === false || write.steady === false ? false : read.steady && write.steady,
    trend: Math.max(Math.abs(read.trend), Math.abs(write.trend)),
    derived: { share, error },
  };
}

/**
 * The bench's rows with the mixed workload at the profile's `share`: each size's read and
 * write rows mixed by the rule, in place of any mixed row measured at another share (a row
 * measured at exactly `share` stands as measured).
 */
export function mixAt(bench: Results, share: number): Results {
  const checks = checkRule(bench.runs);
  const runs = bench.runs.filter(
    (r) => r.workload !== "mixed" || r.write_share === share || r.write_share === undefined,
  );
  const derived = runs.flatMap((read) => {
    if (read.workload !== "read") return [];
    const write = at(runs, read.approach, "write", read.records);
    if (!write || at(runs, read.approach, "mixed", read.records)) return [];
    return [derivedRow(read, write, share, ruleError(checks, read.approach))];
  });
  return { ...bench, runs: [...runs, ...derived] };
}
