// The decision at a glance, drawn from its verdicts (the data the words read): each
// approach's capacity against the app's peak, the acknowledged writes each lost to the
// faults the app must survive, and how long each holds the app's growth.
import type { Candidate, Decision } from "../results/decision.ts";
import type { Estimate } from "../results/estimate.ts";
import type { Verdict } from "../results/requirements.ts";
import type { Valid } from "../results/verdict.ts";
import { FAULT_SHORT } from "./decision-words.ts";
import { int, rate } from "./format.ts";
import type { Chart, Series } from "./model.ts";

export const VERDICT_COLORS: Record<Valid, string> = {
  pass: "#16a34a",
  fail: "#dc2626",
  unknown: "#d97706",
};
const VERDICT_LABELS: Record<Valid, string> = {
  pass: "meets it",
  fail: "fails it",
  unknown: "not shown either way",
};
const INK = "#111827";

const verdictOf = (c: Candidate, id: Verdict["requirement"]) =>
  c.verdicts.find((v) => v.requirement === id);

/** An estimate's band: from its sure edge (the bound past the sizes measured) to its best. */
function bandOf(e: Estimate): [number, number] {
  const sure = e.basis === "measured" ? e.low : (e.bound ?? e.low);
  return [Math.max(sure, 0.01), Math.max(e.high, sure, 0.01)];
}

/** The requests/s band a candidate's capacity verdict rests on, if it has one. */
function capacityBand(c: Candidate): [number, number] | null {
  const f = verdictOf(c, "capacity")?.finding;
  if (f?.kind === "replicas") return [f.plan.capacity_rps * 0.9, f.plan.capacity_rps * 1.1];
  if (f?.kind !== "capacity" || !f.workloads.length) return null;
  const bands = f.workloads.map((w) => bandOf(w.estimate));
  return [Math.min(...bands.map((b) => b[0])), Math.min(...bands.map((b) => b[1]))];
}

/** One series per verdict, each holding only its own approaches' bars: a legend of verdicts. */
function byVerdict(
  cands: readonly Candidate[],
  valid: (c: Candidate) => Valid | undefined,
  value: (c: Candidate) => number | [number, number] | null,
): Series[] {
  return (["pass", "unknown", "fail"] as const).flatMap((v) => {
    const data = cands.map((c) => (valid(c) === v ? value(c) : null));
    return data.some((x) => x !== null)
      ? [{ label: VERDICT_LABELS[v], data, color: VERDICT_COLORS[v] }]
      : [];
  });
}

/** Capacity against need: every approach's band of requests/s, and the app's peak. */
export function capacityChart(d: Decision): Chart | undefined {
  const cands = d.candidates.filter((c) => capacityBand(c) !== null);
  if (!cands.length) return undefined;
  return {
    id: "chart-capacity",
    kind: "hbar",
    title: "Requests/s each approach carries for this app, against its peak",
    description: `For each approach, the band of requests per second it carries (from what it is sure to carry, measured or bounded, to the best it could), coloured by its verdict; the dashed line is the app's peak, ${rate(d.required_rps)} requests/s`,
    axis: "requests/s (log scale)",
    labels: cands.map((c) =>
      c.valid === "fail" && verdictOf(c, "capacity")?.valid !== "fail"
        ? `${c.approach} (ruled out)`
        : c.approach,
    ),
    series: byVerdict(cands, (c) => verdictOf(c, "capacity")?.valid, capacityBand),
    marks: [
      { label: `the app's peak: ${rate(d.required_rps)}/s`, value: d.required_rps, color: INK },
    ],
  };
}

/** Acknowledged writes lost, as a share, over the trials of the faults the app must survive. */
export function lossChart(d: Decision): Chart | undefined {
  const lost = d.candidates.flatMap((c) => {
    const v = verdictOf(c, "survive");
    const f = v?.finding;
    if (!v || f?.kind !== "trials") return [];
    const acked = f.runs.reduce((n, r) => n + r.acked, 0);
    const n = f.runs.reduce((k, r) => k + r.lost, 0);
    const faults = f.runs.map((r) => FAULT_SHORT[r.fault]).join(", ");
    return [
      {
        c,
        valid: v.valid,
        share: acked ? (100 * n) / acked : 0,
        label: `${c.approach} ${int(n)} / ${int(acked)}`,
        faults,
      },
    ];
  });
  if (!lost.length) return undefined;
  const cands = lost.map((x) => x.c);
  return {
    id: "chart-losses",
    kind: "hbar",
    title: "Acknowledged writes lost to the faults the app must survive (lost / acknowledged)",
    description:
      "For each approach whose crash trials ran, the share of acknowledged writes it lost, with the count in its label; 0 means it kept every one",
    axis: "acknowledged writes lost, %",
    scale: "linear",
    labels: lost.map((x) => x.label),
    series: byVerdict(
      cands,
      (c) => lost.find((x) => x.c === c)?.valid,
      (c) => {
        const share = lost.find((x) => x.c === c)?.share ?? 0;
        // A bar of 0 would not show: a sliver stands for it, and the label says 0.
        return Math.max(share, 0.5);
      },
    ),
    marks: [{ label: "none lost: what the app requires", value: 0, color: INK }],
  };
}

/** The days until the first limit, capped: past the search, or decades out, it holds. */
const DAYS_SHOWN_MAX = 36_500;

/** How long each approach that passes holds: surely (the bound), and as predicted. */
export function holdsChart(d: Decision): Chart | undefined {
  const passing = d.candidates.filter((c) => c.valid === "pass" && c.lasts);
  if (!passing.length) return undefined;
  const cap = (x: number | null) => Math.min(x ?? DAYS_SHOWN_MAX, DAYS_SHOWN_MAX);
  const labels = passing.map((c) =>
    c.approach === d.recommended ? `${c.approach} (the answer)` : c.approach,
  );
  const horizon = passing[0]?.lasts?.horizon_days ?? d.profile.horizon_days;
  return {
    id: "chart-holds",
    kind: "hbar",
    title: "Days each approach that passes holds the app's growth, against the horizon",
    description: `For each approach that meets every requirement, the days until its first limit: surely (by the bound, solid) and as predicted by its fit (pale, where one predicts); the dashed line is the horizon, ${int(horizon)} days`,
    axis: "days (log scale)",
    labels,
    series: [
      {
        label: "surely (by the bound)",
        data: passing.map((c) => Math.max(1, cap(c.lasts?.days_sure ?? null))),
        color: "#2563eb",
      },
      {
        label: "predicted (by the fit)",
        data: passing.map((c) => {
          const l = c.lasts;
          if (!l || l.predicted_to_hold === null) return null;
          const sure = Math.max(1, cap(l.days_sure));
          const predicted = cap(l.days_predicted);
          return predicted > sure ? ([sure, predicted] as [number, number]) : null;
        }),
        color: "#93c5fd",
      },
    ],
    marks: [
      { label: `the horizon: ${int(horizon)} days`, value: horizon, color: INK },
      ...(d.next
        ? [
            {
              label: `switch to ${d.next.approach} by then`,
              value: Math.max(
                1,
                cap(passing[0]?.lasts?.days_predicted ?? passing[0]?.lasts?.days_sure ?? null),
              ),
              color: "#7c3aed",
            },
          ]
        : []),
    ],
  };
}

export function decisionCharts(d: Decision): Chart[] {
  return [capacityChart(d), lossChart(d), holdsChart(d)].flatMap((c) => (c ? [c] : []));
}
