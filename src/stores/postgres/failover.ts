// Riding out a failover (the primary dies, another node is promoted, and the connection
// behind DATABASE_URL, such as HAProxy's, now leads to it): what was surely not done is done
// again, for a bounded time; what may have been done is never acknowledged, and never
// silently done twice either.
//
// A write goes through a client of its own, so that the two ways it can fail are told apart.
// Connecting failed, or the server answered that it is read-only (SQLSTATE 25006: a former
// primary, now a replica), or that it cannot take connections yet: nothing was written, and
// it is tried again every RETRY_MS, for up to FAILOVER_WAIT_MS_MAX. The connection broke
// once the statement was sent: its commit may or may not have happened, so the client gets
// 503 saying the outcome is unknown (OutcomeUnknownError), and looks before it writes again.

import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { OutcomeUnknownError, OverloadedError } from "../../lib/storage-errors.ts";
import type { SqlQuery } from "./sql.ts";

/** The longest a request waits for a primary to take it; past it, 503 with Retry-After. */
export const FAILOVER_WAIT_MS_MAX = 20_000;
const RETRY_MS = 250;
/** SQLSTATEs that say nothing was done and a primary may answer soon. */
const NOT_NOW = new Set(["25006", "57P03", "08001", "08004", "08006"]);

const sqlstate = (err: unknown) => (err as { code?: unknown }).code;

/** The server's own answer that nothing was done (see the header): a SQLSTATE, never a broken socket. */
function notDone(err: unknown): boolean {
  const code = sqlstate(err);
  return typeof code === "string" && NOT_NOW.has(code);
}

/** Where writes have gone, and how often that changed: for GET /health. */
export class PrimaryWatch {
  writes_to: string | undefined;
  failovers_seen = 0;
  private readonly known = new WeakSet<pg.PoolClient>();

  /** Notes the server a new client reached (its address and port, as it says them). */
  async note(client: pg.PoolClient): Promise<void> {
    if (this.known.has(client)) return;
    this.known.add(client);
    const { rows } = await client.query<{ at: string }>(
      "SELECT coalesce(host(inet_server_addr()), 'socket') || ':' || inet_server_port() AS at",
    );
    const at = rows[0]?.at;
    if (this.writes_to !== undefined && at !== this.writes_to) this.failovers_seen++;
    this.writes_to = at;
  }

  health() {
    return { writes_to: this.writes_to ?? "not yet known", failovers_seen: this.failovers_seen };
  }
}

/** Runs `write` on the primary, again while nothing was done, for up to FAILOVER_WAIT_MS_MAX. */
export async function writeOnPrimary(
  pool: pg.Pool,
  write: SqlQuery,
  watch: PrimaryWatch,
): Promise<void> {
  const deadline = performance.now() + FAILOVER_WAIT_MS_MAX;
  for (;;) {
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      await watch.note(client);
    } catch (err) {
      client?.release(err as Error);
      if (!notDone(err) && !isConnectFailure(err)) throw err;
      if (performance.now() + RETRY_MS > deadline) throw noPrimary();
      await sleep(RETRY_MS);
      continue;
    }
    try {
      await client.query(write as pg.QueryConfig);
      client.release();
      return;
    } catch (err) {
      client.release(err as Error);
      if (notDone(err) && performance.now() + RETRY_MS <= deadline) {
        await sleep(RETRY_MS);
        continue;
      }
      // A broken socket (no SQLSTATE, or an errno such as ECONNRESET) after the write was
      // sent: it may have committed.
      if (!/^[0-9A-Z]{5}$/.test(String(sqlstate(err)))) throw unknownOutcome(err);
      throw notDone(err) ? noPrimary() : err;
    }
  }
}

/** A connection that could not be made at all (no SQLSTATE: refused, reset, timed out): nothing was sent. */
function isConnectFailure(err: unknown): boolean {
  return !/^[0-9A-Z]{5}$/.test(String(sqlstate(err)));
}

const noPrimary = () =>
  new OverloadedError(
    `no primary took the write in ${FAILOVER_WAIT_MS_MAX / 1000} s (a failover may be under way); nothing was stored, retry shortly`,
    1,
  );

const unknownOutcome = (err: unknown) =>
  new OutcomeUnknownError(
    `the connection to PostgreSQL broke after the write was sent (${(err as Error).message}), so whether it was stored is unknown; look it up before writing it again`,
  );
