import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { seed } from "../src/lab/harness/seed.ts";
import { SERVER_ENTRY, startServer } from "../src/lab/harness/server-process.ts";
import { USERS_FILE } from "../src/lib/files/user-log.ts";
import { APPROACHES, loadStore } from "../src/stores/index.ts";
import { getText, postJson, tempDir } from "./_helpers.ts";

/** One request on a connection of its own. */
function onNewConnection(
  url: string,
  method = "GET",
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      agent: false,
      headers: body ? { "content-type": "application/json" } : {},
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function runServer(env: Record<string, string>) {
  return spawnSync(process.execPath, [SERVER_ENTRY], {
    env: { ...process.env, PORT: "0", ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
}

describe("server start-up", () => {
  it("explains itself with --help", () => {
    const run = spawnSync(process.execPath, [SERVER_ENTRY, "--help"], { encoding: "utf8" });
    assert.equal(run.status, 0);
    assert.match(run.stdout, /APPROACH/);
    for (const a of APPROACHES) assert.ok(run.stdout.includes(a), `lists ${a}`);
  });

  it("refuses an unknown APPROACH and lists the valid ones", () => {
    const run = runServer({ APPROACH: "mongo", DATA_DIR: tempDir("unknown") });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /unknown APPROACH "mongo"/);
    for (const a of APPROACHES) assert.ok(run.stderr.includes(a), `lists ${a}`);
  });

  it("refuses a DATA_DIR that is a file, or below one, in one line that says what to set", () => {
    const file = join(tempDir("datadir-file"), "not-a-dir");
    writeFileSync(file, "x");
    for (const dataDir of [file, join(file, "below")]) {
      const run = runServer({ APPROACH: "map", DATA_DIR: dataDir });
      assert.equal(run.status, 1, run.stderr);
      assert.match(
        run.stderr,
        /DATA_DIR .* cannot be used: it, or a folder above it, is a file\. Set DATA_DIR/,
      );
      assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
    }
  });

  it("refuses a DATA_DIR on a read-only filesystem in one line, for every store", {
    skip: process.getuid?.() === 0 ? undefined : "mounting a read-only tmpfs needs root",
  }, () => {
    const dir = tempDir("readonly");
    assert.equal(spawnSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", dir]).status, 0);
    try {
      for (const approach of ["sqlite", "postgres", "map"]) {
        const r = runServer({ APPROACH: approach, DATA_DIR: dir });
        assert.equal(r.status, 1, approach);
        assert.equal(
          r.stderr.trim(),
          `needadb: DATA_DIR ${dir} cannot be used: it is on a read-only filesystem (EROFS). Set DATA_DIR to a directory this user can write.`,
        );
      }
    } finally {
      spawnSync("umount", [dir]);
    }
  });

  it("refuses a PORT that is not a port", () => {
    const run = runServer({ APPROACH: "null", PORT: "eighty", DATA_DIR: tempDir("port") });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /PORT must be a whole number/);
  });

  it("says what to do when the port is taken", async () => {
    const dir = tempDir("taken");
    const first = await startServer({ approach: "null", dataDir: dir });
    try {
      const run = runServer({ APPROACH: "null", PORT: String(first.port), DATA_DIR: dir });
      assert.equal(run.status, 1);
      assert.match(run.stderr, new RegExp(`port ${first.port} .* is in use.*PORT=`));
    } finally {
      await first.stop();
    }
  });

  it("starts on a torn last line, drops it and logs it", async () => {
    const dir = tempDir("torn");
    seed({ dataDir: dir, count: 10 });
    const intact = readFileSync(join(dir, USERS_FILE), "utf8");
    appendFileSync(join(dir, USERS_FILE), '{"id":"4b6c1a0e-2f6d-4c1c-9a3e-7');
    const server = await startServer({ approach: "map", dataDir: dir });
    try {
      assert.match(
        server.stderr(),
        /users\.jsonl: set aside \d+ bytes from offset \d+ in recovered\/users\.jsonl\.bytes-\d+-\d+\.crc-[0-9a-f]{8}: a torn last record/,
      );
      assert.equal(JSON.parse((await getText(`${server.url}/health`)).text).records, 10);
      const created = await postJson(server.url, '{"name":"After","email":"a@b.c"}');
      assert.equal(created.status, 201);
      assert.equal(readFileSync(join(dir, USERS_FILE), "utf8"), `${intact}${created.text}\n`);
    } finally {
      await server.stop();
    }
  });

  it("refuses to start on a corrupt line in the middle, naming the file and line", () => {
    const dir = tempDir("corrupt");
    seed({ dataDir: dir, count: 5 });
    const lines = readFileSync(join(dir, USERS_FILE), "utf8").split("\n");
    lines[2] = "{garbage";
    writeFileSync(join(dir, USERS_FILE), lines.join("\n"));
    const run = runServer({ APPROACH: "map", DATA_DIR: dir });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /users\.jsonl, line 3: not valid JSON/);
    assert.doesNotMatch(run.stderr, / {4}at /, "a message, not a stack trace");
  });

  it("refuses WORKERS for a store that keeps per-process state, naming those that can", async () => {
    const run = runServer({ APPROACH: "map", WORKERS: "2", DATA_DIR: tempDir("workers-map") });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /APPROACH=map cannot run in several processes: .*in-memory copy/);
    const named = /WORKERS=1, or choose a store that can: ([^.]+)\./.exec(run.stderr)?.[1];
    const able = [];
    for (const a of APPROACHES) if ((await loadStore(a)).processes.many) able.push(a);
    assert.deepEqual(named?.split(", "), able, "every store whose traits allow several processes");
    for (const a of ["sqlite", "postgres"]) assert.ok(able.includes(a), a);
    assert.ok(!able.includes("map"));
  });

  it("refuses a DATABASE_URL that is not a URL, saying what to set", () => {
    const run = runServer({
      APPROACH: "postgres",
      DATABASE_URL: "nonsense",
      DATA_DIR: tempDir("bad-url"),
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /DATABASE_URL is not a URL; set it like postgres:\/\/.*or unset it/);
  });

  it("refuses a WORKERS that is not a count", () => {
    const run = runServer({
      APPROACH: "sqlite",
      WORKERS: "zero",
      DATA_DIR: tempDir("workers-bad"),
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /WORKERS must be a whole number from 1 to/);
  });

  for (const approach of ["sqlite", "map-shared"] as const)
    it(`${approach}: WORKERS=2 processes on one port serve the same data, and stop together`, async () => {
      const dir = tempDir(`workers-${approach}`);
      const server = await startServer({ approach, dataDir: dir, env: { WORKERS: "2" } });
      const pids = new Set<number>();
      const ids: string[] = [];
      try {
        // A new connection each time (fetch would reuse one), so the primary deals them out.
        for (let i = 0; i < 20; i++) {
          const body = JSON.stringify({ name: `Worker test ${i}`, email: `w${i}@example.com` });
          const created = await onNewConnection(`${server.url}/users`, "POST", body);
          assert.equal(created.status, 201, created.text);
          ids.push((JSON.parse(created.text) as { id: string }).id);
        }
        // Asked in a row: alternating with the POSTs above, every /health would meet one worker.
        for (let i = 0; i < 4; i++) {
          const health = await onNewConnection(`${server.url}/health`);
          pids.add((JSON.parse(health.text) as { pid: number }).pid);
        }
        assert.equal(pids.size, 2, "both workers answered");
        for (const id of ids) {
          const res = await onNewConnection(`${server.url}/users/${id}`);
          assert.equal(res.status, 200, `user ${id}, whichever worker answers`);
        }
      } finally {
        assert.equal(await server.stop(), 0, server.stderr());
      }
      for (const pid of pids)
        assert.throws(() => process.kill(pid, 0), "no worker is left running");
      assert.match(server.stderr(), /stopped \(2 workers\)/);
    });

  it("a graceful stop answers what it has read with Connection: close, closes idle connections and exits in its grace", async () => {
    const dataDir = tempDir("graceful");
    let server = await startServer({ approach: "jsonl-group", dataDir });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    // An idle keep-alive connection: one answered request, then nothing.
    const idle = new Agent({ keepAlive: true, maxSockets: 1 });
    const warm = request(`${server.url}/health`, { agent: idle });
    const idleSocket = await new Promise<Socket>((resolve) => {
      warm.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve(warm.socket as Socket));
      });
      warm.end();
    });
    const idleClosed = new Promise<void>((resolve) => idleSocket.once("close", () => resolve()));
    // A request in flight: headers sent, half the body, the rest after the stop signal.
    const body = '{"name":"Grace","email":"grace@example.com"}';
    const inFlight = request(`${server.url}/users`, {
      agent,
      method: "POST",
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    });
    const answered = new Promise<{ status: number; connection?: string; text: string }>(
      (resolve, reject) => {
        inFlight.on("response", (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (c) => (text += c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text }),
          );
        });
        inFlight.on("error", reject);
      },
    );
    inFlight.write(body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 200));
    const signalled = performance.now();
    server.child.kill("SIGTERM");
    await idleClosed;
    inFlight.end(body.slice(10));
    const answer = await answered;
    assert.equal(answer.status, 201, answer.text);
    assert.equal(answer.connection, "close");
    assert.equal(await server.exited, 0);
    assert.ok(performance.now() - signalled < 2_000, "exited within its grace");
    await assert.rejects(onNewConnection(`${server.url}/health`), /ECONNREFUSED/);
    agent.destroy();
    idle.destroy();

    server = await startServer({ approach: "jsonl-group", dataDir });
    try {
      const id = (JSON.parse(answer.text) as { id: string }).id;
      assert.equal((await getText(`${server.url}/users/${id}`)).text, answer.text);
    } finally {
      await server.stop();
    }
  });

  it("logs a client that went away mid-body in one short line, not as a server error", async () => {
    const server = await startServer({ approach: "map", dataDir: tempDir("abort") });
    try {
      const req = request(`${server.url}/users`, {
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", "content-length": "100" },
      });
      req.on("error", () => {});
      req.write('{"name":"Cut');
      await new Promise((r) => setTimeout(r, 100));
      req.destroy();
      const deadline = performance.now() + 5_000;
      while (!/cut short/.test(server.stderr()) && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      assert.match(server.stderr(), /POST \/users: the request body was cut short/);
      assert.doesNotMatch(server.stderr(), /error:|\n\s+at /);
    } finally {
      await server.stop();
    }
  });

  it("stops on SIGINT and exits 0", async () => {
    const server = await startServer({ approach: "sqlite-batched", dataDir: tempDir("sigint") });
    server.child.kill("SIGINT");
    assert.equal(await server.exited, 0);
    assert.match(server.stderr(), /stopped \(SIGINT\)/);
  });
});
