// The shape of soak.json (npm run soak), and its judgements: did memory level off, and did
// every request get the answer it should?

export interface SoakResult {
  approach: string;
  minutes: number;
  requests: number;
  rps: number;
  bad_sent: number;
  bad_answered_right: number;
  bad_answered_wrong: number;
  good_sent: number;
  good_failed: number;
  /** The first few failures, to say what went wrong. */
  failures: string[];
  acked_writes: number;
  records_expected: number;
  records_at_end: number;
  /** RSS every second, with the number of records the store held then. */
  rss_mb: { at_s: number; mb: number; records: number }[];
  rss_start_mb: number;
  rss_end_mb: number;
  rss_max_mb: number;
  /** Growth over the second half of the run, in MB per minute (least squares). */
  rss_slope_mb_per_min_second_half: number;
  /** Growth over the second half per record added then (least squares), in bytes. */
  rss_bytes_per_record_second_half: number;
  /** Null when the run was too short to judge. */
  levels_off: boolean | null;
}

/** Least-squares slope of y over x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Memory "levels off" when, over the second half of the run, it grows by less than
 * LEVEL_OFF_SHARE of its starting size per minute: growth that small over a soak is
 * allocator noise, and a leak keeps climbing.
 */
export const LEVEL_OFF_SHARE = 0.02;
/**
 * Stores that keep every record in memory (map, jsonl-*) must grow as records are added.
 * That growth is the data, not a leak, while it stays under this much per record added: a
 * ~150-byte record costs a few hundred bytes as a Map entry. A leak of even a few hundred
 * bytes per request would show as several KB per record at a 10% write share.
 */
export const MAX_BYTES_PER_RECORD = 1024;
/**
 * In its first minutes V8 grows its heap in steps ahead of its major collections: measured
 * here, a 1-minute soak showed ~2 KB per record added where 10-minute soaks settled at ~320
 * bytes. Shorter runs report their figures but no verdict on memory.
 */
export const MIN_MINUTES_FOR_VERDICT = 5;

export function levelsOff(samples: readonly { at_s: number; mb: number; records: number }[]): {
  slope: number;
  bytesPerRecord: number;
  ok: boolean;
} {
  const half = samples.filter((s) => s.at_s >= (samples.at(-1)?.at_s ?? 0) / 2);
  const perMin = slope(half.map((s) => ({ x: s.at_s / 60, y: s.mb })));
  // The fitted growth over the second half, shared among the records added meanwhile.
  const halfMinutes = ((half.at(-1)?.at_s ?? 0) - (half[0]?.at_s ?? 0)) / 60;
  const added = (half.at(-1)?.records ?? 0) - (half[0]?.records ?? 0);
  const bytesPerRecord =
    added > 0 ? (perMin * halfMinutes * 2 ** 20) / added : Number.POSITIVE_INFINITY;
  const base = samples[0]?.mb ?? 1;
  const ok = perMin < base * LEVEL_OFF_SHARE || bytesPerRecord <= MAX_BYTES_PER_RECORD;
  return { slope: perMin, bytesPerRecord, ok };
}

/** Whether a soak found anything wrong: a failed request, a wrong answer, a lost or extra record, or memory that kept climbing. */
export function soakFailed(r: SoakResult): boolean {
  return (
    r.good_failed > 0 ||
    r.bad_answered_right !== r.bad_sent ||
    r.records_at_end !== r.records_expected ||
    r.levels_off === false
  );
}
