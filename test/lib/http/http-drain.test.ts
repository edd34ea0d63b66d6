import assert from "node:assert/strict";
import { Agent, request } from "node:http";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import { seed } from "../../../src/lab/harness/seed.ts";
import { startServer } from "../../../src/lab/harness/server-process.ts";
import { tempDir } from "../../_helpers.ts";

interface Reply {
  status: number;
  text: string;
  connection?: string;
}

function send(url: string, agent: Agent, method: string, path: string, body?: string) {
  return new Promise<Reply>((resolve, reject) => {
    const headers = body ? { "content-type": "application/json" } : {};
    const req = request(`${url}${path}`, { method, agent, headers });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, text, connection: res.headers.connection }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

const CLIENTS = 16;

/**
 * CLIENTS keep-alive clients POST users without pause, each sending its next request the
 * moment an answer arrives; the server gets SIGTERM `stopAfterMs` in. A client ends on a
 * refused connection (the listener has closed: nothing was sent). Every other failure is
 * counted by its code: a reset is a request that was sent and lost.
 */
async function postUntilStopped(approach: string, dataDir: string, stopAfterMs: number) {
  const server = await startServer({ approach, dataDir });
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const acked: string[] = [];
  const failures: Record<string, number> = {};
  let sent = 0;
  const client = async (c: number) => {
    for (;;) {
      const n = sent++;
      const body = JSON.stringify({ name: `Drain ${c} ${n}`, email: `d${c}.${n}@example.com` });
      try {
        const reply = await send(server.url, agent, "POST", "/users", body);
        if (reply.status === 201) acked.push((JSON.parse(reply.text) as { id: string }).id);
        else failures[`HTTP ${reply.status}`] = (failures[`HTTP ${reply.status}`] ?? 0) + 1;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        if (code === "ECONNREFUSED") return;
        failures[code] = (failures[code] ?? 0) + 1;
      }
    }
  };
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(c));
  await new Promise((r) => setTimeout(r, stopAfterMs));
  const signalled = performance.now();
  server.child.kill("SIGTERM");
  const code = await server.exited;
  const stop_ms = performance.now() - signalled;
  await Promise.all(clients);
  agent.destroy();
  return { code, stop_ms, acked, failures, stderr: server.stderr() };
}

describe("a graceful stop under keep-alive load", () => {
  for (const approach of ["map", "sqlite", "jsonl-group"] as const)
    it(`${approach}: resets no request that was sent, and every acknowledged write reads back`, async () => {
      const dataDir = tempDir(`drain-${approach}`);
      seed({ dataDir, count: 100 });
      const run = await postUntilStopped(approach, dataDir, 1_000);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(run.failures, {}, "no request failed after it was sent");
      assert.ok(run.acked.length > 0, "writes were acknowledged before the stop");
      assert.ok(run.stop_ms < 2_000 + 1_000, `stopped within its grace (${run.stop_ms} ms)`);

      const again = await startServer({ approach, dataDir });
      try {
        const agent = new Agent({ keepAlive: true, maxSockets: 8 });
        const missing = [];
        for (const id of run.acked) {
          const reply = await send(again.url, agent, "GET", `/users/${id}`);
          if (reply.status !== 200) missing.push(id);
        }
        agent.destroy();
        assert.deepEqual(missing, [], "every acknowledged user is there after the restart");
      } finally {
        await again.stop();
      }
    });

  it("answers a request that arrives on an idle connection during its window, with Connection: close", async () => {
    const server = await startServer({ approach: "map", dataDir: tempDir("drain-idle") });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await send(server.url, agent, "GET", "/health");
    assert.equal(first.status, 200);
    assert.equal(first.connection, "keep-alive");
    server.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 100));
    // The same socket, idle when the signal came: Node's own close would have reset it.
    const second = await send(server.url, agent, "GET", "/health");
    assert.equal(second.status, 200);
    assert.equal(second.connection, "close");
    assert.equal(await server.exited, 0);
    agent.destroy();
  });

  it("closes a connection idle past its window at once, and a second signal exits without waiting", async () => {
    const server = await startServer({ approach: "map", dataDir: tempDir("drain-again") });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const warm = request(`${server.url}/health`, { agent });
    const socket = await new Promise<Socket>((resolve) => {
      warm.on("response", (res) => res.resume().on("end", () => resolve(warm.socket as Socket)));
      warm.end();
    });
    await new Promise((r) => setTimeout(r, 700));
    const closed = new Promise<number>((resolve) =>
      socket.once("close", () => resolve(performance.now())),
    );
    // A request that will not finish: headers and part of a body, never the rest.
    const stuck = request(`${server.url}/users`, {
      agent: false,
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "100" },
    });
    stuck.on("error", () => {});
    stuck.write('{"name":');
    await new Promise((r) => setTimeout(r, 100));
    const signalled = performance.now();
    server.child.kill("SIGTERM");
    assert.ok((await closed) - signalled < 300, "the long-idle connection closed at once");
    server.child.kill("SIGTERM");
    assert.equal(await server.exited, 130);
    assert.ok(
      performance.now() - signalled < 1_000,
      "the second signal did not wait for the grace",
    );
    assert.match(server.stderr(), /SIGTERM again, exiting without waiting/);
    stuck.destroy();
    agent.destroy();
  });
});
