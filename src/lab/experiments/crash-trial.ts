// One crash trial, the unit of the durability lab and of orders-check: start a store on a
// seeded dataset, drive concurrent writes while recording every one the server
// acknowledged, inject the fault at a random moment, start the store again on what is
// left, and check that each acknowledged write reads back intact (Jepsen's workload,
// nemesis and checker, in one short loop).
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Approach } from "../../stores/index.ts";
import { mountLazyFs } from "../faults/powercut/mount.ts";
import { createdId, get, type Health, health, post, userBody } from "../harness/client.ts";
import { prepareCellDir } from "../harness/datasets.ts";
import { forEachInParallel } from "../harness/parallel.ts";
import { type ServerProcess, startServer } from "../harness/server-process.ts";
import type { Fault, FlushWindow, Trial } from "../results/durability.ts";

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
/** A writer that got 503 (the store is shedding load) waits this long before the next. */
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

/** Drives POSTs from WRITERS loops until `stop` aborts, recording path -> acknowledged body. */
async function driveWrites(
  url: string,
  stop: AbortSignal,
  workload: TrialWorkload,
  acked: Map<string, string>,
): Promise<void> {
  const run = Date.now();
  let n = 0;
  const writer = async (w: number) => {
    while (!stop.aborted) {
      const { path, body } = workload.request(`${run}-${w}-${n++}`);
      try {
        const { status, text } = await post(url, path, body, stop);
        if (status === 201) acked.set(workload.location(text), text);
        else if (status === 503) await new Promise((r) => setTimeout(r, BACKOFF_MS));
      } catch {
        return; // the server is gone: this writer is done
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
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
  let mount = fault === "powercut" ? await mountLazyFs(backing, mnt) : undefined;
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
    const acked = new Map<string, string>();
    const writes = driveWrites(server.url, stop.signal, workload, acked);
    await new Promise((r) => setTimeout(r, faultAfterMs));
    await untilAcked(acked, minAcked);
    await server.kill(); // SIGKILL: no flush, no goodbye
    stop.abort();
    await writes;
    result.acked = acked.size;
    if (mount) {
      result.cut = await mount.cut();
      mount = await mountLazyFs(backing, mnt);
    }
    server = await restartAndCheck(target, dataDir, acked, workload, result);
    return result;
  } finally {
    await server?.stop();
    if (mount) await mount.cut();
    rmSync(backing, { recursive: true, force: true });
  }
}
