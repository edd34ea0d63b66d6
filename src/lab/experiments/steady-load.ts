// A load measured only once it has settled: warm up until the server's rate is steady (or
// a cap), then measure, with the server's answers sampled every quarter second through
// both. The rules are results/steady.ts's; this runs them against a live server.
import { setTimeout as sleep } from "node:timers/promises";
import type { ServerProcess } from "../harness/server-process.ts";
import { type LoadSpec, runLoad } from "../load/load.ts";
import type { LoadResult } from "../results/load.ts";
import { judgeWindow, SAMPLE_MS, type Steadiness, warmedUp } from "../results/steady.ts";

export interface WarmUpLimits {
  /** The warm-up runs at least this long: V8's tiers and the first connections. */
  min_s: number;
  /** And at most this long, settled or not. */
  max_s: number;
  /** The span of each side of the rule's comparison (results/steady.ts). */
  compare_ms: number;
}

/** The rates a sampler saw, in req/s, one per SAMPLE_MS. */
interface Sampler {
  rps: number[];
  stop(): Promise<number[]>;
}

/**
 * Samples `server`'s finished answers every SAMPLE_MS until stopped; `onSample` sees the
 * rates so far and the time since the start. A sample that fails (the server died) ends it.
 */
function sampleAnswers(
  server: ServerProcess,
  onSample: (rps: number[], elapsedMs: number) => void = () => {},
): Sampler {
  const rps: number[] = [];
  let running = true;
  const loop = (async () => {
    const startedAt = performance.now();
    let last = { at: startedAt, answered: await server.answered() };
    for (let tick = 1; running; tick++) {
      await sleep(Math.max(0, startedAt + tick * SAMPLE_MS - performance.now()));
      if (!running) break;
      const answered = await server.answered();
      const at = performance.now();
      rps.push(((answered - last.answered) * 1000) / (at - last.at));
      last = { at, answered };
      onSample(rps, at - startedAt);
    }
  })().catch(() => {});
  return {
    rps,
    async stop() {
      running = false;
      await loop;
      return rps;
    },
  };
}

export interface WarmUp {
  /** How long the warm-up ran. */
  s: number;
  /** Whether the rate settled before the cap. */
  settled: boolean;
  rps: number[];
}

/** Runs the load until the rate is steady by the warm-up rule, within `limits`. */
export async function warmUp(
  server: ServerProcess,
  spec: LoadSpec,
  limits: WarmUpLimits,
): Promise<WarmUp> {
  const started = performance.now();
  const settled = new AbortController();
  const sampler = sampleAnswers(server, (rps, elapsedMs) => {
    if (elapsedMs >= limits.min_s * 1000 && warmedUp(rps, limits.compare_ms)) settled.abort();
  });
  try {
    const signal = AbortSignal.any([spec.signal, settled.signal]);
    await runLoad({ ...spec, durationS: limits.max_s, signal });
  } catch (err) {
    // Stopped because it settled: the load tool's own summary is not wanted.
    if (!settled.signal.aborted || spec.signal.aborted) throw err;
  }
  const rps = await sampler.stop();
  return { s: (performance.now() - started) / 1000, settled: settled.signal.aborted, rps };
}

export interface Measured {
  result: LoadResult;
  rps: number[];
  steadiness: Steadiness;
}

/** The measured phase: the load tool's summary, and the rates over it with their verdict. */
export async function measureWindow(server: ServerProcess, spec: LoadSpec): Promise<Measured> {
  const sampler = sampleAnswers(server);
  const result = await runLoad(spec);
  const rps = await sampler.stop();
  return { result, rps, steadiness: judgeWindow(rps, SAMPLE_MS) };
}
