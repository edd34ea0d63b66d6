// The HTML writer of the report model: one self-contained page. Chart.js is inlined from
// node_modules, so the file opens from disk with no server and no network.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Block, Chart, Report, Table } from "./model.ts";

const require = createRequire(import.meta.url);
// The UMD build is not in chart.js's package exports; it sits beside the main entry.
const CHART_JS_PATH = join(dirname(require.resolve("chart.js")), "chart.umd.min.js");

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The model's text uses `code` and **bold** as in Markdown; nothing else. */
function inline(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>");
}

function htmlTable({ header, rows }: Table): string {
  // A column of figures is set flush right, header and all; any other, flush left.
  const figures = header.map((_, i) => rows.every((r) => isFigure(r[i] ?? "-")));
  const cls = (i: number) => (figures[i] ? "" : ' class="text"');
  const head = header.map((h, i) => `<th${cls(i)}>${inline(h)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${inline(c)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<div class="wide"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** A horizontal bar chart grows with its rows, so that every label shows. */
const ROW_PX = 24;
const FRAME_PX = 140;
const HBAR_PX_MIN = 230;

function canvas(c: Chart): string {
  const height =
    c.kind === "hbar"
      ? ` style="height: ${Math.max(HBAR_PX_MIN, FRAME_PX + ROW_PX * c.labels.length)}px"`
      : "";
  return `<div class="chart"${height}><canvas id="${escapeHtml(c.id)}" role="img" aria-label="${escapeHtml(c.description)}"></canvas></div>`;
}

/**
 * A cell that is a figure (a number, a ratio, a percentage, "-"), set flush right so that
 * figures line up; any other cell is text, set flush left like the prose around it.
 */
const FIGURE = /^[-+±≥≤~<>]?\s*[\d.,]+\s*(×|%|ms|µs|s|MB|GiB|req\/s)?(\s*\([^)]*\))?$|^-$/;
export function isFigure(cell: string): boolean {
  return FIGURE.test(cell.trim());
}

function block(b: Block): string {
  switch (b.kind) {
    case "text":
      return `<p>${inline(b.text)}</p>`;
    case "list":
      return `<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join("")}</ul>`;
    case "table":
      return htmlTable(b.table);
    case "charts":
      return `<div class="charts">${b.charts.map(canvas).join("\n")}</div>`;
  }
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/**
 * Runs in the page: draws every chart of the model, then marks the body with the charts
 * drawn, each one's bars (or points) drawn and its marks drawn on the axis, so that a test
 * can tell a chart from a blank.
 */
const DRAW = `
const charts = JSON.parse(document.getElementById("chart-data").textContent);
Chart.defaults.animation = false;
Chart.defaults.font.family = "system-ui, sans-serif";
Chart.defaults.maintainAspectRatio = false;
const drawnItems = {};
const drawnMarks = {};
// A mark (the app's peak, the horizon) is a dashed line across the whole plot at its value,
// drawn after the bars; it counts as drawn only where its value lies on the axis.
const marks = {
  id: "marks",
  afterDatasetsDraw(chart, _, o) {
    const { ctx, chartArea: a } = chart;
    const scale = chart.scales[o.across ? "x" : "y"];
    drawnMarks[o.id] = 0;
    for (const m of o.marks) {
      const p = scale.getPixelForValue(m.value);
      const [from, to] = o.across ? [a.left, a.right] : [a.top, a.bottom];
      if (!(p >= from - 1 && p <= to + 1)) continue;
      ctx.save();
      ctx.strokeStyle = m.color; ctx.lineWidth = 2; ctx.setLineDash([6, 4]);
      ctx.beginPath();
      if (o.across) { ctx.moveTo(p, a.top); ctx.lineTo(p, a.bottom); }
      else { ctx.moveTo(a.left, p); ctx.lineTo(a.right, p); }
      ctx.stroke();
      ctx.restore();
      drawnMarks[o.id]++;
    }
  },
};
for (const c of charts) {
  const el = document.getElementById(c.id);
  if (!el) continue;
  const across = c.kind === "hbar";
  const datasets = c.series.map((s) => ({
    label: s.label, data: s.data, borderColor: s.color, backgroundColor: s.color, skipNull: true,
    pointStyle: "rect",
    ...(s.line ? { type: "line", pointRadius: 0, pointStyle: "line" } : {}),
    ...(s.dash ? { borderDash: s.dash } : {}),
  }));
  // Each mark's legend entry: a dashed line, with no data of its own.
  for (const m of c.marks ?? [])
    datasets.push({
      type: "line", label: m.label, borderColor: m.color, backgroundColor: m.color,
      borderDash: [6, 4], borderWidth: 2, pointStyle: "line", data: [],
    });
  const log = c.scale !== "linear";
  const values = [...c.series.flatMap((s) => s.data.flat()), ...(c.marks ?? []).map((m) => m.value)]
    .filter((v) => typeof v === "number" && v > 0);
  // A log axis runs between the powers of ten around the data and the marks, so that a mark
  // far from every bar (a peak of 35/s beside bars of 10,000/s) is still on it.
  const range = log && values.length ? {
    min: 10 ** Math.floor(Math.log10(Math.min(...values) * 0.95)),
    max: 10 ** Math.ceil(Math.log10(Math.max(...values) * 1.05)),
  } : {};
  // On a log axis, only the powers of ten are labelled: the others crowd the axis.
  const label = (v) => Number(v).toLocaleString("en", { maximumFractionDigits: 3 });
  const power = (v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
  const ticks = { callback: (v) => (!log || power(Number(v)) ? label(v) : "") };
  const value = { type: log ? "logarithmic" : "linear", title: { display: true, text: c.axis }, ticks, ...range };
  const chart = new Chart(el, {
    type: across ? "bar" : c.kind,
    data: { labels: c.labels, datasets },
    plugins: [marks],
    options: {
      indexAxis: across ? "y" : "x",
      layout: { padding: { left: 8 } },
      scales: across ? { x: value, y: { stacked: true, ticks: { autoSkip: false } } } : { y: value },
      plugins: {
        title: { display: true, text: c.title },
        legend: { labels: { usePointStyle: true, pointStyleWidth: 28 } },
        marks: { id: c.id, across, marks: c.marks ?? [] },
      },
    },
  });
  drawnItems[c.id] = c.series.reduce(
    (n, s, i) => n + chart.getDatasetMeta(i).data.filter((_, k) => s.data[k] !== null).length, 0);
}
document.body.dataset.chartsDrawn = String(Object.keys(drawnItems).length);
document.body.dataset.chartItems = JSON.stringify(drawnItems);
document.body.dataset.chartMarks = JSON.stringify(drawnMarks);
`;

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; color: #111827; max-width: 1100px; margin: 1rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0; } h2 { margin: 1.5rem 0 0.5rem; border-bottom: 1px solid #e5e7eb; }
p, ul { margin: 0.5rem 0; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 13px; }
th, td { border: 1px solid #e5e7eb; padding: 4px 8px; text-align: right; vertical-align: top; }
th { background: #f9fafb; } td:first-child, th:first-child, .text { text-align: left; }
code { background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(480px, 100%), 1fr)); gap: 1.5rem; }
.chart { position: relative; height: 340px; min-width: 0; }
@media (max-width: 600px) { body { margin: 1rem auto; font-size: 14px; } .chart { height: 300px; } }
.wide { overflow-x: auto; }
`;

export function renderHtml(report: Report): string {
  const body = [
    `<h1>${inline(report.title)}</h1>`,
    ...report.intro.map(block),
    ...report.sections.flatMap((s) => [
      `<h${s.depth}>${inline(s.title)}</h${s.depth}>`,
      ...s.blocks.map(block),
    ]),
  ];
  const all = report.sections.flatMap((s) =>
    s.blocks.flatMap((b) => (b.kind === "charts" ? b.charts : [])),
  );
  const scripts = all.length
    ? [
        `<script id="chart-data" type="application/json">${scriptJson(all)}</script>`,
        `<script>${readFileSync(CHART_JS_PATH, "utf8")}</script>`,
        `<script>${DRAW}</script>`,
      ]
    : [];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(report.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${[...body, ...scripts].join("\n")}
</body>
</html>
`;
}
