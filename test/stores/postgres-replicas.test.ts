// PostgreSQL with read replicas (POSTGRES_REPLICAS=2), through the real server: a replica
// that dies or falls behind is taken out of the reads and reads never fail; a write that
// asks for read-your-writes waits a bounded time; SIGKILL of everything loses no write and
// the next start takes the standbys over; a standby that cannot start is kept and rebuilt.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { seed } from "../../src/lab/harness/seed.ts";
import {
  SERVER_ENTRY,
  type ServerProcess,
  startServer,
} from "../../src/lab/harness/server-process.ts";
import { POSTGRES_DIR } from "../../src/stores/postgres/engine.ts";
import { getText, postJson, tempDir } from "../_helpers.ts";

const REPLICAS = { POSTGRES_REPLICAS: "2" };
const RYW = { "content-type": "application/json", prefer: "read-your-writes" };

interface Replica {
  server: string;
  serving_reads: boolean;
  reason?: string;
  lag_ms: number | null;
  reads: number;
}

async function health(server: ServerProcess): Promise<{ records: number; replicas: Replica[] }> {
  return JSON.parse((await getText(`${server.url}/health`)).text);
}

/** Polls /health until `ok` holds for it, or fails after `ms`. */
async function until(server: ServerProcess, ok: (r: Replica[]) => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const { replicas } = await health(server);
    if (ok(replicas)) return replicas;
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${JSON.stringify(replicas)}`);
    await sleep(100);
  }
}

const pidOf = (dir: string) =>
  Number(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[0]);
const portOf = (dir: string) =>
  Number(readFileSync(join(dir, "postmaster.pid"), "utf8").split("\n")[3]);
const replicaDir = (dataDir: string, i: number) => join(dataDir, `${POSTGRES_DIR}-replica-${i}`);

/** Every process, from /proc: its pid, its parent's pid and its command line. */
function processes(): { pid: number; ppid: number; cmd: string }[] {
  const all = [];
  for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      all.push({ pid: Number(name), ppid, cmd });
    } catch {
      // it exited while we looked
    }
  }
  return all;
}

/** Postgres processes still running on any cluster under `dataDir`, a line each. */
function postgresUnder(dataDir: string): string {
  return processes()
    .filter((p) => p.cmd.includes("postgres -D ") && p.cmd.includes(`${dataDir}/`))
    .map((p) => `${p.pid} ${p.cmd}`)
    .join("\n");
}

/** Waits until every one of `pids` has exited. */
async function gone(pids: number[], ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some((pid) => existsSync(`/proc/${pid}`))) {
    if (Date.now() > deadline) assert.fail(`processes ${pids} still run after ${ms} ms`);
    await sleep(50);
  }
}

async function createUsers(server: ServerProcess, n: number, headers?: Record<string, string>) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await postJson(
      server.url,
      JSON.stringify({ name: `R ${i}`, email: `r${i}@x.io` }),
      headers,
    );
    assert.equal(res.status, 201, res.text);
    ids.push(JSON.parse(res.text).id);
  }
  return ids;
}

describe("postgres with replicas: a replica that fails or lags", () => {
  const dataDir = tempDir("pg-replicas-fail");
  let server: ServerProcess;
  before(async () => {
    seed({ dataDir, count: 100 });
    server = await startServer({ approach: "postgres", dataDir, env: REPLICAS });
  });
  after(async () => {
    await server?.stop();
    assert.equal(postgresUnder(dataDir), "", "no PostgreSQL is left running");
  });

  it("takes a replica that falls behind out of the reads, and back once it catches up", async () => {
    const url = `postgres://postgres:needadb@127.0.0.1:${portOf(replicaDir(dataDir, 2))}/postgres`;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("SELECT pg_wal_replay_pause()");
      const ids = await createUsers(server, 5);
      await sleep(1_300);
      await createUsers(server, 1);
      const out = await until(server, (r) => r[1]?.serving_reads === false);
      assert.match(out[1]?.reason ?? "", /lags by \d+ ms, past 1000 ms/);
      // Only the replica that keeps up serves reads now, so each read sees the writes.
      for (const id of ids) assert.equal((await getText(`${server.url}/users/${id}`)).status, 200);
      await client.query("SELECT pg_wal_replay_resume()");
      await until(server, (r) => r.every((x) => x.serving_reads));
    } finally {
      await client.end();
    }
  });

  it("keeps reading when a replica dies, reports it, and bounds read-your-writes", async () => {
    const ids = await createUsers(server, 20, RYW);
    process.kill(pidOf(replicaDir(dataDir, 1)), "SIGKILL");
    for (const id of ids) assert.equal((await getText(`${server.url}/users/${id}`)).status, 200);
    const replicas = await until(server, (r) => r[0]?.serving_reads === false);
    assert.match(replicas[0]?.reason ?? "", /does not answer|a read failed/);
    assert.ok(replicas[1]?.serving_reads, "the other replica still serves reads");
    // remote_apply waits for both standbys; with one gone it waits its bound, then the write
    // stands (it is durable on the primary) but is not claimed as applied everywhere.
    const started = performance.now();
    const res = await postJson(server.url, '{"name":"Late","email":"late@x.io"}', RYW);
    const waited_ms = performance.now() - started;
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.get("preference-applied"), null);
    assert.ok(waited_ms >= 900 && waited_ms < 5_000, `waited ${Math.round(waited_ms)} ms`);
    const id = JSON.parse(res.text).id;
    assert.equal((await getText(`${server.url}/users/${id}`)).status, 200);
  });
});

describe("postgres with replicas: Ctrl-C", () => {
  it("stops the primary and both replicas, and leaves no process behind", async () => {
    const dataDir = tempDir("pg-replicas-ctrl-c");
    seed({ dataDir, count: 20 });
    // Its own process group, as a terminal makes one: Ctrl-C sends SIGINT to all of it.
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: { ...process.env, ...REPLICAS, APPROACH: "postgres", DATA_DIR: dataDir, PORT: "0" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((r) => child.once("exit", r));
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    child.stderr.resume();
    while (!out.includes("listening")) {
      if (child.exitCode !== null) assert.fail("the server exited before it listened");
      await sleep(100);
    }
    assert.equal(postgresUnder(dataDir).split("\n").length, 3, "a primary and two replicas run");
    process.kill(-(child.pid as number), "SIGINT");
    assert.equal(await exited, 0);
    await sleep(500);
    assert.equal(postgresUnder(dataDir), "", "no PostgreSQL is left running");
  });
});

describe("postgres with replicas: SIGKILL and restarts", () => {
  const dataDir = tempDir("pg-replicas-kill");
  let log = "";
  after(() => assert.equal(postgresUnder(dataDir), "", "no PostgreSQL is left running"));

  it("loses no acknowledged write when the server and the primary die, and takes the standbys over", async () => {
    seed({ dataDir, count: 50 });
    let server = await startServer({ approach: "postgres", dataDir, env: REPLICAS });
    const ids = await createUsers(server, 30, RYW);
    // The primary dies first, then the app server: nothing stops anything cleanly.
    const primaryPid = pidOf(join(dataDir, POSTGRES_DIR));
    const children = processes().filter((p) => p.ppid === primaryPid);
    process.kill(primaryPid, "SIGKILL");
    await server.kill();
    // PostgreSQL's own processes notice their postmaster is gone and exit; until they have,
    // a new postmaster refuses the cluster, whose shared memory they still hold. The dead
    // postmaster itself must also be reaped (by init, once its parent is killed): until then
    // its pid still exists, and PostgreSQL reads postmaster.pid as a server still running.
    await gone([primaryPid, ...children.map((p) => p.pid)]);
    server = await startServer({ approach: "postgres", dataDir, env: REPLICAS });
    log = server.stderr();
    assert.match(log, /stopping standby 1 left running/);
    assert.match(log, /standby 2 streams from the primary/);
    await until(server, (r) => r.length === 2 && r.every((x) => x.serving_reads));
    for (const id of ids) assert.equal((await getText(`${server.url}/users/${id}`)).status, 200);
    assert.equal((await health(server)).records, 80);
    assert.equal(await server.stop(), 0, server.stderr());
  });

  it("keeps a standby that cannot start, and rebuilds it from the primary", async () => {
    appendFileSync(join(replicaDir(dataDir, 1), "postgresql.auto.conf"), "not a setting at all\n");
    const server = await startServer({ approach: "postgres", dataDir, env: REPLICAS });
    try {
      assert.match(server.stderr(), /standby 1 could not resume .*kept as .*set-aside/);
      assert.match(server.stderr(), /rebuilding standby 1 as a copy of the primary/);
      const kept = readdirSync(dataDir).filter((n) => n.includes("replica-1.set-aside-"));
      assert.equal(kept.length, 1, "the broken standby's directory is kept");
      assert.ok(existsSync(join(dataDir, kept[0] as string, "PG_VERSION")));
      await until(server, (r) => r.length === 2 && r.every((x) => x.serving_reads));
      assert.equal((await health(server)).records, 80);
    } finally {
      assert.equal(await server.stop(), 0, server.stderr());
    }
  });
});
