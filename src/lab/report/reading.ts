// "Reading the numbers" in words: how the run was made, the course's "when you need a
// database" answered from the run, and the bench's own recommendation (the decision
// `npm run advise` makes, for an app of the bench's assumptions).
import { type Analysis, benchProfile } from "../results/analysis.ts";
import type { Results } from "../results/bench.ts";
import { decide } from "../results/decision.ts";
import { SAMPLE_MS } from "../results/steady.ts";
import { headline } from "./decision.ts";
import { requirementName, verdictLine } from "./decision-words.ts";
import { code, int, rate, share, times } from "./format.ts";

/** How the run was made, as Markdown list items: enough to reproduce or distrust it. */
export function describeRun(results: Results): string[] {
  const m = results.machine;
  const l = results.load;
  const model =
    l.model === "closed"
      ? `closed model: each of ${l.connections} connections sends its next request when the previous answer arrives, so latency excludes time a request would have waited to be sent (coordinated omission). Use \`--rate N\` for an open-model run.`
      : `open model: a fixed ${int(l.rate)} requests/s, latency measured from each request's intended send time (corrected for coordinated omission).`;
  return [
    `- Machine: ${m.cpus} × ${m.cpu_model}, ${int(m.mem / 2 ** 30)} GiB RAM, Linux ${m.kernel}, data on ${m.fs}, Node ${m.node}, needadb ${m.commit}.`,
    `- Load: ${l.tool}, ${model}`,
    `- Commands: ${Object.entries(l.commands)
      .map(([w, c]) => `${w}: \`${c}\``)
      .join("; ")}.`,
    `- Each cell: a fresh server on a fresh copy of the dataset; a warm-up, not measured, until the rate is steady (at least ${l.warmup_s} s, at most ${l.warmup_max_s ?? l.warmup_s} s); then ${l.duration_s} s measured. The server's answers are counted every ${SAMPLE_MS} ms throughout, so each cell's rate over time is in results.json. ${results.settings.repeat} repeat(s), medians reported. The bare \`node:http\` server, the runtime's own ceiling, is measured beside \`null\` for reads and writes.`,
    `- fsync ceiling: one 120-byte append + fsync took ${int(results.fsync_us)} µs (median) on the data directory's filesystem, so at most ${int(results.fsync_ceiling_rps)} durable single writes/s. ` +
      `With one other core kept busy, as the load generator keeps it, it took ${int(results.fsync_loaded_us)} µs (${int(1e6 / results.fsync_loaded_us)}/s).`,
    ...(results.settings.user_ids === "v7"
      ? ["- New users' ids: time-ordered (`USER_IDS=v7`), not the course's random ones."]
      : []),
    ...(results.error ? [`- **The run failed:** ${results.error.split("\n")[0]}`] : []),
    ...(results.complete
      ? []
      : [
          `- **Interrupted:** ${results.cells_done} of ${results.cells_total} cells finished; the tables show those only.`,
        ]),
  ];
}

const names = (xs: readonly string[]) => (xs.length ? xs.map(code).join(", ") : "none");
const cells = (xs: readonly { approach: string; rps: number }[]) =>
  xs.map((c) => `${code(c.approach)} ${int(c.rps)}/s`).join(", ") || "none";

function ramFinding(a: Analysis): string {
  const r = a.criteria.ram;
  if (!r) return "Not measured: this run did not include `map` reads.";
  const per =
    r.per_record_bytes === null
      ? ""
      : ` Beyond the server's own memory, that is about ${int(r.per_record_bytes)} bytes per record, so half of this machine's memory would hold about ${int(r.fits_records)} such records.`;
  return `\`map\` peaked at ${int(r.rss_mb)} MB of RAM holding ${int(r.records)} records.${per} Past that, an in-memory store is out; \`binary\` and \`sqlite\` read from disk and need little RAM (see peak RSS in the full table).`;
}

function lookupFindings(a: Analysis) {
  const e = a.criteria.by_email;
  const j = a.criteria.join;
  return {
    email: e
      ? `GET /users?email= at ${int(a.largest)} records: stores that scan answered ${cells(e.scans)}; stores with a second index (kept in step by hand, or CREATE INDEX) answered ${cells(e.indexed)}. A flat file needs that second index built and kept through every write, as the map stores and \`lsm\` do; SQLite and PostgreSQL have it from one CREATE INDEX.`
      : "Not measured in this run: run the bench with the `by-email` workload. Each new lookup field in a flat file means another index you build and keep in step yourself; SQLite gives you CREATE INDEX.",
    join: j
      ? `GET /users/:id/orders at ${int(a.largest)} records: ${j.cells.map((c) => `${code(c.approach)} ${int(c.rps)}/s (${times(c.ratio_to_null)} null)`).join(", ") || "no store answered"}. SQLite and PostgreSQL answer with one JOIN through an index on the orders' user; the map stores keep a per-user list in step by hand.${j.without.length ? ` No join at all (501): ${names(j.without)}.` : ""}`
      : "Not measured in this run: run the bench with the `user-orders` workload (GET /users/:id/orders, a user with their orders and each product's name).",
  };
}

function writersFinding(a: Analysis): string {
  const c = a.criteria.processes;
  const t = a.criteria.servers;
  if (!c && !t.length)
    return "Not measured in this report: run `npm run contention` and `npm run topology`, then this benchmark again. The course's claim is that flat files with in-memory state diverge and SQLite serialises writers.";
  const parts: string[] = [];
  if (c) {
    parts.push(
      `Two servers on one DATA_DIR: ${names(c.stale)} served stale reads or diverged; ${names(c.coherent)} stayed coherent with no 5xx.`,
    );
    if (c.busy.length)
      parts.push(
        `SQLite serialised the writers: ${c.busy.map((b) => `${code(b.approach)} waited out ${int(b.busy)} SQLITE_BUSY answers`).join(", ")}.`,
      );
  }
  for (const r of t)
    parts.push(
      r.diverged
        ? `Two app servers with ${r.shares.replace(/^nothing: /, "")}: ${int(r.stale_reads)} of ${int(r.probes)} reads through the other server were stale, and their data diverged.`
        : `Two app servers on ${r.shares}: ${int(r.stale_reads)} stale reads in ${int(r.probes)} probes, and the same data on both.`,
    );
  return parts.join(" ");
}

function atomicFinding(a: Analysis): string {
  const x = a.criteria.atomic;
  if (!x)
    return "Not measured in this report: run `npm run orders-check`, then this benchmark again. An order changes the order and each product's stock, which must happen all or nothing.";
  const oversold = x.oversold.length
    ? x.oversold.map((o) => `${code(o.approach)} (${int(o.units)} units)`).join(", ")
    : "none";
  return `No order without its stock change, nor the reverse, after every crash trial: ${names(x.crash_safe)}. Two processes selling scarce stock at once kept it whole: ${names(x.race_safe)}; oversold: ${oversold}. No orders at all (501): ${names(x.without)}.`;
}

/** The course's "when you actually need a database", answered from this run where it can be. */
export function criteriaLines(a: Analysis): string[] {
  const l = lookupFindings(a);
  return [
    `**Your data does not fit in RAM.** ${ramFinding(a)}`,
    `**You query by fields other than the id.** ${l.email}`,
    `**You need joins.** ${l.join}`,
    `**Several processes or servers write.** ${writersFinding(a)}`,
    `**You need atomic writes across several records.** ${atomicFinding(a)}`,
  ];
}

/** The bench's recommendation, as lines ("- " lines become a list). */
export function recommendationLines(results: Results, a: Analysis): string[] {
  if (a.dau.length === 0)
    return ["No mixed-workload cells were measured, so there is nothing to recommend from."];
  const p = benchProfile(results, a.targetDau, a.largest);
  const d = decide(p, {
    ...{ bench: results, durability: results.durability?.runs },
    ...{ contention: results.contention?.results, topology: results.topology?.results },
    ...{ orders: results.orders?.results, declared: results.declared ?? {} },
  });
  const ruled = d.candidates.filter((c) => c.valid !== "pass");
  return [
    `For ${int(a.targetDau)} daily active users at ${p.requests_per_user} requests each and peaks ${p.peak_factor}× the average, the server must sustain about ${rate(d.required_rps)} requests/s at peak (${share(p.write_share)} writes), on one process and one server, keeping acknowledged writes through a power loss. Measured here on ${int(a.largest)} records:`,
    ...headline(d).map((h) => `- ${h}`),
    ...ruled.map((c) => {
      const v = c.verdicts.find((x) => x.valid === c.valid) ?? c.verdicts[0];
      return v
        ? `- Not ${code(c.approach)}: ${c.valid === "fail" ? "it fails" : "not shown to meet"} "${requirementName(v.requirement, p, "need" in v.finding ? v.finding.need : undefined)}": ${verdictLine(v, c.approach)}.`
        : `- Not ${code(c.approach)}.`;
    }),
    "- The same decision for your own app, with its processes, servers, lookups, orders and what it must survive: `npm run advise` (see the README).",
  ];
}
