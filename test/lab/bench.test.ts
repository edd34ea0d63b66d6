// npm run bench end to end, on a tiny matrix: the files it writes, Ctrl-C, --compare, and
// the HTML report drawn by a real browser.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureDataset } from "../../src/lab/harness/datasets.ts";
import { PROJECT_ROOT } from "../../src/lab/harness/paths.ts";
import { seed } from "../../src/lab/harness/seed.ts";
import { startServer } from "../../src/lab/harness/server-process.ts";
import { runLoad } from "../../src/lab/load/load.ts";
import type { Results } from "../../src/lab/results/bench.ts";
import { WORKLOADS } from "../../src/lab/results/load.ts";
import { processesMentioning, tempDir } from "../_helpers.ts";
import { noBrowser, openPage } from "./_browser.ts";

const BENCH = join(PROJECT_ROOT, "src/lab/bench.ts");

function bench(args: string[]) {
  return spawnSync(process.execPath, [BENCH, ...args], { encoding: "utf8", timeout: 120_000 });
}

/** A matrix small enough to run in seconds: 1 s warm-up and 1 s measured per cell. */
function tinyMatrix(o: {
  approaches: string;
  records: number;
  repeat: number;
  out: string;
  workDir: string;
}) {
  return [
    ...["--approaches", o.approaches, "--records", String(o.records), "--repeat", String(o.repeat)],
    ...["--duration", "1", "--warmup", "1", "--out", o.out, "--work-dir", o.workDir],
  ];
}

/** The report's charts: the five of every run, and one for each cell that had not settled. */
function chartsIn(results: Results): number {
  const samples = [...results.samples, ...(results.ceiling_samples ?? [])];
  return 5 + samples.filter((s) => s.steady === false).length;
}

describe("npm run bench, end to end", () => {
  const workDir = tempDir("bench-work");
  const out = tempDir("bench-out");
  let results: Results;

  before(() => {
    const run = bench(
      tinyMatrix({ approaches: "null,map", records: 300, repeat: 1, out, workDir }),
    );
    assert.equal(run.status, 0, run.stderr);
    results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
  });

  it("writes a well-formed results.json with every cell", () => {
    assert.equal(results.complete, true);
    assert.equal(results.cells_done, 12, "2 approaches × 5 workloads, and node:http's 2");
    for (const key of ["cpus", "cpu_model", "mem", "kernel", "fs", "node", "commit"] as const) {
      assert.ok(
        results.machine[key] !== undefined && results.machine[key] !== "",
        `machine.${key}`,
      );
    }
    assert.ok(results.fsync_us > 0 && Number.isFinite(results.fsync_us));
    assert.equal(results.runs.length, 10);
    for (const run of results.runs) {
      assert.ok(run.rps > 0, `${run.approach} ${run.workload} rps`);
      for (const p of ["p50", "p90", "p99", "p999"] as const) assert.ok(run.latency_ms[p] > 0, p);
      assert.equal(run.non2xx, 0);
      assert.equal(run.errors, 0);
      assert.ok(run.rss_mb > 10);
      assert.equal(typeof run.ratio_to_null, "number");
      assert.equal(run.tool, results.load.tool);
    }
    for (const run of results.runs) {
      assert.ok(["server", "load-generator", "unknown"].includes(run.bottleneck), run.bottleneck);
      assert.ok((run.generator_cpu_cores ?? 0) > 0, "the load generator's CPU was read");
    }
    for (const run of results.runs)
      assert.ok(
        (run.cpu_us_per_request ?? 0) > 0,
        `${run.approach} ${run.workload}: CPU per request`,
      );
  });

  it("measures the bare node:http ceiling beside null, for reads and writes", () => {
    assert.deepEqual(results.ceilings?.map((c) => `${c.approach} ${c.workload}`).sort(), [
      "node:http read",
      "node:http write",
    ]);
    for (const w of ["read", "write"]) {
      const app = results.runs.find((r) => r.approach === "null" && r.workload === w);
      assert.equal(typeof app?.ratio_to_node, "number", `null ${w} × node:http`);
    }
  });

  it("warms every cell up until steady, and keeps each cell's rate over time", () => {
    for (const s of [...results.samples, ...(results.ceiling_samples ?? [])]) {
      const where = `${s.approach} ${s.workload}`;
      assert.ok(
        s.warmup_s >= 1 && s.warmup_s <= results.load.warmup_max_s + 2,
        `${where}: warm-up ${s.warmup_s}`,
      );
      assert.equal(s.series.interval_ms, 250);
      assert.ok(s.series.warmup_rps.length >= 4, `${where}: warm-up series`);
      assert.ok(s.series.window_rps.length >= 3, `${where}: window series`);
      assert.ok(
        s.series.window_rps.every((r) => r >= 0 && Number.isFinite(r)),
        where,
      );
      assert.ok([true, false, null].includes(s.steady), where);
    }
    const mapWrite = results.runs.find((r) => r.approach === "map" && r.workload === "write");
    assert.ok((mapWrite?.bytes_written_per_request ?? 0) > 100, "map's writes reach its file");
    assert.equal(typeof mapWrite?.ratio_to_fsync, "number");
  });

  it("writes report.md with the course's tables", () => {
    const md = readFileSync(join(out, "report.md"), "utf8");
    for (const heading of [
      "## Can these numbers be trusted?",
      "## Reads",
      "## The four write paths",
      "## Lookups by another field, and the join",
      "## Reading the numbers",
      "### When you actually need a database",
      "### Recommendation",
      "## Every cell",
    ]) {
      assert.ok(md.includes(heading), heading);
    }
    assert.match(md, /\| JSONL append, no fsync \| `map` \| [\d,]+ \|/);
    assert.match(md, /~90,000/);
    assert.match(md, /closed model/);
  });

  it("writes report.html that needs no network", () => {
    const html = readFileSync(join(out, "report.html"), "utf8");
    assert.equal((html.match(/<canvas /g) ?? []).length, chartsIn(results));
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|https?:\/\/[^"'\s]*\.(js|css)/);
    assert.match(html, /Chart\.js v4/);
  });

  it("compares two results files cell by cell", () => {
    const file = join(out, "results.json");
    const run = bench(["--compare", file, "--against", file]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /map\s+read\s+300/);
    assert.match(run.stdout, /0 cell\(s\) slower/);
  });

  it("draws its charts in headless Chromium", { skip: noBrowser }, async () => {
    const page = await openPage(join(out, "report.html"));
    const charts = chartsIn(results);
    assert.equal(page.charts, charts);
    assert.equal(page.inked.length, charts);
    for (const n of page.inked) assert.ok(n > 1000, `a canvas has ${n} drawn pixels`);
    assert.deepEqual(page.problems, []);
  });
});

describe("npm run bench without wrk", () => {
  it("measures with autocannon and says so", () => {
    const workDir = tempDir("bench-ac");
    const out = tempDir("bench-ac-out");
    const run = bench([
      ...tinyMatrix({ approaches: "map", records: 100, repeat: 1, out, workDir }),
      ...["--workloads", "read", "--tool", "autocannon"],
    ]);
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results;
    assert.equal(results.load.tool, "autocannon");
    assert.equal(results.runs[0]?.tool, "autocannon");
    assert.ok((results.runs[0]?.rps ?? 0) > 0);
    assert.match(readFileSync(join(out, "report.md"), "utf8"), /Load: autocannon, closed model/);
  });
});

describe("npm run bench, on a store without orders", () => {
  it("skips the join's cells, saying why, and still measures the lookup by email", () => {
    const out = tempDir("bench-skip-out");
    const run = bench([
      ...tinyMatrix({
        approaches: "null,linear",
        records: 100,
        repeat: 1,
        out,
        workDir: tempDir("bench-skip"),
      }),
      ...["--workloads", "by-email,user-orders"],
    ]);
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results;
    assert.equal(results.cells_done, 4);
    assert.deepEqual(
      results.skipped?.map((c) => [c.approach, c.workload]),
      [["linear", "user-orders"]],
    );
    assert.match(results.skipped?.[0]?.reason ?? "", /does not take orders/);
    const linear = results.runs.find((r) => r.approach === "linear" && r.workload === "by-email");
    assert.ok((linear?.rps ?? 0) > 0 && linear?.non2xx === 0);
    assert.match(results.email_lookup?.linear ?? "", /scan/);
    const md = readFileSync(join(out, "report.md"), "utf8");
    assert.match(
      md,
      /\| `linear` \| a scan of users\.jsonl[^|]*\| [\d,]+ \| [\d.]+× \| 501 \| no orders \|/,
    );
  });
});

describe("npm run bench, when a cell fails", () => {
  it("goes on past a failed cell, writes the cells that finished, names the failure and exits 1", () => {
    const workDir = tempDir("bench-fail");
    const out = tempDir("bench-fail-out");
    // A damaged cached dataset: map refuses to start on it, as it should.
    const users = join(ensureDataset(workDir, 100, 42).dir, "users.jsonl");
    const lines = readFileSync(users, "utf8").split("\n");
    lines[2] = "{damaged";
    writeFileSync(users, lines.join("\n"));
    const run = bench([
      ...tinyMatrix({ approaches: "null,map", records: 100, repeat: 1, out, workDir }),
      "--workloads",
      "read",
    ]);
    assert.equal(run.status, 1, run.stderr);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results;
    assert.equal(results.complete, false);
    assert.equal(results.cells_done, 2, "null before map failed, and node:http after it");
    assert.match(results.error ?? "", /map read 100 records: .*users\.jsonl, line 3/s);
    assert.deepEqual(
      results.failed_cells?.map((c) => `${c.approach} ${c.workload} ${c.records}`),
      ["map read 100"],
    );
    assert.match(readFileSync(join(out, "report.md"), "utf8"), /The run failed/);
  });
});

describe("npm run bench, interrupted", () => {
  it("stops on Ctrl-C, leaves no server running and still writes the finished cells", async () => {
    const workDir = tempDir("bench-int");
    const out = tempDir("bench-int-out");
    const child = spawn(
      process.execPath,
      [
        BENCH,
        ...tinyMatrix({ approaches: "null,map,sqlite", records: 200, repeat: 2, out, workDir }),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
        if (stderr.includes("[3/")) resolve(); // two cells are done, the third is running
      });
      exited.then(() => reject(new Error(`bench ended before its third cell:\n${stderr}`)));
    });
    child.kill("SIGINT");
    assert.equal(await exited, 130, stderr);
    assert.deepEqual(processesMentioning(workDir), [], "no server is left running");
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as Results;
    assert.equal(results.complete, false);
    assert.ok(results.cells_done >= 2, `${results.cells_done} cells done`);
    assert.equal(
      results.cells_total,
      34,
      "3 approaches × 5 workloads × 2 repeats, and node:http's 4",
    );
    assert.match(readFileSync(join(out, "report.md"), "utf8"), /Interrupted/);
    assert.match(stderr, /interrupted after \d+ of 34 cells/);
  });
});

describe("the autocannon load generator", () => {
  const dataset = tempDir("ac-data");
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    seed({ dataDir: dataset, count: 100, orders: 50 });
    server = await startServer({ approach: "map", dataDir: dataset });
  });
  after(() => server?.stop());

  for (const workload of WORKLOADS) {
    it(`runs the ${workload} workload with only 2xx answers`, async () => {
      const before = (await (await fetch(`${server.url}/health`)).json()) as { records: number };
      const r = await runLoad({
        tool: "autocannon",
        url: server.url,
        workload,
        connections: 10,
        threads: 1,
        durationS: 1,
        timeoutS: 10,
        dataset,
        writeShare: 0.5,
        signal: new AbortController().signal,
      });
      assert.ok(r.requests > 0);
      assert.equal(r.non2xx, 0);
      assert.equal(r.errors, 0);
      assert.ok(r.latency_ms.p999 >= r.latency_ms.p50);
      assert.ok(r.latency_ms.p50 > 0, "a fast answer still has a latency above zero");
      const { p50, p90, p99, p999 } = r.latency_ms;
      assert.ok(
        [p50, p90, p99, p999].some((ms) => !Number.isInteger(ms)),
        `latencies below the millisecond: ${[p50, p90, p99, p999].join(", ")}`,
      );
      const now = (await (await fetch(`${server.url}/health`)).json()) as { records: number };
      if (workload === "write" || workload === "mixed")
        assert.ok(now.records > before.records, "writes created users");
      else assert.equal(now.records, before.records);
    });
  }

  it("holds a fixed rate in the open model", async () => {
    const r = await runLoad({
      tool: "autocannon",
      url: server.url,
      workload: "read",
      connections: 10,
      threads: 1,
      durationS: 2,
      timeoutS: 10,
      rate: 200,
      dataset,
      writeShare: 0,
      signal: new AbortController().signal,
    });
    assert.ok(r.rps > 100 && r.rps < 300, `${r.rps.toFixed(0)} req/s at a 200 req/s target`);
  });
});
