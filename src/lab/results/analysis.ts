// "Reading the numbers": turns a run's measurements into the tables and sentences of the
// report. Every figure here comes from `results`; the course's own numbers are shown beside
// them and labelled as the course's, never mixed in.

import type { Results, Run } from "./bench.ts";
import { type DauAssumptions, dauFor, peakRpsFor } from "./dau.ts";
import { decide } from "./decision.ts";
import { FAULT_SHORT } from "./durability.ts";
import { type Profile, RESTART_S_MAX_DEFAULT, STALE_READ_MS_DEFAULT } from "./profile.ts";
import { SAMPLE_MS } from "./steady.ts";

/** The course's write table (Append Throughput lesson), its estimates on its own machine. */
export const COURSE_WRITE_PATHS = [
  {
    approach: "map",
    name: "JSONL append, no fsync",
    course_rps: "~90,000",
    course_latency: "<1 ms",
    course_durability: "Survives process crash, not power loss",
  },
  {
    approach: "jsonl-fsync",
    name: "JSONL append, fsync per write",
    course_rps: "~1,000-2,000",
    course_latency: "~30-40 ms",
    course_durability: "Survives power loss",
  },
  {
    approach: "sqlite",
    name: "SQLite insert, one per request",
    course_rps: "~5,000-10,000",
    course_latency: "~5-10 ms",
    course_durability: "Survives power loss",
  },
  {
    approach: "sqlite-batched",
    name: "SQLite insert, batched",
    course_rps: "~70,000+",
    course_latency: "<1 ms",
    course_durability: "Loses up to one flush interval of writes on crash",
  },
] as const;

/** Where the course leads: group commit, durable like fsync-per-write, batched like the liar. */
export const GROUP_COMMIT_PATHS = [
  {
    approach: "jsonl-group",
    name: "JSONL append, group commit",
    course_rps: "(not in the course)",
    course_latency: "",
    course_durability: "",
  },
  {
    approach: "sqlite-group",
    name: "SQLite insert, group commit",
    course_rps: "(not in the course)",
    course_latency: "",
    course_durability: "",
  },
] as const;

/** The only read figure the course gives: the in-memory map, on its mac mini. */
export const COURSE_READ_RPS: Record<string, string> = { map: "~72,000 (all sizes)" };

/** At the largest size, an approach keeping this share of its smallest-size reads is "flat". */
const FLAT_SHARE = 0.7;
/** Below this share it "falls off a cliff". */
const CLIFF_SHARE = 0.1;

export interface ReadRow {
  approach: string;
  rps_by_size: (number | null)[];
  ratio_to_null_by_size: (number | null)[];
  /** rps at the largest size / rps at the smallest. */
  kept: number | null;
  shape: "stays flat" | "slows down" | "falls off a cliff" | "one size only";
  course: string;
  /** At the largest size: the server's CPU per read in µs, what it adds over null's, and × node:http. */
  cpu_us: number | null;
  cpu_us_over_null: number | null;
  ratio_to_node: number | null;
}

export interface WritePathRow {
  approach: string;
  name: string;
  run: Run | undefined;
  /** From the durability lab, when its results were given: lost of acknowledged, per fault. */
  measured: string;
  course_rps: string;
  course_latency: string;
  course_durability: string;
}

/** A store's lookups by email and its join, at each size; `skipped` when it has no orders. */
export interface LookupRow {
  approach: string;
  /** How it finds users by email, from its /health. */
  method: string;
  by_email_rps: (number | null)[];
  by_email_to_null: number | null;
  user_orders_rps: (number | null)[];
  user_orders_to_null: number | null;
  /** Why it answers the join with 501, when it does. */
  no_join?: string;
}

export interface DauRow {
  approach: string;
  durability: string;
  capacity_rps: number;
  dau: number;
}

export interface Analysis {
  sizes: number[];
  largest: number;
  reads: ReadRow[];
  writePaths: WritePathRow[];
  lookups: LookupRow[];
  dau: DauRow[];
  assumptions: DauAssumptions;
  targetDau: number;
  targetPeakRps: number;
  criteria: { name: string; finding: string }[];
  recommendation: string[];
}

function find(
  runs: readonly Run[],
  approach: string,
  workload: string,
  records: number,
): Run | undefined {
  return runs.find(
    (r) => r.approach === approach && r.workload === workload && r.records === records,
  );
}

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const int = (n: number | null | undefined) => (n == null ? "-" : fmt(n));

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
    ...(results.error ? [`- **The run failed:** ${results.error.split("\n")[0]}`] : []),
    ...(results.complete
      ? []
      : [
          `- **Interrupted:** ${results.cells_done} of ${results.cells_total} cells finished; the tables show those only.`,
        ]),
  ];
}

/** Each approach's reads at every size, and its shape as the data grows. */
function readRows(
  runs: readonly Run[],
  approaches: readonly string[],
  sizes: readonly number[],
  largest: number,
): ReadRow[] {
  const nullReadUs = find(runs, "null", "read", largest)?.cpu_us_per_request ?? null;
  return approaches.map((approach) => {
    const rps = sizes.map((s) => find(runs, approach, "read", s)?.rps ?? null);
    const atLargest = find(runs, approach, "read", largest);
    const cpuUs = atLargest?.cpu_us_per_request ?? null;
    const first = rps[0];
    const last = rps.at(-1);
    const kept = sizes.length > 1 && first && last != null ? last / first : null;
    const shape =
      kept === null
        ? "one size only"
        : kept >= FLAT_SHARE
          ? "stays flat"
          : kept < CLIFF_SHARE
            ? "falls off a cliff"
            : "slows down";
    return {
      approach,
      rps_by_size: rps,
      ratio_to_null_by_size: sizes.map(
        (s) => find(runs, approach, "read", s)?.ratio_to_null ?? null,
      ),
      kept,
      shape,
      course: COURSE_READ_RPS[approach] ?? "",
      cpu_us: cpuUs,
      cpu_us_over_null: cpuUs !== null && nullReadUs !== null ? cpuUs - nullReadUs : null,
      ratio_to_node: atLargest?.ratio_to_node ?? null,
    };
  });
}

export function analyse(results: Results, targetDau: number): Analysis {
  const runs = results.runs;
  const sizes = [...new Set(runs.map((r) => r.records))].sort((a, b) => a - b);
  const largest = sizes.at(-1) ?? 0;
  const approaches = results.settings.approaches.filter((a) => runs.some((r) => r.approach === a));

  const reads = readRows(runs, approaches, sizes, largest);

  const writePaths: WritePathRow[] = [...COURSE_WRITE_PATHS, ...GROUP_COMMIT_PATHS]
    .map((p) => ({
      ...p,
      run: find(runs, p.approach, "write", largest),
      measured: measuredDurability(results, p.approach),
    }))
    .filter((p) => p.run || COURSE_WRITE_PATHS.some((c) => c.approach === p.approach));

  const lookups = lookupRows(results, approaches, sizes, largest);
  const a = results.assumptions;
  const dau: DauRow[] = approaches
    .filter((x) => x !== "null")
    .flatMap((approach) => {
      const mixed = find(runs, approach, "mixed", largest);
      return mixed
        ? [
            {
              approach,
              durability: mixed.durability,
              capacity_rps: mixed.rps,
              dau: dauFor(mixed.rps, a),
            },
          ]
        : [];
    });

  const targetPeakRps = peakRpsFor(targetDau, a);
  const criteria = databaseCriteria(results, largest);
  const recommendation = recommend(dau, targetDau, largest, results);
  return {
    sizes,
    largest,
    reads,
    writePaths,
    lookups,
    dau,
    assumptions: a,
    targetDau,
    targetPeakRps,
    criteria,
    recommendation,
  };
}

function lookupRows(
  results: Results,
  approaches: readonly string[],
  sizes: readonly number[],
  largest: number,
): LookupRow[] {
  const rps = (approach: string, workload: string) =>
    sizes.map((s) => find(results.runs, approach, workload, s)?.rps ?? null);
  const ratio = (approach: string, workload: string) =>
    find(results.runs, approach, workload, largest)?.ratio_to_null ?? null;
  return approaches.flatMap((approach) => {
    const noJoin = results.skipped?.find(
      (c) => c.approach === approach && c.workload === "user-orders",
    )?.reason;
    const row: LookupRow = {
      approach,
      method: results.email_lookup?.[approach] ?? "",
      by_email_rps: rps(approach, "by-email"),
      by_email_to_null: ratio(approach, "by-email"),
      user_orders_rps: rps(approach, "user-orders"),
      user_orders_to_null: ratio(approach, "user-orders"),
      ...(noJoin ? { no_join: noJoin } : {}),
    };
    const measured = [...row.by_email_rps, ...row.user_orders_rps].some((x) => x !== null);
    return measured || noJoin ? [row] : [];
  });
}

/** "process crash: lost 0 of 1,234; power cut: lost 56 of 789", or "not measured". */
function measuredDurability(results: Results, approach: string): string {
  const runs = results.durability?.runs.filter((r) => r.approach === approach) ?? [];
  if (runs.length === 0) return "not measured";
  return runs
    .map(
      (r) =>
        `${FAULT_SHORT[r.fault]}: lost ${fmt(r.lost_acked)} of ${fmt(r.acked)}${r.corrupt ? `, ${r.corrupt} corrupt` : ""}`,
    )
    .join("; ");
}

/** What the by-email cells measured: how a scan compares with an index. */
function emailFinding(results: Results, largest: number): string {
  const cells = results.runs.filter((r) => r.workload === "by-email" && r.records === largest);
  if (!cells.length) {
    return "Not measured in this run: run the bench with the `by-email` workload. Each new lookup field in a flat file means another index you build and keep in step yourself; SQLite gives you CREATE INDEX.";
  }
  const how = (a: string) => results.email_lookup?.[a] ?? "";
  const scans = cells.filter((r) => /scan/.test(how(r.approach)));
  const indexed = cells.filter((r) => r.approach !== "null" && !/scan/.test(how(r.approach)));
  const list = (rs: readonly Run[]) =>
    rs.map((r) => `\`${r.approach}\` ${fmt(r.rps)}/s`).join(", ") || "none";
  return (
    `GET /users?email= at ${fmt(largest)} records: stores that scan answered ${list(scans)}; ` +
    `stores with a second index (kept in step by hand, or CREATE INDEX) answered ${list(indexed)}. ` +
    "A flat file needs that second index built and kept through every write, as the map stores and `lsm` do; SQLite and PostgreSQL have it from one CREATE INDEX."
  );
}

/** What the user-orders cells measured: which stores answer the join, and how fast. */
function joinFinding(results: Results, largest: number): string {
  const cells = results.runs.filter(
    (r) => r.workload === "user-orders" && r.records === largest && r.approach !== "null",
  );
  const without = [
    ...new Set(
      (results.skipped ?? []).filter((c) => c.workload === "user-orders").map((c) => c.approach),
    ),
  ];
  if (!cells.length && !without.length) {
    return "Not measured in this run: run the bench with the `user-orders` workload (GET /users/:id/orders, a user with their orders and each product's name).";
  }
  return (
    `GET /users/:id/orders at ${fmt(largest)} records: ${cells.map((r) => `\`${r.approach}\` ${fmt(r.rps)}/s (${r.ratio_to_null?.toFixed(2) ?? "-"}× null)`).join(", ") || "no store answered"}. ` +
    "SQLite and PostgreSQL answer with one JOIN through an index on the orders' user; the map stores keep a per-user list in step by hand. " +
    (without.length ? `No join at all (501): ${without.map((a) => `\`${a}\``).join(", ")}.` : "")
  );
}

/** What `npm run orders-check` measured about orders, which change several records at once. */
function atomicFinding(results: Results): string {
  const runs = results.orders?.results.runs;
  if (!runs?.length) {
    return "Not measured in this report: run `npm run orders-check`, then this benchmark again. An order changes the order and each product's stock, which must happen all or nothing.";
  }
  const names = (xs: readonly { approach: string }[]) =>
    xs.length ? xs.map((r) => `\`${r.approach}\``).join(", ") : "none";
  const taking = runs.filter((r) => r.takes_orders);
  const crashSafe = taking.filter(
    (r) => r.crash.length && r.crash.every((c) => c.invariant_broken === 0),
  );
  const raceSafe = taking.filter((r) => r.race?.holds);
  const oversold = taking.filter((r) => r.race && !r.race.holds);
  return (
    `No order without its stock change, nor the reverse, after every crash trial: ${names(crashSafe)}. ` +
    `Two processes selling scarce stock at once kept it whole: ${names(raceSafe)}; oversold: ` +
    `${oversold.length ? oversold.map((r) => `\`${r.approach}\` (${fmt(r.race?.oversold_units ?? 0)} units)`).join(", ") : "none"}. ` +
    `No orders at all (501): ${names(runs.filter((r) => !r.takes_orders))}.`
  );
}

/** What `npm run contention` and `npm run topology` measured, in a sentence or four. */
function severalWritersFinding(results: Results): string {
  const c = results.contention?.results.runs ?? [];
  const t = results.topology?.results.runs ?? [];
  if (!c.length && !t.length) {
    return "Not measured in this report: run `npm run contention` and `npm run topology`, then this benchmark again. The course's claim is that flat files with in-memory state diverge and SQLite serialises writers.";
  }
  const names = (runs: readonly { approach: string }[]) =>
    runs.length ? runs.map((r) => `\`${r.approach}\``).join(", ") : "none";
  const parts: string[] = [];
  if (c.length) {
    const stale = c.filter((r) => r.stale_reads > 0 || r.diverged);
    const coherent = c.filter((r) => r.stale_reads === 0 && !r.diverged && r.errors_5xx === 0);
    parts.push(
      `Two servers on one DATA_DIR: ${names(stale)} served stale reads or diverged; ${names(coherent)} stayed coherent with no 5xx.`,
    );
    const busy = c.filter((r) => r.busy > 0);
    if (busy.length) {
      parts.push(
        `SQLite serialised the writers: ${busy.map((r) => `\`${r.approach}\` waited out ${fmt(r.busy)} SQLITE_BUSY answers`).join(", ")}.`,
      );
    }
  }
  for (const r of t) {
    parts.push(
      r.diverged
        ? `Two app servers with ${r.shares.replace(/^nothing: /, "")}: ${fmt(r.stale_reads)} of ${fmt(r.probes)} reads through the other server were stale, and their data diverged.`
        : `Two app servers on ${r.shares}: ${fmt(r.stale_reads)} stale reads in ${fmt(r.probes)} probes, and the same data on both.`,
    );
  }
  return parts.join(" ");
}

/** The course's "when you actually need a database", answered from this run where it can be. */
function databaseCriteria(results: Results, largest: number): { name: string; finding: string }[] {
  const map = find(results.runs, "map", "read", largest);
  const ram = results.machine.mem;
  let ramFinding = "Not measured: this run did not include `map` reads.";
  if (map && largest > 0) {
    // What the records cost, without the server's own fixed memory: `null`'s RSS at the same
    // size is that baseline; failing that, the growth from the smallest size to the largest.
    const base = find(results.runs, "null", "read", largest);
    const smallest = results.runs
      .filter((r) => r.approach === "map" && r.workload === "read" && r.records < largest)
      .sort((p, q) => p.records - q.records)[0];
    const perRecord = base
      ? ((map.rss_mb - base.rss_mb) * 2 ** 20) / largest
      : smallest
        ? ((map.rss_mb - smallest.rss_mb) * 2 ** 20) / (largest - smallest.records)
        : undefined;
    ramFinding = `\`map\` peaked at ${fmt(map.rss_mb)} MB of RAM holding ${fmt(largest)} records.`;
    // Below this size the records' memory is lost in the process's own noise.
    const MIN_RECORDS_FOR_ESTIMATE = 100_000;
    if (perRecord !== undefined && perRecord > 0 && largest >= MIN_RECORDS_FOR_ESTIMATE) {
      ramFinding +=
        ` Beyond the server's own memory, that is about ${fmt(perRecord)} bytes per record, so half of this machine's ` +
        `${fmt(ram / 2 ** 30)} GiB would hold about ${fmt((ram * 0.5) / perRecord)} such records.`;
    }
    ramFinding +=
      " Past that, an in-memory store is out; `binary` and `sqlite` read from disk and need little RAM (see peak RSS in the full table).";
  }
  return [
    { name: "Your data does not fit in RAM", finding: ramFinding },
    { name: "You query by fields other than the id", finding: emailFinding(results, largest) },
    { name: "You need joins", finding: joinFinding(results, largest) },
    { name: "Several processes or servers write", finding: severalWritersFinding(results) },
    { name: "You need atomic writes across several records", finding: atomicFinding(results) },
  ];
}

/**
 * The bench's recommendation is the decision `npm run advise` makes, for an app of the
 * bench's assumptions: one process, one server, reads and writes by id, and acknowledged
 * writes that must survive a power loss.
 */
function recommend(dau: DauRow[], targetDau: number, largest: number, results: Results): string[] {
  if (dau.length === 0)
    return ["No mixed-workload cells were measured, so there is nothing to recommend from."];
  const a = results.assumptions;
  const profile: Profile = {
    ...{ name: `${fmt(targetDau)} daily active users`, daily_active_users: targetDau },
    ...{ requests_per_user: a.requestsPerUserPerDay, peak_factor: a.peakFactor },
    ...{ write_share: a.writeShare, records: largest, processes: 1, servers: 1 },
    ...{ needs: [], survive: "power-loss", restart_s_max: RESTART_S_MAX_DEFAULT },
    stale_read_ms: STALE_READ_MS_DEFAULT,
  };
  const d = decide(profile, {
    bench: results,
    durability: results.durability?.runs,
    contention: results.contention?.results,
    topology: results.topology?.results,
    orders: results.orders?.results,
    declared: results.declared ?? {},
  });
  return [
    `For ${fmt(targetDau)} daily active users at ${a.requestsPerUserPerDay} requests each and peaks ${a.peakFactor}× the average, ` +
      `the server must sustain about ${d.required_rps < 10 ? d.required_rps.toFixed(1) : fmt(d.required_rps)} requests/s at peak ` +
      `(${Math.round(a.writeShare * 100)}% writes), on one process and one server, keeping acknowledged writes through a power loss. Measured here on ${fmt(largest)} records:`,
    `- ${d.recommended ? `**Use \`${d.recommended}\`.** ` : ""}${d.reason}`,
    ...d.ruled_out.map(
      (r) =>
        `- Not \`${r.approach}\`: it does not ${r.requirement.replace(/^(\w+)s /, "$1 ")}. ${r.evidence}.`,
    ),
    "- The same decision for your own app, with its processes, servers, lookups, orders and what it must survive: `npm run advise` (see the README).",
  ];
}
