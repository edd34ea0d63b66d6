// A long mixed load with a share of malformed requests. Every malformed request must get
// its own 4xx and no well-formed one may fail; the server's memory must level off rather
// than climb; and at the end the store must hold exactly the records it acknowledged.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Approach } from "../../stores/index.ts";
import { withCell } from "../harness/cell.ts";
import { createdId, get, health, post, userBody } from "../harness/client.ts";
import { ensureDataset, idsFile } from "../harness/datasets.ts";
import { sampleProcess } from "../harness/proc.ts";
import { DEFAULT_SEED } from "../harness/seed.ts";
import { type ServerProcess, startServer } from "../harness/server-process.ts";
import { levelsOff, MIN_MINUTES_FOR_VERDICT, type SoakResult } from "../results/soak.ts";

/** Ids kept to read back; older ones are replaced at random once it is full. */
const MAX_KNOWN_IDS = 100_000;
const RSS_SAMPLE_MS = 1_000;
const PROGRESS_MS = 10_000;

/** The first failures are kept, to say what went wrong. */
const MAX_FAILURES_KEPT = 20;

interface BadRequest {
  name: string;
  status: number;
  init: () => { path: string; init: RequestInit };
}

/** Malformed requests, each with the status it must get. */
const BAD_REQUESTS: BadRequest[] = [
  { name: "invalid JSON", status: 400, init: () => postBody('{"name":') },
  { name: "empty body", status: 400, init: () => postBody("") },
  { name: "array body", status: 400, init: () => postBody("[]") },
  { name: "missing email", status: 400, init: () => postBody('{"name":"Ada"}') },
  { name: "blank name", status: 400, init: () => postBody('{"name":"   ","email":"a@b.c"}') },
  { name: "email without @", status: 400, init: () => postBody('{"name":"Ada","email":"nope"}') },
  {
    name: "unknown field",
    status: 400,
    init: () => postBody('{"name":"Ada","email":"a@b.c","x":1}'),
  },
  {
    name: "body over 64 KiB",
    status: 413,
    init: () => postBody(JSON.stringify({ name: "n".repeat(70_000), email: "a@b.c" })),
  },
  {
    name: "text/plain",
    status: 415,
    init: () => postBody('{"name":"Ada","email":"a@b.c"}', "text/plain"),
  },
  {
    name: "unknown id",
    status: 404,
    init: () => ({ path: "/users/00000000-0000-4000-8000-000000000000", init: {} }),
  },
  { name: "malformed id", status: 404, init: () => ({ path: "/users/..%2Fetc", init: {} }) },
  {
    name: "wrong method",
    status: 405,
    init: () => ({ path: "/users", init: { method: "DELETE" } }),
  },
];

/** A POST /users request with this body and content type. */
function postBody(body: string, type = "application/json") {
  return { path: "/users", init: { method: "POST", headers: { "content-type": type }, body } };
}

export interface SoakOptions {
  minutes: number;
  connections: number;
  badShare: number;
  writeShare: number;
  records: number;
  workDir: string;
  log: (m: string) => void;
}

function emptyResult(approach: string, minutes: number): SoakResult {
  return {
    ...{ approach, minutes, requests: 0, rps: 0, bad_sent: 0, bad_answered_right: 0 },
    ...{ bad_answered_wrong: 0, good_sent: 0, good_failed: 0, failures: [], acked_writes: 0 },
    ...{ records_expected: 0, records_at_end: 0, rss_mb: [], rss_start_mb: 0, rss_end_mb: 0 },
    ...{ rss_max_mb: 0, rss_slope_mb_per_min_second_half: 0, rss_bytes_per_record_second_half: 0 },
    levels_off: null,
  };
}

/** One soak in progress: the server, what it has seen, and the ids it may read. */
class Soak {
  readonly r: SoakResult;
  private readonly t0 = performance.now();
  private readonly server: ServerProcess;
  private readonly o: SoakOptions;
  private readonly known: string[];
  private readonly startCount: number;

  constructor(
    server: ServerProcess,
    o: SoakOptions,
    known: string[],
    startCount: number,
    approach: string,
  ) {
    this.server = server;
    this.o = o;
    this.known = known;
    this.startCount = startCount;
    this.r = emptyResult(approach, o.minutes);
  }

  get elapsedS(): number {
    return (performance.now() - this.t0) / 1000;
  }

  fail(what: string): void {
    if (this.r.failures.length < MAX_FAILURES_KEPT) this.r.failures.push(what);
  }

  sampleRss(): void {
    const s = sampleProcess(this.server.pid);
    if (!s) return;
    const at_s = Math.round(this.elapsedS);
    this.r.rss_mb.push({
      at_s,
      mb: s.rss_bytes / 2 ** 20,
      records: this.startCount + this.r.acked_writes,
    });
  }

  progress(): string {
    const s = this.elapsedS;
    return (
      `${this.r.approach}: ${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, "0")}s of ${this.o.minutes}m, ` +
      `${Math.round(this.r.requests / s)} req/s, RSS ${Math.round(this.r.rss_mb.at(-1)?.mb ?? 0)} MB, failures ${this.r.good_failed + this.r.bad_answered_wrong}`
    );
  }

  async bad(): Promise<void> {
    const bad = BAD_REQUESTS[Math.floor(Math.random() * BAD_REQUESTS.length)] as BadRequest;
    const { path, init } = bad.init();
    this.r.bad_sent++;
    try {
      const res = await fetch(`${this.server.url}${path}`, init);
      const body = (await res.json()) as { error?: string };
      if (res.status === bad.status && body.error) this.r.bad_answered_right++;
      else {
        this.r.bad_answered_wrong++;
        this.fail(`${bad.name}: got ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      }
    } catch (err) {
      this.r.bad_answered_wrong++;
      this.fail(`${bad.name}: ${(err as Error).message}`);
    }
  }

  async write(): Promise<void> {
    const { status, text } = await post(
      this.server.url,
      "/users",
      userBody("Soak", `${Date.now()}-${this.r.requests}`),
    );
    if (status !== 201) {
      this.r.good_failed++;
      this.fail(`POST: got ${status} ${text.slice(0, 200)}`);
      return;
    }
    this.r.acked_writes++;
    const id = createdId(text);
    if (this.known.length < MAX_KNOWN_IDS) this.known.push(id);
    else this.known[Math.floor(Math.random() * this.known.length)] = id;
  }

  async read(): Promise<void> {
    const id = this.known[Math.floor(Math.random() * this.known.length)];
    const { status } = await get(this.server.url, `/users/${id}`);
    if (status !== 200) {
      this.r.good_failed++;
      this.fail(`GET ${id}: got ${status}`);
    }
  }

  /** One client: requests until the time is up. */
  async client(signal: AbortSignal): Promise<void> {
    const endAt = this.t0 + this.o.minutes * 60_000;
    while (performance.now() < endAt && !signal.aborted) {
      const roll = Math.random();
      this.r.requests++;
      if (roll < this.o.badShare) {
        await this.bad();
        continue;
      }
      this.r.good_sent++;
      const write = roll < this.o.badShare + this.o.writeShare;
      try {
        await (write ? this.write() : this.read());
      } catch (err) {
        this.r.good_failed++;
        this.fail(`${write ? "POST" : "GET"}: ${(err as Error).message}`);
      }
    }
  }

  /** The figures that come from the whole run. */
  async finish(): Promise<SoakResult> {
    const r = this.r;
    r.rps = r.requests / this.elapsedS;
    r.records_expected = this.startCount + r.acked_writes;
    r.records_at_end = (await health(this.server.url)).records;
    const mbs = r.rss_mb.map((s) => s.mb);
    r.rss_start_mb = mbs[0] ?? 0;
    r.rss_end_mb = mbs.at(-1) ?? 0;
    r.rss_max_mb = Math.max(0, ...mbs);
    const level = levelsOff(r.rss_mb);
    r.rss_slope_mb_per_min_second_half = level.slope;
    r.rss_bytes_per_record_second_half = level.bytesPerRecord;
    r.levels_off = this.o.minutes >= MIN_MINUTES_FOR_VERDICT ? level.ok : null;
    return r;
  }
}

export async function soak(
  approach: Approach,
  o: SoakOptions,
  signal: AbortSignal,
): Promise<SoakResult> {
  const dataset = ensureDataset(o.workDir, o.records, DEFAULT_SEED).dir;
  const cell = { approach, dataset, dir: join(o.workDir, "soak"), log: o.log };
  return withCell(cell, async ({ dir, env }) => {
    const server = await startServer({ approach, dataDir: dir, env });
    try {
      const known = readFileSync(idsFile(dataset), "utf8").split("\n").filter(Boolean);
      const run = new Soak(server, o, known, (await health(server.url)).records, approach);
      const sampler = setInterval(() => run.sampleRss(), RSS_SAMPLE_MS);
      const progress = setInterval(() => o.log(run.progress()), PROGRESS_MS);
      try {
        await Promise.all(Array.from({ length: o.connections }, () => run.client(signal)));
      } finally {
        clearInterval(sampler);
        clearInterval(progress);
      }
      return await run.finish();
    } finally {
      await server.stop();
    }
  });
}
