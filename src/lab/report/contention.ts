// The contention section: two servers on one DATA_DIR, and two threads of one process,
// against one server, per approach.
import type { ContentionResults, ContentionRun, Refused } from "../results/contention.ts";
import { code, int, source, yesNo } from "./format.ts";
import { list, type Section, section, table, text } from "./model.ts";
import { pairCells, pairHeader } from "./pair.ts";

/** A contention table, as contention.md and the benchmark report show it. */
function contentionTable(runs: readonly ContentionRun[], two: string) {
  const lost = runs.some((x) => x.lost_acked !== undefined);
  return table(
    [
      ...[
        "store",
        "says it is safe with many processes",
        ...pairHeader(two),
        "SQLITE_BUSY absorbed",
      ],
      ...(lost ? ["acknowledged writes lost"] : []),
    ],
    runs.map((x) => [
      x.variant_of ? `${code(x.approach)} (${code(x.variant_of)} unguarded)` : code(x.approach),
      yesNo(x.claims_many, "no"),
      ...pairCells(x),
      int(x.busy),
      ...(lost
        ? [x.lost_acked === undefined ? "-" : `${int(x.lost_acked)} of ${int(x.acked)}`]
        : []),
    ]),
  );
}

function refusedList(refused: readonly Refused[] | undefined, what: string) {
  if (!refused?.length) return [];
  return [
    text(`Refused ${what} on the same DATA_DIR (measured: it would not start):`),
    list(refused.map((x) => `${code(x.approach)}: ${x.why}`)),
  ];
}

/** Two worker threads of one process, the same load and probe as two servers. */
function threadSection(r: ContentionResults): Section {
  return section(
    "Two worker threads of one process on one DATA_DIR, measured",
    [
      ...(r.thread_runs?.length ? [contentionTable(r.thread_runs, "two threads")] : []),
      ...refusedList(r.thread_refused, "a second thread"),
      text(
        "One process runs the API server in two worker threads on one DATA_DIR, each thread on its own port, with the same load split between them and the same probe: " +
          "created through the first thread, read through the second. Each thread has its own JavaScript heap, so a store that keeps its records in memory holds one copy per thread, as it does per process. " +
          "`npm start` offers several processes (`WORKERS`), not threads: a thread shares nothing more than a process does here, and a crash in one thread's native engine ends them all.",
      ),
    ],
    3,
  );
}

function contentionNotes(r: ContentionResults): string {
  return (
    `Two servers on one DATA_DIR, each taking half of ${r.connections} connections of write load for ${r.duration_s} s ` +
    `(\`${r.load}\` at each), against one server with all ${r.connections}, starting from ${int(r.records)} seeded records. ` +
    "Meanwhile a probe creates a user through server A and reads it through server B as soon as the 201 arrives; " +
    "a 404 there is a stale read. After the load, each server's record count and every probe user are read from both: " +
    "*diverged* means the two servers answer differently. The 5xx column counts non-2xx answers to the load " +
    "(which sends only valid bodies) and failed probe creates. Then a server started afresh on the directory counts its records: " +
    "the writes the two acknowledged that it cannot count are *acknowledged writes lost* (a floor: a write never acknowledged may have landed too). " +
    "A store's own settings that take a guard off run as rows of their own, such as PGlite without the lock the store takes."
  );
}

/** The processes section, and the threads section where the run measured threads. */
export function contentionSections(r: ContentionResults, file?: string): Section[] {
  const processes = section("Several processes on one DATA_DIR, measured", [
    ...(file ? [text(source(file, "contention"))] : []),
    contentionTable(r.runs, "two servers"),
    ...refusedList(r.refused, "a second process"),
    text(contentionNotes(r)),
  ]);
  return [processes, ...(r.thread_runs ? [threadSection(r)] : [])];
}
