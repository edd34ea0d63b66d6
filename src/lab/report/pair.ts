// The columns that the contention and topology tables share: throughput of two servers
// against one, and whether the two agreed.
import type { TwoServerRun } from "../results/pair.ts";
import { fixed, int, pct } from "./format.ts";

/** The shared columns; `two` names what the pair is ("two servers", "two threads"). */
export const pairHeader = (two = "two servers") => [
  `${two}: req/s`,
  "one server: req/s",
  "two ÷ one",
  `p99 ms (${two})`,
  "5xx",
  "stale reads / probes",
  "records A / B",
  "diverged",
];

export function pairCells(x: TwoServerRun): string[] {
  return [
    int(x.rps),
    int(x.rps_single),
    x.rps_single > 0 ? fixed(x.rps / x.rps_single, 2) : "-",
    fixed(x.p99_ms),
    int(x.errors_5xx),
    `${int(x.stale_reads)} / ${int(x.probes)} (${pct(x.stale_reads, x.probes)})`,
    `${int(x.records_a)} / ${int(x.records_b)}`,
    x.diverged ? "**yes**" : "no",
  ];
}
