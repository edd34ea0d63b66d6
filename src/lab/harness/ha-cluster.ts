// A PostgreSQL cluster that fails over, from Debian's packages, on loopback: one etcd, three
// PostgreSQL 15 nodes each under Patroni, and HAProxy sending connections to whichever node
// Patroni's REST API says is the primary. Everything runs under one temporary directory, as
// the `postgres` user when the lab runs as root (PostgreSQL refuses root), and is stopped by
// pid at the end. Patroni 3.0.2 (Debian 12; PyPI is out of reach here) predates PostgreSQL
// 16, so the cluster is Debian's PostgreSQL 15, not the embedded 18 of `APPROACH=postgres`.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../../lib/free-port.ts";
import type { ReplicationSettings } from "../results/failover.ts";
import { isHidden } from "./hidden-tools.ts";

/** Debian's packages the cluster needs, and the command each brings. */
export const HA_PACKAGES: Record<string, string> = {
  "postgresql-15": "/usr/lib/postgresql/15/bin/postgres",
  patroni: "/usr/bin/patroni",
  "etcd-server": "/usr/bin/etcd",
  haproxy: "/usr/sbin/haproxy",
};
const PYTHON_ETCD = "python3-etcd";
const BIN_DIR = "/usr/lib/postgresql/15/bin";
const PASSWORD = "needadb";
const NODES = 3;
/** How long the cluster may take to elect a leader and stream to both replicas. */
const READY_TIMEOUT_MS = 90_000;

/** The packages this machine lacks, by Debian name; none: the failover lab can run. */
export function missingPackages(): string[] {
  if (isHidden("patroni")) return [...Object.keys(HA_PACKAGES), PYTHON_ETCD];
  const missing = Object.entries(HA_PACKAGES)
    .filter(([, bin]) => !existsSync(bin))
    .map(([pkg]) => pkg);
  const etcdClient = spawnSync("/usr/bin/python3", ["-c", "import etcd"], { stdio: "ignore" });
  if (etcdClient.status !== 0) missing.push(PYTHON_ETCD);
  return missing;
}

/** What the cluster runs, as its commands report it: "PostgreSQL 15.18, Patroni 3.0.2, …". */
export function stackVersions(): string {
  const first = (cmd: string, args: string[], pattern: RegExp) => {
    const out = spawnSync(cmd, args, { encoding: "utf8" }).stdout ?? "";
    return pattern.exec(out)?.[1] ?? "of unknown version";
  };
  return [
    `PostgreSQL ${first(join(BIN_DIR, "postgres"), ["--version"], /PostgreSQL\) (\S+)/)}`,
    `Patroni ${first(HA_PACKAGES.patroni as string, ["--version"], /patroni (\S+)/)}`,
    `etcd ${first(HA_PACKAGES["etcd-server"] as string, ["--version"], /Version: (\S+)/)}`,
    `HAProxy ${first(HA_PACKAGES.haproxy as string, ["-v"], /version (\d[^\s-]*)/)}`,
  ].join(", ");
}

export interface HaSettings extends ReplicationSettings {
  /** Patroni's leader key lifetime, its loop and its retry timeout, in seconds. */
  ttl: number;
  loop_wait: number;
  retry_timeout: number;
}

export interface HaNode {
  name: string;
  pgPort: number;
  restPort: number;
  dataDir: string;
  patroni: ChildProcess;
}

export interface HaCluster {
  /** postgres://… through HAProxy: always the primary, whichever node that is. */
  url: string;
  /** postgres://… of each node itself, whatever its role. */
  nodeUrls: string[];
  nodes: HaNode[];
  /** The node Patroni names leader now, if any. */
  leader(): Promise<HaNode | undefined>;
  stop(): Promise<void>;
}

/** The uid and gid to run as: postgres's when the lab runs as root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g") };
}

function ownDir(dir: string, as: ReturnType<typeof runAs>): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (as) chownSync(dir, as.uid, as.gid);
  return dir;
}

/**
 * A child in a process group of its own, so that one kill takes it and all it started; what
 * it prints goes to `<name>.log` in the cluster's directory.
 */
function start(
  name: string,
  cmd: string,
  args: string[],
  dir: string,
  as: ReturnType<typeof runAs>,
): ChildProcess {
  const log = openSync(join(dir, `${name}.log`), "a");
  const child = spawn(cmd, args, {
    cwd: dir,
    detached: true,
    stdio: ["ignore", log, log],
    env: { PATH: process.env.PATH, HOME: dir, LANG: "C.UTF-8" },
    ...(as ?? {}),
  });
  closeSync(log);
  child.unref();
  return child;
}

function patroniConfig(node: HaNode, etcdPort: number, s: HaSettings, dir: string) {
  return {
    ...{ scope: "needadb", name: node.name },
    restapi: {
      listen: `127.0.0.1:${node.restPort}`,
      connect_address: `127.0.0.1:${node.restPort}`,
    },
    etcd: { host: `127.0.0.1:${etcdPort}` },
    bootstrap: {
      dcs: {
        ...{ ttl: s.ttl, loop_wait: s.loop_wait, retry_timeout: s.retry_timeout },
        ...{
          maximum_lag_on_failover: s.maximum_lag_on_failover,
          synchronous_mode: s.synchronous_mode,
        },
        synchronous_node_count: s.synchronous_node_count,
        postgresql: {
          use_pg_rewind: true,
          parameters: {
            ...{ wal_log_hints: "on", max_connections: 100 },
            synchronous_commit: s.synchronous_commit,
          },
        },
      },
      initdb: [{ encoding: "UTF8" }],
      pg_hba: ["host replication replicator 127.0.0.1/32 md5", "host all all 127.0.0.1/32 md5"],
    },
    postgresql: {
      ...{ listen: `127.0.0.1:${node.pgPort}`, connect_address: `127.0.0.1:${node.pgPort}` },
      ...{ data_dir: node.dataDir, bin_dir: BIN_DIR, pgpass: join(dir, `${node.name}.pgpass`) },
      authentication: {
        replication: { username: "replicator", password: PASSWORD },
        superuser: { username: "postgres", password: PASSWORD },
      },
      parameters: { unix_socket_directories: dir },
    },
  };
}

function haproxyConfig(port: number, nodes: readonly HaNode[]): string {
  return [
    "global\n  maxconn 400",
    "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 30m\n  timeout server 30m",
    `listen primary\n  bind 127.0.0.1:${port}`,
    // Only the node whose Patroni answers /primary with 200 gets connections, and a node that
    // stops being primary has its connections cut, so no client keeps writing to it.
    "  option httpchk GET /primary\n  http-check expect status 200",
    "  default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions",
    ...nodes.map((n) => `  server ${n.name} 127.0.0.1:${n.pgPort} check port ${n.restPort}`),
    "",
  ].join("\n");
}

interface Member {
  name: string;
  role: string;
  state: string;
  lag?: number | string;
}

async function members(nodes: readonly HaNode[]): Promise<Member[]> {
  for (const n of nodes) {
    try {
      const res = await fetch(`http://127.0.0.1:${n.restPort}/cluster`, {
        signal: AbortSignal.timeout(1_000),
      });
      return ((await res.json()) as { members: Member[] }).members;
    } catch {
      // that node's Patroni does not answer: ask the next
    }
  }
  return [];
}

const pgUrl = (port: number) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;

interface WalSender {
  application_name: string;
  state: string;
  sync_state: string;
}

/** The leader's walsenders, from pg_stat_replication as its Patroni reports it. */
async function walSenders(leader: HaNode): Promise<WalSender[]> {
  try {
    const res = await fetch(`http://127.0.0.1:${leader.restPort}/patroni`, {
      signal: AbortSignal.timeout(1_000),
    });
    return ((await res.json()) as { replication?: WalSender[] }).replication ?? [];
  } catch {
    return [];
  }
}

/**
 * Waits until a leader runs, both replicas stream from it, and under synchronous_mode as many
 * as asked are synchronous. Patroni's member list is not enough: it says "running" with a lag
 * of a replica whose walreceiver has not connected yet (its slot did not exist when it first
 * tried, and it waits 5 s to try again), and a workload started then runs unreplicated.
 */
async function untilReady(
  nodes: readonly HaNode[],
  s: ReplicationSettings,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const syncWanted = s.synchronous_mode ? s.synchronous_node_count : 0;
  while (!signal.aborted && Date.now() < deadline) {
    const m = await members(nodes);
    const name = m.find((x) => x.role === "leader" && x.state === "running")?.name;
    const leader = nodes.find((n) => n.name === name);
    const senders = leader ? await walSenders(leader) : [];
    const streaming = senders.filter((w) => w.state === "streaming");
    const sync = streaming.filter((w) => w.sync_state === "sync" || w.sync_state === "quorum");
    if (streaming.length === NODES - 1 && sync.length >= syncWanted) return;
    await sleep(500);
  }
  throw new Error(
    `the cluster did not elect a leader and stream to both replicas in ${READY_TIMEOUT_MS / 1000} s`,
  );
}

export async function startCluster(
  dir: string,
  s: HaSettings,
  signal: AbortSignal,
): Promise<HaCluster> {
  const as = runAs();
  ownDir(dir, as);
  const etcdPort = await freePort();
  const peerPort = await freePort();
  const peer = `http://127.0.0.1:${peerPort}`;
  const etcd = start(
    "etcd",
    "/usr/bin/etcd",
    [
      ...["--name", "e0", "--data-dir", ownDir(join(dir, "etcd"), as), "--enable-v2=true"],
      ...[
        "--listen-client-urls",
        `http://127.0.0.1:${etcdPort}`,
        "--advertise-client-urls",
        `http://127.0.0.1:${etcdPort}`,
      ],
      ...[
        "--listen-peer-urls",
        peer,
        "--initial-advertise-peer-urls",
        peer,
        "--initial-cluster",
        `e0=${peer}`,
      ],
    ],
    dir,
    as,
  );
  const nodes: HaNode[] = [];
  for (let i = 0; i < NODES; i++) {
    const node = {
      name: `node${i}`,
      pgPort: await freePort(),
      restPort: await freePort(),
      dataDir: join(dir, `node${i}`),
    };
    const config = join(dir, `${node.name}.yml`);
    // JSON is YAML: Patroni reads it as it is.
    writeFileSync(config, JSON.stringify(patroniConfig(node as HaNode, etcdPort, s, dir), null, 2));
    if (as) chownSync(config, as.uid, as.gid);
    nodes.push({ ...node, patroni: start(node.name, "/usr/bin/patroni", [config], dir, as) });
    if (i === 0) await sleep(2_000); // the first bootstraps the cluster; the others then join it
  }
  const haPort = await freePort();
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, haproxyConfig(haPort, nodes));
  const haproxy = start("haproxy", "/usr/sbin/haproxy", ["-f", cfg, "-db"], dir, undefined);
  const all = () => [etcd, haproxy, ...nodes.map((n) => n.patroni)];
  // However the lab ends (a second Ctrl-C exits at once), nothing of the cluster is left.
  const onExit = () => killAll(all(), nodes);
  process.on("exit", onExit);
  const cluster: HaCluster = {
    url: pgUrl(haPort),
    nodeUrls: nodes.map((n) => pgUrl(n.pgPort)),
    nodes,
    async leader() {
      const m = await members(nodes);
      const name = m.find((x) => x.role === "leader" && x.state === "running")?.name;
      return nodes.find((n) => n.name === name);
    },
    stop: async () => {
      await stopAll(all(), nodes);
      process.removeListener("exit", onExit);
    },
  };
  try {
    await untilReady(nodes, s, signal);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** The postmaster of `node`, from its postmaster.pid; undefined when it is not running. */
export function postmasterOf(node: HaNode): number | undefined {
  try {
    const pid = Number(readFileSync(join(node.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A postmaster's backends (its children), only those whose title holds `title` if given. */
export function backendsOf(postmaster: number, title = ""): number[] {
  return readdirSync("/proc").flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      return ppid === postmaster && cmdline.includes(title) ? [Number(entry)] : [];
    } catch {
      return [];
    }
  });
}

const kill = (pid: number | undefined, signal: NodeJS.Signals) => {
  try {
    if (pid) process.kill(pid, signal);
  } catch {
    // gone already
  }
};

/**
 * A postmaster and its backends, killed at once. The backends are listed first: once the
 * postmaster is gone they belong to init, and one a stall-node trial stopped (SIGSTOP) would
 * never notice its postmaster died, and would be left behind for good.
 */
function killPostgres(node: HaNode): void {
  const pm = postmasterOf(node);
  const backends = pm ? backendsOf(pm) : [];
  kill(pm, "SIGKILL");
  for (const b of backends) kill(b, "SIGKILL");
}

/** A node's machine lost: Patroni, the postmaster and every backend, at once. */
export function killNode(node: HaNode): void {
  kill(-(node.patroni.pid as number), "SIGKILL");
  killPostgres(node);
}

export const killPatroni = (node: HaNode) => kill(node.patroni.pid, "SIGKILL");
export const killPostmaster = (node: HaNode) => kill(postmasterOf(node), "SIGKILL");
export const pauseWalsenders = (node: HaNode, signal: "SIGSTOP" | "SIGCONT") => {
  const pm = postmasterOf(node);
  for (const w of pm ? backendsOf(pm, "walsender") : []) kill(w, signal);
};

/** Asks every process group to stop, then kills what is left. */
async function stopAll(children: ChildProcess[], nodes: readonly HaNode[]): Promise<void> {
  for (const c of children) kill(-(c.pid as number), "SIGTERM");
  await sleep(2_000);
  killAll(children, nodes);
}

/** Kills every process group, and every PostgreSQL (Patroni starts it in a session of its own). */
function killAll(children: ChildProcess[], nodes: readonly HaNode[]): void {
  for (const c of children) kill(-(c.pid as number), "SIGKILL");
  for (const n of nodes) killPostgres(n);
}
