// The postgres store through an outage of its server, as a failover looks to the app: every
// connection cut, new ones refused for a while, then a server answering again. A TCP proxy
// in front of the real (embedded) PostgreSQL plays HAProxy's part, cutting sessions and
// refusing connections; the store, the server and PostgreSQL are the real ones.
import assert from "node:assert/strict";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { seed } from "../../src/lab/harness/seed.ts";
import { type ServerProcess, startServer } from "../../src/lab/harness/server-process.ts";
import { service } from "../../src/stores/postgres/index.ts";
import { getText, postJson, tempDir } from "../_helpers.ts";

/** A TCP proxy to `target` that can cut every session and refuse new ones, then let them in. */
async function cuttableProxy(target: URL) {
  const sessions = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = tcpConnect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sessions.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        sessions.delete(s);
        (s === client ? upstream : client).destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target.href);
  url.port = String(port);
  return {
    url: url.href,
    /** Every session ends at once and new ones are refused, as when the primary is lost. */
    cut() {
      open = false;
      for (const s of sessions) s.destroy();
    },
    letIn() {
      open = true;
    },
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

describe("postgres rides out an outage of its server", () => {
  const dataDir = tempDir("pg-failover");
  let stopService: () => Promise<void> = async () => {};
  let direct: string;
  let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
  let server: ServerProcess;

  before(async () => {
    seed({ dataDir, count: 10 });
    const running = await service?.({ dataDir, env: {}, log: () => {} });
    assert.ok(running, "the postgres store has a service");
    stopService = running.stop;
    direct = running.env.DATABASE_URL as string;
    proxy = await cuttableProxy(new URL(direct));
    server = await startServer({ approach: "postgres", dataDir, env: { DATABASE_URL: proxy.url } });
  });
  after(async () => {
    await server?.stop();
    await proxy?.close();
    await stopService();
  });

  it("a write sent while no server answers waits, and is acknowledged once one does", async () => {
    proxy.cut();
    const pending = postJson(server.url, '{"name":"Waited","email":"waited@example.com"}');
    await sleep(1_500);
    proxy.letIn();
    const res = await pending;
    assert.equal(res.status, 201, res.text);
    const id = JSON.parse(res.text).id;
    assert.equal((await getText(`${server.url}/users/${id}`)).status, 200);
  });

  it("a read sent while no server answers waits too, rather than failing", async () => {
    const made = await postJson(server.url, '{"name":"Read","email":"read@example.com"}');
    const id = JSON.parse(made.text).id;
    proxy.cut();
    const pending = getText(`${server.url}/users/${id}`);
    await sleep(1_500);
    proxy.letIn();
    const res = await pending;
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse(res.text).id, id);
  });

  it("a write whose connection breaks once sent is 503, outcome unknown, and may yet be stored", async () => {
    const locker = new pg.Client({ connectionString: direct });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("LOCK TABLE users IN EXCLUSIVE MODE");
      const pending = postJson(server.url, '{"name":"Limbo","email":"limbo@example.com"}');
      await untilWaiting(locker);
      proxy.cut();
      const res = await pending;
      proxy.letIn();
      assert.equal(res.status, 503, res.text);
      const body = JSON.parse(res.text);
      assert.equal(body.outcome, "unknown");
      assert.match(body.error, /whether it was stored is unknown; GET \/users\/[0-9a-f-]+ tells/);
      assert.equal(res.headers.get("location"), body.location);
      assert.doesNotMatch(res.text, /at .*\.ts:\d+/, "no stack trace");
      await locker.query("COMMIT");
      // The backend was waiting for the lock, not reading its socket: it commits anyway, and
      // the client learns so where the 503 said to look.
      assert.equal(await untilFound(`${server.url}${body.location}`), 200);
    } finally {
      await locker.end();
    }
  });

  it("/health says which server writes go to", async () => {
    const res = await getText(`${server.url}/health`);
    assert.equal(res.status, 200, res.text);
    const health = JSON.parse(res.text);
    assert.equal(health.writes_to, `127.0.0.1:${new URL(direct).port}`);
    assert.equal(health.failovers_seen, 0);
  });
});

/** Until another backend waits on a lock: the POST's INSERT, behind the test's LOCK TABLE. */
async function untilWaiting(client: pg.Client): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await client.query(
      // Any other backend: one preparing the INSERT (Parse) still shows its previous query.
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
    );
    if (rows[0].n > 0) return;
    await sleep(50);
  }
  assert.fail("the POST's INSERT never waited on the lock");
}

/** The status of GET `url` once it is 200, or after 5 s. */
async function untilFound(url: string): Promise<number> {
  let status = 0;
  for (let i = 0; i < 100 && status !== 200; i++) {
    if (i) await sleep(50);
    status = (await getText(url)).status;
  }
  return status;
}
