// The contention section: two servers on one DATA_DIR against one, per approach.
import type { ContentionResults } from "../results/contention.ts";
import { code, int, source, yesNo } from "./format.ts";
import { list, type Section, section, table, text } from "./model.ts";
import { PAIR_HEADER, pairCells } from "./pair.ts";

/** The contention table, as contention.md and the benchmark report show it. */
function contentionTable(r: ContentionResults) {
  return table(
    ["store", "says it is safe with many processes", ...PAIR_HEADER, "SQLITE_BUSY absorbed"],
    r.runs.map((x) => [code(x.approach), yesNo(x.claims_many, "no"), ...pairCells(x), int(x.busy)]),
  );
}

function contentionNotes(r: ContentionResults): string {
  return (
    `Two servers on one DATA_DIR, each taking half of ${r.connections} connections of write load for ${r.duration_s} s ` +
    `(\`${r.load}\` at each), against one server with all ${r.connections}, starting from ${int(r.records)} seeded records. ` +
    "Meanwhile a probe creates a user through server A and reads it through server B as soon as the 201 arrives; " +
    "a 404 there is a stale read. After the load, each server's record count and every probe user are read from both: " +
    "*diverged* means the two servers answer differently. The 5xx column counts non-2xx answers to the load " +
    "(which sends only valid bodies) and failed probe creates."
  );
}

export function contentionSection(r: ContentionResults, file?: string): Section {
  return section("Several processes on one DATA_DIR, measured", [
    ...(file ? [text(source(file, "contention"))] : []),
    contentionTable(r),
    ...(r.refused?.length
      ? [
          text(
            "Refused a second process on the same DATA_DIR (measured: the second server would not start):",
          ),
          list(r.refused.map((x) => `${code(x.approach)}: ${x.why}`)),
        ]
      : []),
    text(contentionNotes(r)),
  ]);
}
