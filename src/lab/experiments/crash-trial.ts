// One crash trial, the unit of the durability lab and of orders-check: start a store on a
// seeded dataset, drive concurrent writes while recording every one the server
// acknowledged, inject the fault at a random moment, start the store again on what is
// left, and check that each acknowledged write reads back intact (Jepsen's workload,
// nemesis and checker, in one short loop).
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Approach } from "../../stores/index.ts";
import { type LazyMount, mountLazyFs } from "../faults/powercut/mount.ts";
import { createdId, get, type Health, health, post, userBody } from "../harness/client.ts";
import { prepareCellDir } from "../harness/datasets.ts";
import { forEachInParallel } from "../harness/parallel.ts";
import { type ServerProcess, startServer } from "../harness/server-process.ts";
import { CUTS_POWER, type Fault, type FlushWindow, type Trial } from "../results/durability.ts";

/** A store as the lab runs it: an approach, and the settings that change its durability. */
export interface Target {
  name: string;
  approach: Approach;
  env: Record<string, string>;
}

/** Writes run this long at least before the fault, and at most this much longer. */
const LOAD_MIN_MS = 300;
const LOAD_SPREAD_MS = 900;
/** Concurrent writers during a trial. */
export const WRITERS = 16;
/** Checks of acknowledged records run this many at a time. */
const CHECKERS = 16;
/** A writer refused with a 5xx (load shed, disk full) waits this long before the next. */
const BACKOFF_MS = 5;

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
  request: (tag) => ({ path: "/users", body: userBody("Crash", tag) }),
  location: (created) => `/users/${createdId(created)}`,
};

/** What the writers saw: every acknowledged write, and every answer until the fault's end. */
interface Tally {
  acked: Map<string, string>;
  /** Answers by status, counted while `counting` (until the server is killed). */
  statuses: Record<string, number>;
  counting: boolean;
  /** When space came back (enospc), and when the first write after that was acknowledged. */
  releasedAt?: number;
  resumedAt?: number;
}

function count(tally: Tally, status: string): void {
  if (tally.counting) tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
}

/** Drives POSTs from WRITERS loops until `stop` aborts, recording path -> acknowledged body. */
async function driveWrites(
  url: string,
  stop: AbortSignal,
  workload: TrialWorkload,
  tally: Tally,
): Promise<void> {
  const run = Date.now();
  let n = 0;
  const writer = async (w: number) => {
    while (!stop.aborted) {
      const { path, body } = workload.request(`${run}-${w}-${n++}`);
      try {
        const { status, text } = await post(url, path, body, stop);
        count(tally, String(status));
        if (status === 201) {
          tally.acked.set(workload.location(text), text);
          if (tally.releasedAt !== undefined) tally.resumedAt ??= performance.now();
        } else if (status >= 500) await sleep(BACKOFF_MS);
      } catch {
        count(tally, "error");
        return; // the server is gone: this writer is done
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long the disk stays full, and how long a trial waits after for writes to come back. */
const FULL_HOLD_MS = 500;
const RESUME_WAIT_MS_MAX = 5_000;
/** How long writes go on after a failed fsync, before the power cut. */
const AFTER_EIO_MS = 300;
/**
 * How long GET /health may take while the disk misbehaves. A store can stop answering at
 * all: PGlite, its disk full, spun at 100% CPU on its one thread and never answered, and the
 * trial waited on it for good. Past this, the store counts as not answering, not fenced.
 */
const HEALTH_WAIT_MS_MAX = 5_000;

/**
 * The disk misbehaves while the writers go on: full for FULL_HOLD_MS and then not, or one
 * fsync failing. Records whether /health then said "degraded", and for a full disk how
 * long writes took to come back.
 */
async function misbehave(fault: Fault, mount: LazyMount, url: string, tally: Tally, result: Trial) {
  if (fault !== "enospc" && fault !== "eio") return;
  mount.misbehave(fault);
  await sleep(fault === "enospc" ? FULL_HOLD_MS : AFTER_EIO_MS);
  // GET /health while the disk misbehaves is a read like any other: a 500 there is a
  // bare 500 the store answered, counted with the writers' answers, not the lab's failure.
  const res = await get(url, "/health", AbortSignal.timeout(HEALTH_WAIT_MS_MAX)).catch(() => null);
  if (res?.status !== 200) count(tally, res ? String(res.status) : "no answer");
  result.fenced = res?.status === 200 && (JSON.parse(res.text) as Health).status === "degraded";
  if (fault !== "enospc") return;
  tally.releasedAt = performance.now();
  mount.misbehave("ok");
  const deadline = tally.releasedAt + RESUME_WAIT_MS_MAX;
  while (tally.resumedAt === undefined && performance.now() < deadline) await sleep(10);
  result.resumed_ms =
    tally.resumedAt === undefined ? null : Math.round(tally.resumedAt - tally.releasedAt);
}

/** How often, and for how long at most, a trial waits for its minimum of acknowledged writes. */
const MIN_ACKED_POLL_MS = 20;
const MIN_ACKED_WAIT_MS_MAX = 30_000;

/** Waits until `acked` holds `min` writes, or MIN_ACKED_WAIT_MS_MAX passes. */
async function untilAcked(acked: Map<string, string>, min: number): Promise<void> {
  const deadline = performance.now() + MIN_ACKED_WAIT_MS_MAX;
  while (acked.size < min && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, MIN_ACKED_POLL_MS));
}

/** Checks each acknowledged record on the restarted server. */
async function verify(url: string, acked: Map<string, string>) {
  let lost = 0;
  let corrupt = 0;
  await forEachInParallel([...acked], CHECKERS, async ([path, body]) => {
    const { status, text } = await get(url, path);
    if (status === 404) lost++;
    else if (status !== 200 || text !== body) corrupt++;
  });
  return { lost, corrupt };
}

function flushWindow(h: Health): FlushWindow | undefined {
  return h.flush_size !== undefined && h.flush_interval_ms !== undefined
    ? { rows: h.flush_size, ms: h.flush_interval_ms }
    : undefined;
}

/** The restart and the checks: fills in what the trial found. */
async function restartAndCheck(
  target: Target,
  dataDir: string,
  acked: Map<string, string>,
  workload: TrialWorkload,
  result: Trial,
): Promise<ServerProcess | undefined> {
  let server: ServerProcess;
  try {
    server = await startServer({ approach: target.approach, dataDir, env: target.env });
  } catch (err) {
    result.restart_error = (err as Error).message.slice(0, 2000);
    return undefined;
  }
  result.restarted = true;
  const repairs = server.stderr().trim();
  if (repairs) result.restart_log = repairs.slice(0, 1000);
  const checked = await verify(server.url, acked);
  result.lost_acked = checked.lost;
  result.corrupt = checked.corrupt;
  const broken = await workload.invariant?.(server.url);
  if (broken) result.invariant_broken = broken;
  return server;
}

export async function runTrial(
  target: Target,
  fault: Fault,
  trial: number,
  dataset: string,
  workDir: string,
  workload: TrialWorkload = USER_WRITES,
  /**
   * Acknowledged writes to wait for before the fault, beyond its random moment: on a busy
   * machine a short load may not reach the store's background work (an lsm flush).
   */
  minAcked = 0,
): Promise<Trial> {
  const backing = join(workDir, "backing");
  const mnt = join(workDir, "mnt");
  await prepareCellDir(dataset, backing, target.approach);
  let mount =
    fault === "sigkill"
      ? undefined
      : await mountLazyFs(backing, mnt, fault === "torn" ? "torn" : "ok");
  const dataDir = mount ? mnt : backing;
  const faultAfterMs = LOAD_MIN_MS + Math.floor(Math.random() * LOAD_SPREAD_MS);
  const result: Trial = {
    ...{ target: target.name, fault, trial, fault_after_ms: faultAfterMs, claim: "unknown" },
    ...{ acked: 0, lost_acked: 0, corrupt: 0, restarted: false },
  };
  let server: ServerProcess | undefined;
  try {
    server = await startServer({ approach: target.approach, dataDir, env: target.env });
    const h = await health(server.url);
    result.claim = h.durability.survives;
    const window = flushWindow(h);
    if (window) result.flush_window = window;
    const stop = new AbortController();
    const tally: Tally = { acked: new Map(), statuses: {}, counting: true };
    const writes = driveWrites(server.url, stop.signal, workload, tally);
    await sleep(faultAfterMs);
    await untilAcked(tally.acked, minAcked);
    if (mount) await misbehave(fault, mount, server.url, tally, result);
    tally.counting = false;
    await server.kill(); // SIGKILL: no flush, no goodbye
    stop.abort();
    await writes;
    result.acked = tally.acked.size;
    if (fault !== "sigkill") result.statuses = tally.statuses;
    if (mount && CUTS_POWER.has(fault)) {
      result.cut = await mount.cut();
      mount = await mountLazyFs(backing, mnt);
    }
    server = await restartAndCheck(target, dataDir, tally.acked, workload, result);
    return result;
  } finally {
    await server?.stop();
    if (mount) await mount.cut();
    rmSync(backing, { recursive: true, force: true });
  }
}
