// The soak section: memory over a long run, wrong answers, and records kept.
import { MIN_MINUTES_FOR_VERDICT, type SoakResult } from "../results/soak.ts";
import { code, fixed, int } from "./format.ts";
import { type Section, section, table, text } from "./model.ts";

function soakTable(results: readonly SoakResult[]) {
  return table(
    [
      "store",
      "minutes",
      "requests",
      "req/s",
      "malformed answered with their 4xx",
      "well-formed that failed",
      "records at end / expected",
      "RSS MB start → max → end",
      "RSS MB/min, second half",
      "RSS bytes per record added, second half",
      "levels off",
    ],
    results.map((r) => [
      code(r.approach),
      String(r.minutes),
      int(r.requests),
      int(r.rps),
      `${int(r.bad_answered_right)}/${int(r.bad_sent)}`,
      `${int(r.good_failed)} of ${int(r.good_sent)}`,
      `${int(r.records_at_end)} / ${int(r.records_expected)}`,
      `${int(r.rss_start_mb)} → ${int(r.rss_max_mb)} → ${int(r.rss_end_mb)}`,
      fixed(r.rss_slope_mb_per_min_second_half, 2),
      int(r.rss_bytes_per_record_second_half),
      r.levels_off === null
        ? `too short to judge (under ${MIN_MINUTES_FOR_VERDICT} minutes)`
        : r.levels_off
          ? "yes"
          : "**no**",
    ]),
  );
}

export function soakSection(results: readonly SoakResult[]): Section {
  return section("Memory, errors and records over a long run", [
    soakTable(results),
    text(
      "Memory levels off when, over the second half, RSS grows by less than 2% of its start per minute, " +
        "or by no more than 1 KB per record added: `map` and `jsonl-*` keep every record in memory, so their RSS must grow with the data. " +
        `Runs under ${MIN_MINUTES_FOR_VERDICT} minutes get no verdict on memory: the heap is still growing in steps.`,
    ),
  ]);
}
