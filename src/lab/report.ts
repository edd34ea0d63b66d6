// Writes a run's three outputs: results.json (everything), report.md (the tables, shaped
// like the course's) and report.html (the same with charts, one self-contained file).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Analysis, analyse, describeRun } from "./analysis.ts";
import { contentionNotes, contentionTable } from "./contention.ts";
import { flushWindowNote, renderDurabilityTable } from "./crash.ts";
import { ordersNotes, ordersTable } from "./orders-check.ts";
import { renderHtml } from "./report-html.ts";
import type { Results, Run } from "./results.ts";
import { mdTable } from "./table.ts";
import { postgresVsNullTable, topologyNotes, topologyTable } from "./topology.ts";

const int = (n: number | null | undefined) =>
  n == null ? "-" : Math.round(n).toLocaleString("en");
const ms = (n: number | null | undefined) =>
  n == null ? "-" : n < 10 ? n.toFixed(2) : n.toFixed(0);
const x = (n: number | null | undefined) => (n == null ? "-" : `${n.toFixed(2)}×`);

const table = (header: string[], rows: string[][]) => mdTable({ header, rows });

function readSection(a: Analysis): string {
  const header = [
    "approach",
    ...a.sizes.map((s) => `${int(s)} records`),
    "× null at largest",
    "largest / smallest",
    "shape",
    "course (mac mini)",
  ];
  const rows = a.reads.map((r) => [
    `\`${r.approach}\``,
    ...r.rps_by_size.map(int),
    x(r.ratio_to_null_by_size.at(-1)),
    r.kept === null ? "-" : `${(r.kept * 100).toFixed(0)}%`,
    r.shape,
    r.course,
  ]);
  return table(header, rows);
}

function writeSection(a: Analysis, results: Results): string {
  const loadedCeiling = 1e6 / results.fsync_loaded_us;
  const rows = a.writePaths.map((p) => [
    p.name,
    `\`${p.approach}\``,
    int(p.run?.rps),
    ms(p.run?.latency_ms.p50),
    ms(p.run?.latency_ms.p99),
    x(p.run?.ratio_to_null),
    x(p.run?.ratio_to_fsync),
    x(p.run ? p.run.rps / loadedCeiling : null),
    p.run?.durability ?? "-",
    p.measured,
    p.course_rps,
    p.course_latency,
    p.course_durability,
  ]);
  return [
    `At ${int(a.largest)} records. Ceilings measured in this run: \`null\` (HTTP only), and fsync: ${int(results.fsync_ceiling_rps)}/s idle, ${int(loadedCeiling)}/s with one core busy.`,
    "",
    table(
      [
        "write path",
        "approach",
        "req/s",
        "p50 ms",
        "p99 ms",
        "× null",
        "× fsync ceiling",
        "× fsync, core busy",
        "claims to survive",
        "measured durability",
        "course req/s",
        "course latency",
        "course durability",
      ],
      rows,
    ),
  ].join("\n");
}

function fullTable(runs: readonly Run[]): string {
  const sorted = [...runs].sort(
    (p, q) =>
      p.workload.localeCompare(q.workload) ||
      p.records - q.records ||
      p.approach.localeCompare(q.approach),
  );
  return table(
    [
      "workload",
      "records",
      "approach",
      "req/s",
      "× null",
      "× fsync",
      "p50",
      "p90",
      "p99",
      "p99.9 ms",
      "non-2xx",
      "errors",
      "peak RSS MB",
      "CPU cores",
      "bytes written/req",
      "records per fsync (max)",
      "start-up ms",
    ],
    sorted.map((r) => [
      r.workload,
      r.inserted ? `${int(r.records)} + ${int(r.inserted)} inserted` : int(r.records),
      `\`${r.approach}\``,
      int(r.rps),
      x(r.ratio_to_null),
      x(r.ratio_to_fsync),
      ms(r.latency_ms.p50),
      ms(r.latency_ms.p90),
      ms(r.latency_ms.p99),
      ms(r.latency_ms.p999),
      int(r.non2xx),
      int(r.errors),
      int(r.rss_mb),
      r.cpu_cores.toFixed(2),
      int(r.bytes_written_per_request),
      r.avg_batch == null ? "" : `${r.avg_batch.toFixed(1)} (${int(r.max_batch)})`,
      int(r.startup_ms),
    ]),
  );
}

function dauSection(a: Analysis): string {
  const as = a.assumptions;
  return [
    `Assumptions (change them with \`--requests-per-user\`, \`--peak-factor\`, \`--write-share\`): each active user makes ${as.requestsPerUserPerDay} requests a day, the busiest second carries ${as.peakFactor}× the day's average, and ${Math.round(as.writeShare * 100)}% of requests are writes.`,
    `DAU = measured mixed req/s at ${int(a.largest)} records × 86,400 / (${as.peakFactor} × ${as.requestsPerUserPerDay}).`,
    "",
    table(
      ["approach", "mixed req/s", "daily active users", "claims to survive"],
      a.dau.map((d) => [`\`${d.approach}\``, int(d.capacity_rps), int(d.dau), d.durability]),
    ),
  ].join("\n");
}

export function renderMarkdown(results: Results, a: Analysis): string {
  return [
    "# needadb benchmark report",
    "",
    ...describeRun(results),
    "",
    "## Reads: which approaches stay flat and which fall off a cliff",
    "",
    "GET /users/:id for random seeded ids, requests per second.",
    "",
    readSection(a),
    "",
    "## The four write paths of the course",
    "",
    writeSection(a, results),
    "",
    ...(results.durability
      ? [
          "## Durability, measured",
          "",
          `From \`${results.durability.file}\` (\`npm run crash\`). A process crash is SIGKILL under load; a power cut also drops every write not yet fsynced.`,
          "",
          renderDurabilityTable(results.durability.runs),
          "",
          ...flushWindowNote(results.durability.runs),
          "",
        ]
      : []),
    ...(results.contention
      ? [
          "## Several processes on one DATA_DIR, measured",
          "",
          `From \`${results.contention.file}\` (\`npm run contention\`).`,
          "",
          mdTable(contentionTable(results.contention.results)),
          "",
          contentionNotes(results.contention.results),
          "",
        ]
      : []),
    ...(results.topology
      ? [
          "## Several servers, measured",
          "",
          `From \`${results.topology.file}\` (\`npm run topology\`).`,
          "",
          mdTable(topologyTable(results.topology.results)),
          "",
          "PostgreSQL on one app server, against the `null` ceiling:",
          "",
          mdTable(postgresVsNullTable(results.topology.results)),
          "",
          topologyNotes(results.topology.results),
          "",
        ]
      : []),
    ...(results.orders
      ? [
          "## Orders: writes that span several records, measured",
          "",
          `From \`${results.orders.file}\` (\`npm run orders-check\`).`,
          "",
          mdTable(ordersTable(results.orders.results)),
          "",
          ordersNotes(results.orders.results),
          "",
        ]
      : []),
    "## Reading the numbers",
    "",
    dauSection(a),
    "",
    "### When you actually need a database",
    "",
    ...a.criteria.map((c) => `- **${c.name}.** ${c.finding}`),
    "",
    "### Recommendation",
    "",
    ...a.recommendation,
    "",
    "## Every cell",
    "",
    fullTable(results.runs),
    "",
  ].join("\n");
}

/** Writes results.json, report.md and report.html into `outDir`; returns their paths. */
export function writeReports(results: Results, outDir: string, targetDau: number): string[] {
  mkdirSync(outDir, { recursive: true });
  const a = analyse(results, targetDau);
  const files = {
    "results.json": `${JSON.stringify(results, null, 2)}\n`,
    "report.md": renderMarkdown(results, a),
    "report.html": renderHtml(results, a),
  };
  return Object.entries(files).map(([name, text]) => {
    const path = join(outDir, name);
    writeFileSync(path, text);
    return path;
  });
}
