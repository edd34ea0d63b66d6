// npm run failover's experiment: for each replication mode and fault, a fresh HA cluster
// (harness/ha-cluster.ts), two app servers (APPROACH=postgres) whose DATABASE_URL is HAProxy,
// writers posting users through both, a fault at the leader, and then, at the app: how long
// writes stopped, which acknowledged writes are gone, which writes' outcome the app could not
// know, and reads through the other app server that missed a write just acknowledged.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { emptyDir, withServers } from "../harness/cell.ts";
import { createdId, get, post, userBody } from "../harness/client.ts";
import {
  type HaCluster,
  type HaNode,
  type HaSettings,
  killNode,
  killPatroni,
  killPostmaster,
  pauseWalsenders,
  stackVersions,
  startCluster,
} from "../harness/ha-cluster.ts";
import { forEachInParallel } from "../harness/parallel.ts";
import { formatDuration } from "../harness/progress.ts";
import {
  type FailoverFault,
  type FailoverMode,
  type FailoverResults,
  type FailoverTrial,
  foldFailover,
  REPLICATION,
} from "../results/failover.ts";

export interface FailoverOptions {
  modes: FailoverMode[];
  faults: FailoverFault[];
  trials: number;
  /** How long the walsenders are paused before the leader is killed (stall-node). */
  stallMs: number;
  writers: number;
  workDir: string;
  log: (m: string) => void;
  /** Trials kept from before, by mode, fault and number: each found is not run again. */
  cache?: {
    get(mode: FailoverMode, fault: FailoverFault, n: number): FailoverTrial | undefined;
    put(trial: FailoverTrial, took_s: number): void;
  };
}

/** Patroni's timings: a leader key of 10 s, checked every second (its defaults are 30 and 10). */
const TIMING = { ttl: 10, loop_wait: 1, retry_timeout: 3 };
/** The lab's defaults: how long replication stalls before stall-node's kill, and the writers. */
export const FAILOVER_STALL_MS = 1_000;
export const FAILOVER_WRITERS = 8;

/** Load before the fault, and after writes come back, in ms; and the longest wait for them. */
const BEFORE_MS = 3_000;
const AFTER_MS = 3_000;
const RECOVERY_WAIT_MS = 40_000;
/** A write slower than this shows the fault (they take a few ms here); and the longest the fault may take to show. */
const SLOW_MS = 1_000;
const SHOW_MS_MAX = 15_000;
const CHECKERS = 16;
/** What a trial took here (2 shared cores): cluster start-up, load, fault, recovery, checks. */
const TRIAL_MS_EXPECTED = 32_000;

interface Write {
  sent: number;
  answered: number;
  status: number;
  outcome: "acked" | "unknown" | "refused";
  id?: string;
  stale?: boolean;
  /** The read back through the other server: its status, and when it was answered. */
  read?: { status: number; at: number };
}

/**
 * Writers posting users through both servers, each 201 read back at once through the other,
 * into `log` as they are answered, until `stop`.
 */
function drive(
  urls: readonly string[],
  writers: number,
  log: Write[],
  stop: AbortSignal,
): Promise<void> {
  let n = 0;
  const one = async (w: number) => {
    for (let i = 0; !stop.aborted; i++) {
      const [a, b] = i % 2 ? [urls[0], urls[1]] : [urls[1], urls[0]];
      const sent = performance.now();
      const entry: Write = { sent, answered: 0, status: 0, outcome: "unknown" };
      try {
        const r = await post(a as string, "/users", userBody("Failover", `${w}-${n++}`));
        entry.status = r.status;
        entry.answered = performance.now();
        if (r.status === 201) {
          entry.outcome = "acked";
          entry.id = createdId(r.text);
          const read = await get(b as string, `/users/${entry.id}`);
          entry.read = { status: read.status, at: performance.now() };
          entry.stale = read.status === 404;
        } else if (!r.text.includes('"outcome":"unknown"') && r.status === 503)
          entry.outcome = "refused";
      } catch {
        entry.answered = performance.now(); // no answer: the app cannot know
        entry.status = -1;
        await sleep(50);
      }
      log.push(entry);
    }
  };
  return Promise.all(Array.from({ length: writers }, (_, w) => one(w))).then(() => {});
}

async function injectFault(fault: FailoverFault, leader: HaNode, stallMs: number): Promise<void> {
  if (fault === "node") killNode(leader);
  else if (fault === "patroni") killPatroni(leader);
  else if (fault === "postmaster") killPostmaster(leader);
  else {
    // Replication stalls (the walsenders stop sending), writes go on being acknowledged on
    // the leader alone, and then its machine is lost.
    pauseWalsenders(leader, "SIGSTOP");
    await sleep(stallMs);
    killNode(leader);
  }
}

/** Every write of the trial, in ms from the fault, beside the cluster's logs: the raw record. */
function keepLog(dir: string, log: readonly Write[], fault: number): void {
  const at = (t: number) => Math.round(t - fault);
  const lines = log.map((w) =>
    JSON.stringify({
      sent: at(w.sent),
      answered: at(w.answered),
      status: w.status,
      outcome: w.outcome,
      ...(w.read ? { read: w.read.status, read_at: at(w.read.at) } : {}),
    }),
  );
  writeFileSync(join(dir, "writes.jsonl"), `${lines.join("\n")}\n`);
}

/**
 * When the fault first showed at the app: when the first write sent after it was sent that
 * failed or took longer than SLOW_MS. Undefined while none has (a write still waiting is not
 * in the log yet).
 */
function outageStart(log: readonly Write[], fault: number): number | undefined {
  let start: number | undefined;
  for (const w of log)
    if (w.sent >= fault && (w.outcome !== "acked" || w.answered - w.sent > SLOW_MS))
      start = Math.min(start ?? w.sent, w.sent);
  return start;
}

/**
 * Waits until writes are back, for up to RECOVERY_WAIT_MS: a write sent once the fault showed
 * is acknowledged. Writes acknowledged just after the fault do not count (an old primary may
 * take some before it is cut off). When no write has shown the fault SHOW_MS_MAX after it
 * and writes are still being acknowledged, they never stopped.
 */
async function untilBack(
  log: readonly Write[],
  fault: number,
  signal: AbortSignal,
): Promise<boolean> {
  while (performance.now() < fault + RECOVERY_WAIT_MS && !signal.aborted) {
    const now = performance.now();
    const start = outageStart(log, fault);
    if (start !== undefined && log.some((w) => w.outcome === "acked" && w.sent > start))
      return true;
    const flowing = log.some((w) => w.outcome === "acked" && w.answered > now - SLOW_MS);
    if (start === undefined && now - fault > SHOW_MS_MAX && flowing) return true;
    await sleep(200);
  }
  return false;
}

/** The longest stretch with no acknowledged write, from the fault to the end. */
function stoppedMs(log: readonly Write[], fault: number, end: number): number {
  const acks = log
    .filter((w) => w.outcome === "acked" && w.answered >= fault)
    .map((w) => w.answered);
  const times = [fault, ...acks.sort((x, y) => x - y), end];
  return Math.max(...times.slice(1).map((t, i) => t - (times[i] as number)));
}

/** Acknowledged writes that a read through the app, once recovered, does not find. */
async function lostOf(url: string, acked: readonly string[]): Promise<number> {
  let lost = 0;
  await forEachInParallel(acked, CHECKERS, async (id) => {
    if ((await get(url, `/users/${id}`)).status === 404) lost++;
  });
  return lost;
}

async function trialOn(
  cluster: HaCluster,
  dir: string,
  o: FailoverOptions,
  t: { mode: FailoverMode; fault: FailoverFault; trial: number },
  signal: AbortSignal,
): Promise<FailoverTrial | undefined> {
  // Writes through HAProxy to the primary; reads from any node that is a standby and keeps up.
  const env = { DATABASE_URL: cluster.url, DATABASE_REPLICA_URLS: cluster.nodeUrls.join(",") };
  const starts = [0, 1].map((i) => ({
    approach: "postgres",
    dataDir: emptyDir(join(dir, `app${i}`)),
    env,
  }));
  return withServers(starts, async (servers) => {
    const urls = servers.map((s) => s.url);
    const stop = new AbortController();
    const log: Write[] = [];
    const driving = drive(urls, o.writers, log, stop.signal);
    const wait = (ms: number) => sleep(ms, undefined, { signal }).catch(() => {});
    await wait(BEFORE_MS);
    if (signal.aborted) {
      stop.abort();
      return void (await driving); // interrupted before the fault: no trial
    }
    const leader = (await cluster.leader()) as HaNode;
    const fault = performance.now();
    await injectFault(t.fault, leader, o.stallMs);
    const recovered = await untilBack(log, fault, signal);
    if (recovered) await wait(AFTER_MS);
    stop.abort();
    await driving;
    const end = performance.now();
    keepLog(dir, log, fault);
    const after = (await cluster.leader())?.name;
    const acked = log.filter((w) => w.outcome === "acked");
    const rate = (from: number, to: number) =>
      (acked.filter((w) => w.answered >= from && w.answered < to).length * 1000) /
      Math.max(1, to - from);
    return {
      ...t,
      acked: acked.length,
      lost: recovered
        ? await lostOf(
            urls[0] as string,
            acked.map((w) => w.id as string),
          )
        : 0,
      unknown: log.filter((w) => w.outcome === "unknown").length,
      refused: log.filter((w) => w.outcome === "refused").length,
      stale_reads: acked.filter((w) => w.stale).length,
      probes: acked.length,
      stopped_ms: stoppedMs(log, fault, end),
      ...{ recovered, promoted: after !== undefined && after !== leader.name },
      rps_before: rate(fault - BEFORE_MS, fault),
      rps_after: rate(end - AFTER_MS, end),
    };
  });
}

const settingsOf = (mode: FailoverMode): HaSettings => ({ ...TIMING, ...REPLICATION[mode] });

/** One trial on a cluster of its own, stopped and removed afterwards whatever happened. */
async function oneTrial(
  o: FailoverOptions,
  t: { mode: FailoverMode; fault: FailoverFault; trial: number },
  signal: AbortSignal,
) {
  const dir = emptyDir(join(o.workDir, "failover", `${t.mode}-${t.fault}-${t.trial}`));
  const cluster = await startCluster(join(dir, "cluster"), settingsOf(t.mode), signal);
  try {
    return await trialOn(cluster, dir, o, t, signal);
  } finally {
    await cluster.stop();
  }
}

export async function runFailover(
  o: FailoverOptions,
  signal: AbortSignal,
): Promise<FailoverResults> {
  const started = new Date();
  const t0 = performance.now();
  const trials: FailoverTrial[] = [];
  const plan = o.modes.flatMap((mode) =>
    o.faults.flatMap((fault) =>
      Array.from({ length: o.trials }, (_, i) => ({ mode, fault, trial: i + 1 })),
    ),
  );
  let error: string | undefined;
  o.log(
    `${plan.length} trials, each on a fresh cluster: about ${formatDuration((plan.length * TRIAL_MS_EXPECTED) / 1000)} expected`,
  );
  for (const [i, t] of plan.entries()) {
    if (signal.aborted) break;
    const left = i
      ? ` · about ${formatDuration((((performance.now() - t0) / i) * (plan.length - i)) / 1000)} left`
      : "";
    o.log(`[${i + 1}/${plan.length}] ${t.mode}: ${t.fault}, trial ${t.trial}/${o.trials}${left}`);
    const kept = o.cache?.get(t.mode, t.fault, t.trial);
    if (kept) {
      trials.push(kept);
      continue;
    }
    try {
      const began = performance.now();
      const r = await oneTrial(o, t, signal);
      if (!r || signal.aborted) break; // a trial cut short by Ctrl-C is not kept
      trials.push(r);
      o.cache?.put(r, (performance.now() - began) / 1000);
      o.log(
        `  writes stopped ${(r.stopped_ms / 1000).toFixed(1)} s; lost ${r.lost} of ${r.acked} acknowledged; ${r.unknown} unknown${r.recovered ? "" : "; writes never came back"}`,
      );
    } catch (err) {
      if (signal.aborted) break;
      error = `${t.mode} ${t.fault} trial ${t.trial}: ${(err as Error).message}`;
      o.log(`the run failed: ${error}`);
      break;
    }
  }
  return {
    needadb_failover: 1,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    complete: trials.length === plan.length,
    ...(error ? { error } : {}),
    settings: {
      ...TIMING,
      ...{
        stall_ms: o.stallMs,
        replication: REPLICATION,
        trials: o.trials,
        writers: o.writers,
      },
      stack: `${stackVersions()}, from Debian's packages, on loopback`,
    },
    runs: foldFailover(trials),
    trials,
  };
}
