// report.html: the report as one self-contained page. Chart.js is inlined from node_modules,
// so the file opens from disk with no server and no network.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type Analysis, describeRun } from "./analysis.ts";
import { contentionNotes, contentionTable } from "./contention.ts";
import { ordersNotes, ordersTable } from "./orders-check.ts";
import type { Results } from "./results.ts";
import type { Table } from "./table.ts";
import { postgresVsNullTable, topologyNotes, topologyTable } from "./topology.ts";

const require = createRequire(import.meta.url);
// The UMD build is not in chart.js's package exports; it sits beside the main entry.
const CHART_JS_PATH = join(dirname(require.resolve("chart.js")), "chart.umd.min.js");

const PALETTE = [
  "#2563eb",
  "#dc2626",
  "#16a34a",
  "#9333ea",
  "#ea580c",
  "#0891b2",
  "#64748b",
  "#ca8a04",
  "#db2777",
  "#4d7c0f",
];

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The report's prose uses `code` and **bold** as in Markdown; nothing else. */
function inline(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
}

function htmlTable(header: string[], rows: string[][]): string {
  const head = header.map((h) => `<th>${inline(h)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function tableHtml(t: Table): string {
  return htmlTable(t.header, t.rows);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

const int = (n: number | null | undefined) =>
  n == null ? "-" : Math.round(n).toLocaleString("en");

export function chartData(results: Results, a: Analysis) {
  const approaches = a.reads.map((r) => r.approach);
  const color = (approach: string) =>
    PALETTE[results.settings.approaches.indexOf(approach) % PALETTE.length];
  const at = (approach: string, workload: string) =>
    results.runs.find(
      (r) => r.approach === approach && r.workload === workload && r.records === a.largest,
    );
  const percentiles = (workload: string) =>
    approaches.flatMap((approach) => {
      const run = at(approach, workload);
      return run
        ? [
            {
              label: approach,
              color: color(approach),
              data: [
                run.latency_ms.p50,
                run.latency_ms.p90,
                run.latency_ms.p99,
                run.latency_ms.p999,
              ],
            },
          ]
        : [];
    });
  const writers = approaches.filter((approach) => at(approach, "write"));
  return {
    reads: {
      labels: approaches,
      datasets: a.sizes.map((size, i) => ({
        label: `${int(size)} records`,
        color: PALETTE[i % PALETTE.length],
        data: a.reads.map((r) => r.rps_by_size[i]),
      })),
    },
    readLatency: percentiles("read"),
    writeLatency: percentiles("write"),
    writes: {
      labels: writers,
      rps: writers.map((approach) => at(approach, "write")?.rps ?? null),
      colors: writers.map(color),
      fsyncCeiling: results.fsync_ceiling_rps,
      nullRps: at("null", "write")?.rps ?? null,
    },
  };
}

/** Runs in the page: draws the four charts, then marks the body so a test can tell. */
const DRAW = `
const d = JSON.parse(document.getElementById("chart-data").textContent);
Chart.defaults.animation = false;
Chart.defaults.font.family = "system-ui, sans-serif";
const log = (title) => ({ type: "logarithmic", title: { display: true, text: title } });
let drawn = 0;
function draw(id, config) {
  const el = document.getElementById(id);
  if (!el) return;
  new Chart(el, config);
  drawn++;
}
draw("chart-reads", {
  type: "bar",
  data: { labels: d.reads.labels, datasets: d.reads.datasets.map((s) => ({ label: s.label, data: s.data, backgroundColor: s.color })) },
  options: { scales: { y: log("requests/s (log scale)") }, plugins: { title: { display: true, text: "GET /users/:id throughput by dataset size" } } },
});
for (const [id, sets, title] of [["chart-read-latency", d.readLatency, "reads"], ["chart-write-latency", d.writeLatency, "writes"]]) {
  if (!sets.length) continue;
  draw(id, {
    type: "line",
    data: { labels: ["p50", "p90", "p99", "p99.9"], datasets: sets.map((s) => ({ label: s.label, data: s.data, borderColor: s.color, backgroundColor: s.color })) },
    options: { scales: { y: log("latency, ms (log scale)") }, plugins: { title: { display: true, text: "Latency percentiles, " + title + ", largest dataset" } } },
  });
}
if (d.writes.labels.length) {
  const flat = (v) => d.writes.labels.map(() => v);
  const lines = [{ type: "line", label: "fsync ceiling", data: flat(d.writes.fsyncCeiling), borderColor: "#111827", borderDash: [6, 4], pointRadius: 0 }];
  if (d.writes.nullRps) lines.push({ type: "line", label: "HTTP ceiling (null)", data: flat(d.writes.nullRps), borderColor: "#9ca3af", borderDash: [2, 3], pointRadius: 0 });
  draw("chart-writes", {
    type: "bar",
    data: { labels: d.writes.labels, datasets: [{ label: "POST /users req/s", data: d.writes.rps, backgroundColor: d.writes.colors }, ...lines] },
    options: { scales: { y: log("requests/s (log scale)") }, plugins: { title: { display: true, text: "Write paths against the fsync ceiling" } } },
  });
}
document.body.dataset.chartsDrawn = String(drawn);
`;

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; color: #111827; max-width: 1100px; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #e5e7eb; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 13px; }
th, td { border: 1px solid #e5e7eb; padding: 4px 8px; text-align: right; }
th { background: #f9fafb; } td:first-child, th:first-child { text-align: left; }
code { background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 1.5rem; }
.chart { position: relative; height: 340px; }
.wide { overflow-x: auto; }
`;

export function renderHtml(results: Results, a: Analysis): string {
  const chartJs = readFileSync(CHART_JS_PATH, "utf8");
  const reads = htmlTable(
    [
      "approach",
      ...a.sizes.map((s) => `${int(s)} records`),
      "× null at largest",
      "shape",
      "course (mac mini)",
    ],
    a.reads.map((r) => [
      `\`${r.approach}\``,
      ...r.rps_by_size.map(int),
      r.ratio_to_null_by_size.at(-1) == null
        ? "-"
        : `${(r.ratio_to_null_by_size.at(-1) as number).toFixed(2)}×`,
      r.shape,
      r.course,
    ]),
  );
  const writes = htmlTable(
    [
      "write path",
      "approach",
      "req/s",
      "p99 ms",
      "× fsync ceiling",
      "claims to survive",
      "measured durability",
      "course req/s",
      "course durability",
    ],
    a.writePaths.map((p) => [
      p.name,
      `\`${p.approach}\``,
      int(p.run?.rps),
      p.run ? p.run.latency_ms.p99.toFixed(2) : "-",
      p.run?.ratio_to_fsync == null ? "-" : `${p.run.ratio_to_fsync.toFixed(2)}×`,
      p.run?.durability ?? "-",
      p.measured,
      p.course_rps,
      p.course_durability,
    ]),
  );
  const dau = htmlTable(
    ["approach", "mixed req/s", "daily active users", "claims to survive"],
    a.dau.map((d) => [`\`${d.approach}\``, int(d.capacity_rps), int(d.dau), d.durability]),
  );
  const every = htmlTable(
    [
      "workload",
      "records",
      "approach",
      "req/s",
      "× null",
      "p50",
      "p99",
      "p99.9 ms",
      "non-2xx",
      "errors",
      "peak RSS MB",
      "CPU",
      "start-up ms",
    ],
    results.runs.map((r) => [
      r.workload,
      r.inserted ? `${int(r.records)} + ${int(r.inserted)} inserted` : int(r.records),
      `\`${r.approach}\``,
      int(r.rps),
      r.ratio_to_null == null ? "-" : `${r.ratio_to_null.toFixed(2)}×`,
      r.latency_ms.p50.toFixed(2),
      r.latency_ms.p99.toFixed(2),
      r.latency_ms.p999.toFixed(2),
      int(r.non2xx),
      int(r.errors),
      int(r.rss_mb),
      r.cpu_cores.toFixed(2),
      int(r.startup_ms),
    ]),
  );
  const as = a.assumptions;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>needadb benchmark report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Do you need a database yet? Measured on this machine</h1>
<ul>${describeRun(results)
    .map((l) => `<li>${inline(l.replace(/^- /, ""))}</li>`)
    .join("")}</ul>

<h2>Reads: which approaches stay flat and which fall off a cliff</h2>
<div class="charts">
  <div class="chart"><canvas id="chart-reads" role="img" aria-label="Read throughput by approach and dataset size"></canvas></div>
  <div class="chart"><canvas id="chart-read-latency" role="img" aria-label="Read latency percentiles"></canvas></div>
</div>
<div class="wide">${reads}</div>

<h2>The four write paths of the course</h2>
<div class="charts">
  <div class="chart"><canvas id="chart-writes" role="img" aria-label="Write throughput against the fsync ceiling"></canvas></div>
  <div class="chart"><canvas id="chart-write-latency" role="img" aria-label="Write latency percentiles"></canvas></div>
</div>
<div class="wide">${writes}</div>

${
  results.durability
    ? `<h2>Durability, measured</h2>
<p>${inline(`From \`${results.durability.file}\` (\`npm run crash\`). A process crash is SIGKILL under load; a power cut also drops every write not yet fsynced.`)}</p>
<div class="wide">${htmlTable(
        [
          "store",
          "fault",
          "trials",
          "acknowledged",
          "lost",
          "corrupt",
          "restarted",
          "repaired on restart",
          "claims to survive",
          "claim held",
        ],
        results.durability.runs.map((r) => [
          `\`${r.approach}\``,
          r.fault === "sigkill" ? "process crash" : "power cut",
          String(r.trials),
          int(r.acked),
          int(r.lost_acked),
          String(r.corrupt),
          `${r.restarted}/${r.trials}`,
          String(r.repaired ?? 0),
          r.claim,
          r.claim_held ? "yes" : "**no**",
        ]),
      )}</div>`
    : ""
}

${
  results.contention
    ? `<h2>Several processes on one DATA_DIR, measured</h2>
<p>${inline(`From \`${results.contention.file}\` (\`npm run contention\`). ${contentionNotes(results.contention.results)}`)}</p>
<div class="wide">${tableHtml(contentionTable(results.contention.results))}</div>`
    : ""
}
${
  results.topology
    ? `<h2>Several servers, measured</h2>
<p>${inline(`From \`${results.topology.file}\` (\`npm run topology\`). ${topologyNotes(results.topology.results)}`)}</p>
<div class="wide">${tableHtml(topologyTable(results.topology.results))}</div>
<p>${inline("PostgreSQL on one app server, against the `null` ceiling:")}</p>
<div class="wide">${tableHtml(postgresVsNullTable(results.topology.results))}</div>`
    : ""
}

${
  results.orders
    ? `<h2>Orders: writes that span several records, measured</h2>
<p>${inline(`From \`${results.orders.file}\` (\`npm run orders-check\`). ${ordersNotes(results.orders.results)}`)}</p>
<div class="wide">${tableHtml(ordersTable(results.orders.results))}</div>`
    : ""
}

<h2>Reading the numbers</h2>
<p>${inline(`Each active user makes ${as.requestsPerUserPerDay} requests a day, the busiest second carries ${as.peakFactor}× the average, ${Math.round(as.writeShare * 100)}% of requests are writes (change with \`--requests-per-user\`, \`--peak-factor\`, \`--write-share\`). DAU = mixed req/s × 86,400 / (${as.peakFactor} × ${as.requestsPerUserPerDay}).`)}</p>
${dau}
<h3>When you actually need a database</h3>
<ul>${a.criteria.map((c) => `<li><strong>${inline(c.name)}.</strong> ${inline(c.finding)}</li>`).join("")}</ul>
<h3>Recommendation</h3>
${a.recommendation.map((l) => `<p>${inline(l.replace(/^- /, ""))}</p>`).join("\n")}

<h2>Every cell</h2>
<div class="wide">${every}</div>

<script id="chart-data" type="application/json">${scriptJson(chartData(results, a))}</script>
<script>${chartJs}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
