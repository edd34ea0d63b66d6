// report.md and report.html are two writers of one model: every section, every table
// header and every cell the Markdown shows, the HTML shows too. Built from a results file
// made here, carrying the other labs' results, so that every section is drawn.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { benchReport } from "../../../src/lab/report/bench.ts";
import { renderHtml } from "../../../src/lab/report/html.ts";
import { renderMarkdown } from "../../../src/lab/report/markdown.ts";
import { analyse } from "../../../src/lab/results/analysis.ts";
import type { Results, Sample } from "../../../src/lab/results/bench.ts";
import { summarise } from "../../../src/lab/results/summary.ts";
import { sampleOf } from "../_fixtures.ts";

function sample(
  approach: string,
  workload: Sample["workload"],
  records: number,
  rps: number,
): Sample {
  return sampleOf({ approach, workload, records, rps, write_bytes: rps * 150 });
}

const samples = ["null", "map", "sqlite", "sqlite-batched", "lmdb", "leveldb", "lsm"].flatMap(
  (a, i) =>
    (["read", "write", "mixed", "by-email", "user-orders"] as const).flatMap((w) =>
      [1_000, 100_000].map((n) => sample(a, w, n, 40_000 / (i + 1) - n / 100)),
    ),
);

const results: Results = {
  needadb_results: 1,
  ...{ started_at: "2026-11-21T00:00:00Z", finished_at: "2026-11-21T00:01:00Z", complete: true },
  ...{ cells_total: samples.length, cells_done: samples.length },
  machine: {
    cpus: 2,
    cpu_model: "test",
    mem: 24 * 2 ** 30,
    kernel: "6",
    fs: "ext4",
    node: "v24",
    commit: "abc",
  },
  ...{ fsync_us: 500, fsync_ceiling_rps: 2_000, fsync_loaded_us: 800 },
  load: {
    ...{ tool: "wrk", model: "closed", rate: null, connections: 50, threads: 1 },
    ...{ warmup_s: 1, warmup_max_s: 10, duration_s: 1, timeout_s: 10 },
    commands: {
      read: "wrk r",
      write: "wrk w",
      mixed: "wrk m",
      "by-email": "wrk e",
      "user-orders": "wrk o",
    },
  },
  settings: {
    ...{
      approaches: ["null", "map", "sqlite", "sqlite-batched", "lmdb", "leveldb", "lsm"],
      workloads: ["read", "write", "mixed"],
    },
    ...{ records: [1_000, 100_000], repeat: 1, seed: 42 },
  },
  assumptions: { requestsPerUserPerDay: 50, peakFactor: 4, writeShare: 0.1 },
  runs: summarise(samples, "wrk", new Map([["map", "process-crash"]]), 2_000),
  samples,
  skipped: [
    { approach: "sqlite-batched", workload: "user-orders", records: 100_000, reason: "no" },
  ],
  email_lookup: { map: "a second in-memory index", sqlite: "CREATE INDEX users_by_email" },
  declared: {
    lmdb: { service: false, many: true, engine: { name: "LMDB (npm lmdb)" } },
    leveldb: { service: false, many: false, engine: { name: "LevelDB", like: "lsm" } },
  },
  durability: {
    file: "crash-results/x/durability.json",
    runs: [
      {
        ...{ approach: "sqlite-batched", fault: "sigkill", trials: 2, acked: 900, lost_acked: 40 },
        ...{ corrupt: 0, restarted: 2, repaired: 0, max_lost_in_a_trial: 30, claim: "nothing" },
        ...{ claim_held: true, flush_window: { rows: 100, ms: 50 } },
      },
    ],
  },
  contention: {
    file: "contention-results/x/contention.json",
    results: {
      needadb_contention: 1,
      ...{ started_at: "", finished_at: "", complete: true, records: 300, duration_s: 1 },
      ...{ connections: 8, load: "wrk" },
      runs: [
        {
          ...{ approach: "map", servers: 2, rps: 900, rps_single: 1000, p99_ms: 3, errors_5xx: 0 },
          ...{ stale_reads: 12, probes: 40, records_a: 700, records_b: 650, diverged: true },
          ...{ claims_many: false, p50_ms: 1, p99_single_ms: 2, errors_5xx_single: 0, busy: 0 },
          ...{ probe_failures: 0, missing: 12 },
        },
      ],
    },
  },
  topology: {
    file: "topology-results/x/topology.json",
    results: {
      needadb_topology: 1,
      ...{ started_at: "", finished_at: "", complete: true, records: 300, duration_s: 1 },
      ...{ connections: 8, load: "wrk", network: "loopback" },
      runs: [
        {
          ...{ approach: "postgres", servers: 2, rps: 900, rps_single: 1000, p99_ms: 3 },
          ...{ errors_5xx: 0, stale_reads: 0, probes: 40, records_a: 700, records_b: 700 },
          ...{ diverged: false, setup: "postgres-shared", shares: "one PostgreSQL server" },
        },
      ],
      postgres_vs_null: [{ workload: "read", postgres_rps: 5_000, null_rps: 20_000, ratio: 0.25 }],
    },
  },
  orders: {
    file: "orders-results/x/orders.json",
    results: {
      needadb_orders: 1,
      ...{ started_at: "", finished_at: "", complete: true, trials: 2, race_s: 2 },
      runs: [
        {
          ...{ approach: "sqlite", takes_orders: true, claims_many: true },
          crash: [
            {
              ...{ fault: "sigkill", trials: 2, acked: 80, lost: 0, corrupt: 0 },
              ...{ invariant_broken: 0, restarted: 2, claim: "power-loss", holds: true },
            },
          ],
          race: {
            ...{ orders_placed: 120, refused_409: 30, errors_5xx: 0, oversold_units: 0 },
            ...{ negative_products: 0, conserved: true, holds: true },
          },
        },
      ],
    },
  },
};

/** The text a reader sees in HTML, with tags dropped and entities and markup undone. */
function visible(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/** Markdown's own markup, undone the same way: `code` and **bold** become their text. */
const plain = (s: string) => s.replace(/`([^`]+)`/g, "$1").replace(/\*\*([^*]+)\*\*/g, "$1");

describe("the benchmark report's two writers", () => {
  const report = benchReport(results, analyse(results, 100_000));
  const md = renderMarkdown(report);
  const html = visible(renderHtml(report));

  it("builds every section when the other labs' results are attached", () => {
    const titles = report.sections.map((s) => s.title);
    for (const t of [
      "Durability, measured",
      "Several processes on one DATA_DIR, measured",
      "Several servers, measured",
      "Orders: writes that span several records, measured",
      "Engines you might pick instead, and our stores beside them",
      "Every cell",
    ])
      assert.ok(titles.includes(t), t);
  });

  it("gives Markdown and HTML the same sections, headers and cells", () => {
    for (const s of report.sections) {
      assert.ok(md.includes(`${"#".repeat(s.depth)} ${s.title}`), `md: ${s.title}`);
      assert.ok(html.includes(s.title), `html: ${s.title}`);
      for (const b of s.blocks) {
        if (b.kind !== "table") continue;
        for (const cell of [...b.table.header, ...b.table.rows.flat()].filter(Boolean)) {
          assert.ok(md.includes(cell), `md ${s.title}: ${cell}`);
          assert.ok(html.includes(plain(cell)), `html ${s.title}: ${cell}`);
        }
      }
    }
  });

  it("shows the columns the two reports used to disagree on, in both", () => {
    for (const column of [
      "largest / smallest",
      "p50 ms",
      "× fsync, core busy",
      "course latency",
      "worst trial lost",
      "CPU cores",
      "bytes written/req",
      "records per fsync (max)",
    ]) {
      assert.ok(md.includes(column), `md: ${column}`);
      assert.ok(html.includes(column), `html: ${column}`);
    }
  });

  it("judges sqlite-batched's losses against the flush window its /health reported", () => {
    assert.match(
      md,
      /at most 30 acknowledged rows lost in one trial; one flush window holds at most 100 rows \(or 50 ms of writes\), so the loss stayed within one window/,
    );
  });

  it("leaves stale text out", () => {
    assert.doesNotMatch(md, /FLUSH_INTERVAL_MS|later part of needadb/);
  });
});
