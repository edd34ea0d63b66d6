// npm run crash: the durability lab. Each trial starts a store on a seeded dataset, drives
// concurrent writes while recording every write the server acknowledged, kills the server
// at a random moment (and for a power cut, also drops every write not yet fsynced), starts
// it again on what is left, and checks that each acknowledged record is there, intact.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineCommand, runMain } from "citty";
import { APPROACHES, type Approach } from "../stores/index.ts";
import { FLUSH_INTERVAL_MS, FLUSH_SIZE } from "../stores/sqlite-batched.ts";
import { ensureDataset, prepareCellDir } from "./datasets.ts";
import { describeMachine, type Machine } from "./machine.ts";
import { forEachInParallel } from "./parallel.ts";
import { mountLazyFs, powerCutUnavailable } from "./powercut/mount.ts";
import { DEFAULT_SEED } from "./seed.ts";
import { type ServerProcess, startServer } from "./server-process.ts";
import { PROJECT_ROOT } from "./wrk.ts";

export const FAULTS = ["sigkill", "powercut"] as const;
export type Fault = (typeof FAULTS)[number];

/** A store as the lab runs it: an approach, and the settings that change its durability. */
export interface Target {
  name: string;
  approach: Approach;
  env: Record<string, string>;
}

/**
 * Every store that keeps its data in DATA_DIR, plus SQLite at its faster synchronous level.
 * `postgres` is left out: its server runs as another user, whom the power-cut filesystem
 * does not let in, and a SIGKILL of the app would not touch the database server.
 */
export const TARGETS: Target[] = [
  ...APPROACHES.filter((a) => a !== "null" && a !== "postgres").map((approach) => ({
    name: approach,
    approach,
    // A small memtable, so that the faults land during flushes and compactions too.
    env: approach === "lsm" ? { LSM_MEMTABLE_RECORDS: "200" } : ({} as Record<string, string>),
  })),
  { name: "sqlite-normal", approach: "sqlite", env: { SQLITE_SYNCHRONOUS: "NORMAL" } },
];

/** Writes run this long at least before the fault, and at most this much longer. */
const LOAD_MIN_MS = 300;
const LOAD_SPREAD_MS = 900;
/** Concurrent writers during a trial. */
const WRITERS = 16;
/** Checks of acknowledged records run this many at a time. */
const CHECKERS = 16;

export interface Trial {
  target: string;
  fault: Fault;
  trial: number;
  fault_after_ms: number;
  /** What the store claims an acknowledged write survives, from its /health. */
  claim: string;
  acked: number;
  lost_acked: number;
  corrupt: number;
  restarted: boolean;
  /** What lazyfs said it dropped, for power cuts. */
  cut?: string;
  /** Why the restart failed, when it did. */
  restart_error?: string;
  /** What the workload's whole-store check found wrong after the restart, if anything. */
  invariant_broken?: string;
  /** What the restarted store logged at start: the repairs it made (a torn line cut, a half-written segment removed). */
  restart_log?: string;
}

export interface DurabilityRun {
  approach: string;
  fault: Fault;
  trials: number;
  acked: number;
  lost_acked: number;
  corrupt: number;
  /** Trials after which the server started again. */
  restarted: number;
  /** Restarts that logged a repair of what the fault left behind. */
  repaired: number;
  max_lost_in_a_trial: number;
  /** What the store claims an acknowledged write survives. */
  claim: string;
  /** Whether the measurement is consistent with that claim. */
  claim_held: boolean;
}

export interface DurabilityResults {
  needadb_durability: 1;
  started_at: string;
  finished_at: string;
  complete: boolean;
  machine: Machine;
  settings: {
    trials: number;
    records: number;
    writers: number;
    seed: number;
    targets: string[];
    faults: Fault[];
  };
  runs: DurabilityRun[];
  trials: Trial[];
}

/**
 * What a trial writes, and what it checks after the restart beyond the acknowledged
 * records themselves. The crash lab writes users; `npm run orders-check` writes orders.
 */
export interface TrialWorkload {
  /** One write: a path and a body to POST, given a unique tag. */
  request(tag: string): { path: string; body: string };
  /** Where an acknowledged write is read back, from its 201 body. */
  location(created: string): string;
  /** A check of the whole store after the restart: a description of what is wrong, or undefined. */
  invariant?(url: string): Promise<string | undefined>;
}

export const USER_WRITES: TrialWorkload = {
  request: (tag) => ({
    path: "/users",
    body: JSON.stringify({ name: `Crash ${tag}`, email: `crash${tag}@example.com` }),
  }),
  location: (created) => `/users/${(JSON.parse(created) as { id: string }).id}`,
};

/** Drives POSTs from `WRITERS` loops until `stop` aborts; returns path -> acknowledged body. */
async function driveWrites(
  url: string,
  stop: AbortSignal,
  workload: TrialWorkload,
): Promise<Map<string, string>> {
  const acked = new Map<string, string>();
  const run = Date.now();
  let n = 0;
  const writer = async (w: number) => {
    while (!stop.aborted) {
      const { path, body } = workload.request(`${run}-${w}-${n++}`);
      try {
        const res = await fetch(`${url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: stop,
        });
        const text = await res.text();
        if (res.status === 201) acked.set(workload.location(text), text);
        else if (res.status === 503) await new Promise((r) => setTimeout(r, 5));
      } catch {
        return; // the server is gone: this writer is done
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  return acked;
}

/** Checks each acknowledged record on the restarted server. */
async function verify(
  url: string,
  acked: Map<string, string>,
): Promise<{ lost: number; corrupt: number }> {
  let lost = 0;
  let corrupt = 0;
  await forEachInParallel([...acked], CHECKERS, async ([path, body]) => {
    const res = await fetch(`${url}${path}`);
    const text = await res.text();
    if (res.status === 404) lost++;
    else if (res.status !== 200 || text !== body) corrupt++;
  });
  return { lost, corrupt };
}

export async function runTrial(
  target: Target,
  fault: Fault,
  trial: number,
  dataset: string,
  workDir: string,
  workload: TrialWorkload = USER_WRITES,
): Promise<Trial> {
  const backing = join(workDir, "backing");
  const mnt = join(workDir, "mnt");
  await prepareCellDir(dataset, backing, target.approach);
  let mount = fault === "powercut" ? await mountLazyFs(backing, mnt) : undefined;
  const dataDir = mount ? mnt : backing;
  const faultAfterMs = LOAD_MIN_MS + Math.floor(Math.random() * LOAD_SPREAD_MS);
  const result: Trial = {
    target: target.name,
    fault,
    trial,
    fault_after_ms: faultAfterMs,
    claim: "unknown",
    acked: 0,
    lost_acked: 0,
    corrupt: 0,
    restarted: false,
  };
  let server: ServerProcess | undefined;
  try {
    server = await startServer({ approach: target.approach, dataDir, env: target.env });
    const health = (await (await fetch(`${server.url}/health`)).json()) as {
      durability: { survives: string };
    };
    result.claim = health.durability.survives;
    const stop = new AbortController();
    const writes = driveWrites(server.url, stop.signal, workload);
    await new Promise((r) => setTimeout(r, faultAfterMs));
    await server.kill(); // SIGKILL: no flush, no goodbye
    stop.abort();
    const acked = await writes;
    result.acked = acked.size;
    if (mount) {
      result.cut = await mount.cut();
      mount = await mountLazyFs(backing, mnt);
    }
    try {
      server = await startServer({ approach: target.approach, dataDir, env: target.env });
    } catch (err) {
      result.restart_error = (err as Error).message.slice(0, 2000);
      server = undefined;
      return result;
    }
    result.restarted = true;
    const repairs = server.stderr().trim();
    if (repairs) result.restart_log = repairs.slice(0, 1000);
    const checked = await verify(server.url, acked);
    result.lost_acked = checked.lost;
    result.corrupt = checked.corrupt;
    const broken = await workload.invariant?.(server.url);
    if (broken) result.invariant_broken = broken;
    return result;
  } finally {
    await server?.stop();
    if (mount) await mount.cut();
    rmSync(backing, { recursive: true, force: true });
  }
}

/** What a store's claim allows a fault to lose. */
export function claimHolds(
  claim: string,
  fault: Fault,
  lost: number,
  corrupt: number,
  restartedAll: boolean,
): boolean {
  if (!restartedAll || corrupt > 0) return false;
  if (claim === "power-loss") return lost === 0;
  if (claim === "process-crash") return fault === "powercut" || lost === 0;
  return true; // it claims nothing
}

export function summariseTrials(trials: readonly Trial[]): DurabilityRun[] {
  const groups = new Map<string, Trial[]>();
  for (const t of trials)
    groups.set(`${t.target}|${t.fault}`, [...(groups.get(`${t.target}|${t.fault}`) ?? []), t]);
  return [...groups.values()].map((group) => {
    const first = group[0] as Trial;
    const sum = (pick: (t: Trial) => number) => group.reduce((n, t) => n + pick(t), 0);
    const lost = sum((t) => t.lost_acked);
    const corrupt = sum((t) => t.corrupt);
    const restarted = group.filter((t) => t.restarted).length;
    const claim = first.claim;
    return {
      approach: first.target,
      fault: first.fault,
      trials: group.length,
      acked: sum((t) => t.acked),
      lost_acked: lost,
      corrupt,
      restarted,
      repaired: group.filter((t) => t.restart_log).length,
      max_lost_in_a_trial: Math.max(...group.map((t) => t.lost_acked)),
      claim,
      claim_held: claimHolds(claim, first.fault, lost, corrupt, restarted === group.length),
    };
  });
}

const FAULT_NAMES: Record<Fault, string> = {
  sigkill: "process crash (SIGKILL)",
  powercut: "power cut (unsynced writes dropped)",
};

/**
 * sqlite-batched lies by design; what it may lose is bounded by one flush window: the rows
 * buffered since the last flush, fewer than FLUSH_SIZE (a full buffer flushes at once).
 */
export function flushWindowNote(runs: readonly DurabilityRun[]): string[] {
  return runs
    .filter((r) => r.approach === "sqlite-batched")
    .map(
      (r) =>
        `- \`sqlite-batched\`, ${FAULT_NAMES[r.fault]}: at most ${r.max_lost_in_a_trial} acknowledged rows lost in one trial; ` +
        `one flush window holds at most ${FLUSH_SIZE} rows (or ${FLUSH_INTERVAL_MS} ms of writes), so the loss ` +
        `${r.max_lost_in_a_trial <= FLUSH_SIZE ? "stayed within one window" : "**exceeded one window**"}.`,
    );
}

export function renderDurabilityTable(runs: readonly DurabilityRun[]): string {
  const header =
    "| store | fault | trials | acknowledged | lost | corrupt | restarted | repaired on restart | worst trial lost | claims to survive | claim held |";
  const rows = runs.map(
    (r) =>
      `| \`${r.approach}\` | ${FAULT_NAMES[r.fault]} | ${r.trials} | ${r.acked.toLocaleString("en")} | ${r.lost_acked.toLocaleString("en")} | ${r.corrupt} | ${r.restarted}/${r.trials} | ${r.repaired ?? 0} | ${r.max_lost_in_a_trial} | ${r.claim} | ${r.claim_held ? "yes" : "**no**"} |`,
  );
  return [header, "|---|---|---|---|---|---|---|---|---|---|---|", ...rows].join("\n");
}

const log = (message: string) => process.stderr.write(`${message}\n`);

/** Runs every trial in turn, appending each to `done`, until finished or `signal` aborts. */
async function runTrials(
  o: {
    targets: Target[];
    faults: Fault[];
    trials: number;
    dataset: string;
    workDir: string;
    signal: AbortSignal;
  },
  done: Trial[],
): Promise<void> {
  const total = o.targets.length * o.faults.length * o.trials;
  const t0 = performance.now();
  for (const target of o.targets) {
    for (const fault of o.faults) {
      for (let n = 1; n <= o.trials; n++) {
        if (o.signal.aborted) return;
        const elapsedS = (performance.now() - t0) / 1000;
        const left = done.length
          ? ` · about ${Math.round((elapsedS / done.length) * (total - done.length))}s left`
          : "";
        log(`[${done.length + 1}/${total}] ${target.name} ${fault} trial ${n}/${o.trials}${left}`);
        const t = await runTrial(target, fault, n, o.dataset, o.workDir);
        done.push(t);
        if (t.lost_acked || t.corrupt || !t.restarted) {
          log(
            `  acknowledged ${t.acked}, lost ${t.lost_acked}, corrupt ${t.corrupt}${t.restarted ? "" : ", DID NOT RESTART"}`,
          );
        }
      }
    }
  }
}

const command = defineCommand({
  meta: {
    name: "npm run crash --",
    description:
      "Measure what each store's acknowledged writes survive: kill the server mid-load (and, for a power cut, drop every write not yet fsynced), restart it, and check every acknowledged record. Writes durability.json and durability.md.",
  },
  args: {
    quick: { type: "boolean", description: "5 trials per store and fault (a few minutes)" },
    trials: {
      type: "string",
      description: "trials per store and fault (default 20; --quick 5)",
      valueHint: "N",
    },
    approaches: {
      type: "string",
      description: `comma-separated; default all: ${TARGETS.map((t) => t.name).join(",")}`,
      valueHint: "a,b",
    },
    faults: {
      type: "string",
      description: "sigkill, powercut or both (default both; powercut needs FUSE)",
      valueHint: "f,f",
    },
    records: {
      type: "string",
      description: "seeded records each trial starts from (default 1000)",
      valueHint: "N",
    },
    out: {
      type: "string",
      description: "output directory (default crash-results/<timestamp>)",
      valueHint: "DIR",
    },
    "work-dir": {
      type: "string",
      description: "where trials run (default .bench-data)",
      valueHint: "DIR",
    },
  },
  async run({ args }) {
    const trials = Number(args.trials ?? (args.quick ? 5 : 20));
    if (!Number.isInteger(trials) || trials < 1)
      throw new Error(`--trials must be a whole number of at least 1`);
    const records = Number(args.records ?? 1000);
    if (!Number.isInteger(records) || records < 1)
      throw new Error(`--records must be a whole number of at least 1`);
    const names = args.approaches
      ? args.approaches.split(",").map((s) => s.trim())
      : TARGETS.map((t) => t.name);
    const targets = names.map((n) => {
      const t = TARGETS.find((x) => x.name === n);
      if (!t)
        throw new Error(
          `unknown store "${n}"; choose from ${TARGETS.map((x) => x.name).join(", ")}`,
        );
      return t;
    });
    const faults = (
      args.faults ? args.faults.split(",").map((s) => s.trim()) : [...FAULTS]
    ) as Fault[];
    for (const f of faults)
      if (!FAULTS.includes(f))
        throw new Error(`unknown fault "${f}"; choose from ${FAULTS.join(", ")}`);
    const unavailable = powerCutUnavailable();
    if (faults.includes("powercut") && unavailable) {
      throw new Error(
        `power cuts cannot run here: ${unavailable}. Run with --faults sigkill, or install what is missing.`,
      );
    }
    const workDir = resolve(args["work-dir"] ?? join(PROJECT_ROOT, ".bench-data"));
    const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
    const out = resolve(args.out ?? join("crash-results", stamp));
    const trialDir = join(workDir, "crash");
    mkdirSync(trialDir, { recursive: true });

    const abort = new AbortController();
    const interrupt = () => {
      if (abort.signal.aborted) process.exit(130);
      log(
        "\nstopping after this trial; the finished trials will still be written (again to quit at once)",
      );
      abort.abort();
    };
    process.on("SIGINT", interrupt);
    process.on("SIGTERM", interrupt);

    const started = new Date();
    const dataset = ensureDataset(workDir, records, DEFAULT_SEED).dir;
    const done: Trial[] = [];
    const total = targets.length * faults.length * trials;
    // A failure of the lab itself still leaves the finished trials written out.
    let labError: Error | undefined;
    try {
      await runTrials(
        { targets, faults, trials, dataset, workDir: trialDir, signal: abort.signal },
        done,
      );
    } catch (err) {
      labError = err as Error;
      log(`the lab failed after ${done.length} trials: ${labError.stack ?? labError.message}`);
    }
    const results: DurabilityResults = {
      needadb_durability: 1,
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      complete: done.length === total,
      machine: describeMachine(workDir),
      settings: {
        trials,
        records,
        writers: WRITERS,
        seed: DEFAULT_SEED,
        targets: targets.map((t) => t.name),
        faults,
      },
      runs: summariseTrials(done),
      trials: done,
    };
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "durability.json"), `${JSON.stringify(results, null, 2)}\n`);
    const md = [
      "# needadb durability report",
      "",
      `${done.length} of ${total} trials${results.complete ? "" : " (interrupted)"}, ${WRITERS} concurrent writers, ${records.toLocaleString("en")} seeded records, on ${results.machine.fs}.`,
      "A process crash is SIGKILL at a random moment under load. A power cut is the same, then every write not yet made durable by fsync (of the file, and of the directory for names) is dropped by the lab's FUSE filesystem.",
      "",
      renderDurabilityTable(results.runs),
      "",
      ...flushWindowNote(results.runs),
      "",
    ].join("\n");
    writeFileSync(join(out, "durability.md"), md);
    process.stdout.write(`${md}\n`);
    log(`wrote ${join(out, "durability.json")} and durability.md`);
    if (labError) process.exitCode = 1;
    else if (!results.complete) process.exitCode = 130;
  },
});

if (import.meta.main) await runMain(command);
