// The benchmark report: every section of report.md and report.html, built once from
// results.json (and the other labs' results it carries).
import { type Analysis, analyse } from "../results/analysis.ts";
import type { Results, Run } from "../results/bench.ts";
import { allRuns } from "../results/ceiling.ts";
import { trustWarnings } from "../results/warnings.ts";
import { benchCharts } from "./bench-charts.ts";
import { ceilingSection, unsteadySection } from "./ceiling.ts";
import { contentionSections } from "./contention.ts";
import { durabilityLine } from "./decision-words.ts";
import { durabilitySections } from "./durability.ts";
import { enginesSection, floorSection } from "./engines.ts";
import { code, fixed, int, ms, share, source, times, us } from "./format.ts";
import { growthSection } from "./growth.ts";
import { renderHtml } from "./html.ts";
import { renderMarkdown } from "./markdown.ts";
import {
  charts,
  fromLines,
  list,
  type Report,
  type Section,
  section,
  table,
  text,
} from "./model.ts";
import { ordersSection } from "./orders.ts";
import { criteriaLines, describeRun, recommendationLines } from "./reading.ts";
import { topologySection } from "./topology.ts";
import { warningText } from "./warnings.ts";

const READ_SHAPES = {
  flat: "stays flat",
  slows: "slows down",
  cliff: "falls off a cliff",
  "one-size": "one size only",
} as const;

function readsSection(a: Analysis, c: ReturnType<typeof benchCharts>): Section {
  return section("Reads: which approaches stay flat and which fall off a cliff", [
    ...charts([c.reads, c.readLatency].flatMap((x) => (x ? [x] : []))),
    text("GET /users/:id for random seeded ids, requests per second."),
    table(
      [
        "approach",
        ...a.sizes.map((s) => `${int(s)} records`),
        "× null at largest",
        "× node:http",
        "server µs/read",
        "µs over null",
        "largest / smallest",
        "shape",
        "course (mac mini)",
      ],
      a.reads.map((r) => [
        code(r.approach),
        ...r.rps_by_size.map(int),
        times(r.ratio_to_null_by_size.at(-1)),
        times(r.ratio_to_node),
        us(r.cpu_us),
        r.cpu_us_over_null == null
          ? "-"
          : `${r.cpu_us_over_null >= 0 ? "+" : ""}${us(r.cpu_us_over_null)}`,
        r.kept === null ? "-" : share(r.kept),
        READ_SHAPES[r.shape],
        r.course,
      ]),
    ),
  ]);
}

function writesSection(a: Analysis, r: Results, c: ReturnType<typeof benchCharts>): Section {
  const loadedCeiling = 1e6 / r.fsync_loaded_us;
  return section("The four write paths of the course", [
    ...charts([c.writes, c.writeLatency].flatMap((x) => (x ? [x] : []))),
    text(
      `At ${int(a.largest)} records. Ceilings measured in this run: \`null\` (HTTP only), and fsync: ${int(r.fsync_ceiling_rps)}/s idle, ${int(loadedCeiling)}/s with one core busy.`,
    ),
    table(
      [
        "write path",
        "approach",
        "req/s",
        "p50 ms",
        "p99 ms",
        "server µs/write",
        "× null",
        "× node:http",
        "× fsync ceiling",
        "× fsync, core busy",
        "claims to survive",
        "measured durability",
        "course req/s",
        "course latency",
        "course durability",
      ],
      a.writePaths.map((p) => [
        p.name,
        code(p.approach),
        int(p.run?.rps),
        ms(p.run?.latency_ms.p50),
        ms(p.run?.latency_ms.p99),
        us(p.run?.cpu_us_per_request),
        times(p.run?.ratio_to_null),
        times(p.run?.ratio_to_node),
        times(p.run?.ratio_to_fsync),
        times(p.run ? p.run.rps / loadedCeiling : null),
        p.run?.durability ?? "-",
        durabilityLine(p.measured),
        p.course_rps,
        p.course_latency,
        p.course_durability,
      ]),
    ),
  ]);
}

function lookupsSection(a: Analysis, c: ReturnType<typeof benchCharts>): Section | undefined {
  if (!a.lookups.length) return undefined;
  const sizes = a.sizes.map((s) => `${int(s)} records`);
  return section("Lookups by another field, and the join", [
    ...charts(c.lookups ? [c.lookups] : []),
    text(
      "`by-email`: GET /users?email= for random seeded emails. `user-orders`: GET /users/:id/orders for random seeded users with orders (each with its items and their products' names). Requests per second; how each store finds an email is its own, from its /health.",
    ),
    table(
      [
        "approach",
        "finds an email by",
        ...sizes.map((s) => `by-email, ${s}`),
        "by-email × null",
        ...sizes.map((s) => `user-orders, ${s}`),
        "user-orders × null",
      ],
      a.lookups.map((l) => [
        code(l.approach),
        l.method,
        ...l.by_email_rps.map(int),
        times(l.by_email_to_null),
        ...(l.no_join ? a.sizes.map(() => "501") : l.user_orders_rps.map(int)),
        l.no_join ? "no orders" : times(l.user_orders_to_null),
      ]),
    ),
  ]);
}

/** The other labs' sections, for those whose results this run carries. */
function labSections(r: Results): Section[] {
  return [
    ...(r.durability
      ? durabilitySections(r.durability.runs, source(r.durability.file, "crash"))
      : []),
    ...(r.contention ? contentionSections(r.contention.results, r.contention.file) : []),
    ...(r.topology ? [topologySection(r.topology.results, r.topology.file)] : []),
    ...(r.orders ? [ordersSection(r.orders.results, r.orders.file)] : []),
  ];
}

function readingSections(r: Results, a: Analysis): Section[] {
  const as = a.assumptions;
  return [
    section("Reading the numbers", [
      text(
        `Assumptions (change them with \`--requests-per-user\`, \`--peak-factor\`, \`--write-share\`): each active user makes ${as.requestsPerUserPerDay} requests a day, the busiest second carries ${as.peakFactor}× the day's average, and ${share(as.writeShare)} of requests are writes.`,
      ),
      text(
        `DAU = measured mixed req/s at ${int(a.largest)} records × 86,400 / (${as.peakFactor} × ${as.requestsPerUserPerDay}).`,
      ),
      table(
        ["approach", "mixed req/s", "daily active users", "claims to survive"],
        a.dau.map((d) => [code(d.approach), int(d.capacity_rps), int(d.dau), d.durability]),
      ),
    ]),
    section("When you actually need a database", [list(criteriaLines(a))], 3),
    section("Recommendation", fromLines(recommendationLines(r, a)), 3),
  ];
}

function trustSection(r: Results): Section {
  const warnings = trustWarnings(allRuns(r), r.load.tool);
  return section("Can these numbers be trusted?", [
    warnings.length
      ? list(warnings.map((w) => warningText(w, r.load.tool)))
      : text(
          "No warnings: every cell's repeats agreed within 20%, no store measured above `null`, and the server, not the load generator, set the pace where that could be told.",
        ),
  ]);
}

function everyCell(runs: readonly Run[]): Section {
  const sorted = [...runs].sort(
    (p, q) =>
      p.workload.localeCompare(q.workload) ||
      p.records - q.records ||
      p.approach.localeCompare(q.approach),
  );
  return section("Every cell", [
    table(
      [
        ...["workload", "records", "approach", "req/s", "server µs/req", "× null", "× node:http"],
        ...["× fsync", "p50", "p90", "p99", "p99.9 ms", "non-2xx", "errors", "peak RSS MB"],
        ...["CPU cores", "bytes written/req", "records per fsync (max)", "start-up ms"],
        ...["warm-up s", "steady", "spread", "load generator CPU", "bottleneck"],
      ],
      sorted.map((r) => [
        r.workload,
        r.inserted ? `${int(r.records)} + ${int(r.inserted)} inserted` : int(r.records),
        code(r.approach),
        int(r.rps),
        us(r.cpu_us_per_request),
        times(r.ratio_to_null),
        times(r.ratio_to_node),
        times(r.ratio_to_fsync),
        ...[r.latency_ms.p50, r.latency_ms.p90, r.latency_ms.p99, r.latency_ms.p999].map(ms),
        int(r.non2xx),
        int(r.errors),
        int(r.rss_mb),
        fixed(r.cpu_cores, 2),
        int(r.bytes_written_per_request),
        r.avg_batch == null ? "" : `${fixed(r.avg_batch)} (${int(r.max_batch)})`,
        int(r.startup_ms),
        fixed(r.warmup_s),
        r.steady === null ? "cannot tell" : r.steady ? "yes" : "**no**",
        r.spread == null ? "-" : share(r.spread),
        fixed(r.generator_cpu_cores, 2),
        r.bottleneck ?? "unknown",
      ]),
    ),
  ]);
}

export function benchReport(results: Results, a: Analysis): Report {
  const c = benchCharts(results, a);
  return {
    title: "needadb benchmark report: do you need a database yet?",
    intro: fromLines(describeRun(results)),
    sections: [
      trustSection(results),
      readsSection(a, c),
      writesSection(a, results, c),
      ...[
        lookupsSection(a, c),
        growthSection(results),
        enginesSection(results),
        floorSection(results),
        ceilingSection(results),
      ].flatMap((x) => (x ? [x] : [])),
      ...labSections(results),
      ...readingSections(results, a),
      ...[unsteadySection(results)].flatMap((x) => (x ? [x] : [])),
      everyCell(allRuns(results)),
    ],
  };
}

/** results.json, report.md and report.html, by name. */
export function benchFiles(results: Results, targetDau: number): Record<string, string> {
  const report = benchReport(results, analyse(results, targetDau));
  return {
    "results.json": `${JSON.stringify(results, null, 2)}\n`,
    "report.md": renderMarkdown(report),
    "report.html": renderHtml(report),
  };
}
