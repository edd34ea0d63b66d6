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
// A read changes nothing, so it is tried again whenever the connection failed, within the
// same bound.

import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { OutcomeUnknownError, OverloadedError } from "../../lib/storage-errors.ts";
import type { SqlQuery } from "./sql.ts";

/** The longest a request waits for a server to take it; past it, 503 with Retry-After. */
export const FAILOVER_WAIT_MS_MAX = 20_000;
const RETRY_MS = 250;
/** Refusals that say nothing was done and another try may work: read-only (a former primary), starting up. */
const NOTHING_DONE = new Set(["25006", "57P03"]);

const sqlstate = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
};

/**
 * The connection itself failed or was ended by the server: no SQLSTATE (refused, reset, closed,
 * an errno), class 08 (connection exception) or class 57 (the server shut down or crashed).
 */
function connectionLost(err: unknown): boolean {
  const code = sqlstate(err);
  return code === undefined || code.startsWith("08") || code.startsWith("57");
}

/** Whether another try may work, and nothing was done by this one: before a statement is sent. */
const retryBeforeSend = (err: unknown) =>
  connectionLost(err) || NOTHING_DONE.has(sqlstate(err) ?? "");

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
      if (!retryBeforeSend(err)) throw err;
      await pause(deadline, noPrimary);
      continue;
    }
    try {
      await client.query(write as pg.QueryConfig);
      client.release();
      return;
    } catch (err) {
      client.release(err as Error);
      if (NOTHING_DONE.has(sqlstate(err) ?? "")) {
        await pause(deadline, noPrimary);
        continue;
      }
      // The connection ended after the write was sent: it may have committed (a server told
      // to stop may finish a COMMIT before it ends the session).
      if (connectionLost(err)) throw unknownOutcome(err);
      throw err;
    }
  }
}

/**
 * Runs a read, again while the server cannot be reached or is not taking queries, for up to
 * FAILOVER_WAIT_MS_MAX: a read changes nothing, so trying it again is always safe.
 */
export async function readThroughFailover<T>(read: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + FAILOVER_WAIT_MS_MAX;
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (!retryBeforeSend(err)) throw err;
      await pause(deadline, noServer);
    }
  }
}

/** Waits RETRY_MS, or throws `tooLate()` when that would pass the deadline. */
async function pause(deadline: number, tooLate: () => Error): Promise<void> {
  if (performance.now() + RETRY_MS > deadline) throw tooLate();
  await sleep(RETRY_MS);
}

const noPrimary = () =>
  new OverloadedError(
    `no primary took the write in ${FAILOVER_WAIT_MS_MAX / 1000} s (a failover may be under way); nothing was stored, retry shortly`,
    1,
  );

const noServer = () =>
  new OverloadedError(
    `PostgreSQL did not answer for ${FAILOVER_WAIT_MS_MAX / 1000} s (a failover or restart may be under way); retry shortly`,
    1,
  );

const unknownOutcome = (err: unknown) =>
  new OutcomeUnknownError(
    `the connection to PostgreSQL broke after the write was sent (${(err as Error).message}), so whether it was stored is unknown`,
  );
