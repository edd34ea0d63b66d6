// Reads from PostgreSQL replicas, writes to the primary: which replicas may serve reads now.
//
// Every poll_ms the primary's WAL position is sampled, and each replica is asked how far it
// has replayed. A replica serves reads while it answers, is still a standby, and lags by at
// most lag_ms_max. Lag in bytes is the distance between the two positions. Lag in ms is 0
// for a replica that has replayed all the primary had written at the sample. For one behind
// it, the oldest write it lacks was made after two moments, so it has waited at most as long
// as the nearer of them: the last transaction the replica replayed was committed
// (pg_last_xact_replay_timestamp, to the ms, but old after a quiet spell), and the last
// sample whose position it had reached was taken (within poll_ms). Lag is that bound.
//
// Failure behaviour: a replica that errors, times out, was promoted or lags too far is out
// of the reads until a later poll finds it well again. A read that fails on a replica is
// tried once more on the primary, so reads never fail because a replica did. With no
// replica in, reads go to the primary. GET /health lists each replica and why it is out.
import type pg from "pg";
import { describeUrl, newPool } from "./engine.ts";
import type { SqlClient } from "./sql.ts";

export interface ReplicaLimits {
  poll_ms: number;
  /** A replica further behind than this serves no reads. */
  lag_ms_max: number;
  /** A replica that has not answered a poll in this long is down. */
  answer_ms_max: number;
}

export const REPLICA_LIMITS: ReplicaLimits = {
  poll_ms: 200,
  lag_ms_max: 1_000,
  answer_ms_max: 1_000,
};
/** Primary WAL positions kept to tell lag in ms: lag_ms_max is measured within this. */
const SAMPLES_MAX = 256;
/** Connections per replica per app process, as for the primary. */
const REPLICA_POOL_MAX = 16;

/** One replica as GET /health shows it. */
export interface ReplicaStatus {
  server: string;
  serving_reads: boolean;
  /** Why it serves no reads, while it does not. */
  reason?: string;
  lag_bytes: number | null;
  lag_ms: number | null;
  /** Reads it answered since this process started. */
  reads: number;
}

interface Replica {
  pool: pg.Pool;
  status: Omit<ReplicaStatus, "reads">;
  reads: number;
}

/** "16/B374D848" as one number of bytes. */
export function lsnBytes(lsn: string): bigint {
  const [high, low] = lsn.split("/");
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

type ReplicaRow = { standby: boolean; replay: string | null; since_ms: number | null };

const REPLICA_POSITION = `SELECT pg_is_in_recovery() AS standby,
  pg_last_wal_replay_lsn()::text AS replay,
  (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS since_ms`;

export class ReplicaReads {
  private readonly primary: pg.Pool;
  private readonly replicas: Replica[];
  private readonly limits: ReplicaLimits;
  private readonly samples: { at_ms: number; lsn: bigint }[] = [];
  /** The replicas serving reads, as of the last change: a read does not filter the list. */
  private serving: Replica[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(primary: pg.Pool, urls: readonly string[], limits = REPLICA_LIMITS) {
    if (!(limits.poll_ms > 0 && limits.lag_ms_max >= limits.poll_ms)) {
      throw new Error("replica limits: lag_ms_max must be at least poll_ms, and poll_ms above 0");
    }
    this.primary = primary;
    this.limits = limits;
    this.replicas = urls.map((url) => {
      const pool = newPool(url, REPLICA_POOL_MAX);
      pool.on("error", () => {}); // an idle connection that breaks: the next poll says so
      const status = {
        server: describeUrl(url),
        serving_reads: false,
        lag_bytes: null,
        lag_ms: null,
      };
      return { pool, status: { ...status, reason: "not polled yet" }, reads: 0 };
    });
  }

  /** Polls once, so the first reads already go to replicas, then every poll_ms. */
  async start(): Promise<void> {
    await this.poll();
    const loop = async () => {
      await this.poll();
      if (this.timer) this.timer = setTimeout(loop, this.limits.poll_ms).unref();
    };
    this.timer = setTimeout(loop, this.limits.poll_ms).unref();
  }

  /** Runs `query` on a replica that serves reads, or on the primary if none does or it fails. */
  async read<T>(query: (pool: SqlClient) => Promise<T>): Promise<T> {
    const serving = this.serving;
    const replica = serving[this.next++ % Math.max(1, serving.length)];
    if (!replica) return query(this.primary);
    try {
      const answer = await query(replica.pool);
      replica.reads++;
      return answer;
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith("22")) throw err; // bad input, not the replica
      this.out(replica, `a read failed: ${(err as Error).message}`);
      return query(this.primary);
    }
  }

  statuses(): ReplicaStatus[] {
    return this.replicas.map((r) => ({ ...r.status, reads: r.reads }));
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.replicas.map((r) => r.pool.end()));
  }

  private out(replica: Replica, reason: string): void {
    replica.status = { ...replica.status, serving_reads: false, reason };
    this.serving = this.serving.filter((r) => r !== replica);
  }

  private async poll(): Promise<void> {
    const now = performance.now();
    try {
      const { rows } = await this.primary.query<{ lsn: string }>(
        "SELECT pg_current_wal_lsn()::text AS lsn",
      );
      this.samples.push({ at_ms: now, lsn: lsnBytes(rows[0]?.lsn ?? "0/0") });
      if (this.samples.length > SAMPLES_MAX) this.samples.shift();
    } catch {
      return; // the primary is down: the writes say so; the replicas keep their last state
    }
    await Promise.all(this.replicas.map((r) => this.pollReplica(r, now)));
    this.serving = this.replicas.filter((r) => r.status.serving_reads);
  }

  private async pollReplica(replica: Replica, now: number): Promise<void> {
    let row: ReplicaRow | undefined;
    try {
      const answered = replica.pool.query<ReplicaRow>(REPLICA_POSITION);
      row = (await withTimeout(answered, this.limits.answer_ms_max)).rows[0];
    } catch (err) {
      return this.out(replica, `it does not answer: ${(err as Error).message}`);
    }
    if (!row?.standby || row.replay === null) return this.out(replica, "it is not a standby");
    const replay = lsnBytes(row.replay);
    const latest = this.samples.at(-1)?.lsn ?? 0n;
    const lag_bytes = Number(latest > replay ? latest - replay : 0n);
    const behind = this.samples.some((s) => s.lsn > replay);
    const reached = this.samples.findLast((s) => s.lsn <= replay);
    const oldest = this.samples[0]?.at_ms ?? now;
    const bound_ms = Math.min(row.since_ms ?? Infinity, now - (reached?.at_ms ?? oldest));
    const lag_ms = behind ? Math.max(0, Math.round(bound_ms)) : 0;
    replica.status = { ...replica.status, lag_bytes, lag_ms, serving_reads: true };
    delete replica.status.reason;
    if (lag_ms > this.limits.lag_ms_max)
      this.out(replica, `it lags by ${lag_ms} ms, past ${this.limits.lag_ms_max} ms`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** How long a write that asks to be read back from any replica waits for them all. */
export const APPLY_WAIT_MS_MAX = 1_000;
const SYNC_WAIT_CANCELLED = "canceling wait for synchronous replication";

/**
 * Runs `write` in a transaction that commits with synchronous_commit = remote_apply: COMMIT
 * returns once every synchronous standby has applied it, so a read from any of them shows
 * it. A statement timeout cannot bound that wait (PostgreSQL turns it off before it
 * commits), so after wait_ms the wait is cancelled from another connection: PostgreSQL then
 * stops waiting, keeps the commit (it is already durable on the primary) and sends a
 * warning. That connection is then closed rather than reused, so a late cancel can never
 * reach another request's query. Resolves to whether the standbys applied it in time; the
 * write itself is committed either way.
 */
export async function commitApplied(
  primary: pg.Pool,
  write: pg.QueryConfig,
  wait_ms = APPLY_WAIT_MS_MAX,
): Promise<boolean> {
  const client = await primary.connect();
  const pid = (client as unknown as { processID: number }).processID;
  let cancel: Promise<unknown> | undefined;
  let cancelled = false;
  const onNotice = (notice: { message?: string }) => {
    if (notice.message?.startsWith(SYNC_WAIT_CANCELLED)) cancelled = true;
  };
  client.on("notice", onNotice);
  let timer: NodeJS.Timeout | undefined;
  try {
    await client.query("BEGIN");
    await client.query("SELECT set_config('synchronous_commit', 'remote_apply', true)");
    await client.query(write);
    timer = setTimeout(() => {
      cancel = primary.query("SELECT pg_cancel_backend($1)", [pid]).catch(() => {});
    }, wait_ms);
    await client.query("COMMIT");
    return !cancelled;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    clearTimeout(timer);
    await cancel;
    client.off("notice", onNotice);
    client.release(cancel !== undefined);
  }
}
