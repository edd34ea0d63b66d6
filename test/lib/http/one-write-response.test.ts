import assert from "node:assert/strict";
import {
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { OneWriteResponse } from "../../../src/lib/http/one-write-response.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Reply {
  status: number;
  headers: IncomingMessage["headers"];
  chunks: string[];
  /** The server socket's writes to the kernel for this reply: "write", or a writev's size. */
  socketWrites: string[];
}

/**
 * A real node:http server built with OneWriteResponse. Each connection's socket counts the
 * writes the stream makes to the kernel (Writable's _write and _writev), the one thing this
 * response is meant to change.
 */
function serverWith(routes: Record<string, Handler>) {
  let socketWrites: string[] = [];
  const server = createServer({ ServerResponse: OneWriteResponse }, (req, res) => {
    const route = routes[req.url ?? ""];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  server.on("connection", (socket: Socket) => {
    const s = socket as Socket & Record<"_write" | "_writev", (...a: unknown[]) => void>;
    const write = s._write.bind(s);
    const writev = s._writev.bind(s);
    s._write = (...a) => {
      socketWrites.push("write");
      write(...a);
    };
    s._writev = (...a) => {
      socketWrites.push(`writev of ${(a[0] as []).length}`);
      writev(...a);
    };
  });
  const url = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const send = (path: string, method = "GET", onChunk?: (text: string) => void) =>
    new Promise<Reply>((resolve, reject) => {
      socketWrites = [];
      const req = request(`${url()}${path}`, { method, agent: false });
      req.on("response", (res) => {
        const chunks: string[] = [];
        res.setEncoding("utf8").on("data", (c: string) => {
          chunks.push(c);
          onChunk?.(c);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, chunks, socketWrites }),
        );
      });
      req.on("error", reject);
      req.end();
    });
  return { server, send };
}

const BODY = JSON.stringify({ id: "u1", name: "Ada", email: "ada@example.com" });
const HEAD = { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) };

describe("OneWriteResponse", () => {
  let release: () => void = () => {};
  let ended = 0;
  const { server, send } = serverWith({
    // srvx's buffered send: the head, one write of the body, then end with a callback.
    "/srvx": (_req, res) => {
      res.writeHead(200, HEAD);
      assert.equal(res.write(BODY), true);
      res.end(() => ended++);
    },
    "/chunked": (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("one body");
      res.end();
    },
    "/stream": (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("a");
      res.write("b");
      res.end("c");
    },
    // The end comes only after the client has read the first chunk: a held chunk that waited
    // for it would never arrive, and this route would hang.
    "/late-end": (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first ");
      release = () => res.end("last");
    },
    "/callback": (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("with callback", () => {
        res.end(" done");
      });
    },
    "/implicit": (_req, res) => {
      res.write("before any head ");
      res.end("and after");
    },
  });
  before(() => new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok)));
  after(() => new Promise<void>((ok) => (server as Server).close(() => ok())));

  it("sends a head and one buffered body in a single socket write", async () => {
    const reply = await send("/srvx");
    assert.equal(reply.status, 200);
    assert.equal(reply.chunks.join(""), BODY);
    assert.equal(reply.headers["content-length"], String(Buffer.byteLength(BODY)));
    assert.deepEqual(reply.socketWrites, ["write"]);
    assert.equal(ended, 1, "end's callback runs");
  });

  it("keeps Node's chunked framing when the head names no length", async () => {
    const reply = await send("/chunked");
    assert.equal(reply.headers["transfer-encoding"], "chunked");
    assert.equal(reply.chunks.join(""), "one body");
  });

  it("streams a body of several writes in order", async () => {
    const reply = await send("/stream");
    assert.equal(reply.chunks.join(""), "abc");
  });

  it("sends a held chunk on the next tick when no end follows it", async () => {
    const reply = await send("/late-end", "GET", (text) => {
      if (text.startsWith("first")) release();
    });
    assert.equal(reply.chunks[0], "first ");
    assert.equal(reply.chunks.join(""), "first last");
  });

  it("passes a write with a callback straight through", async () => {
    const reply = await send("/callback");
    assert.equal(reply.chunks.join(""), "with callback done");
  });

  it("holds nothing before the head is stored", async () => {
    const reply = await send("/implicit");
    assert.equal(reply.status, 200);
    assert.equal(reply.chunks.join(""), "before any head and after");
  });

  it("answers HEAD with the head alone", async () => {
    const reply = await send("/srvx", "HEAD");
    assert.equal(reply.status, 200);
    assert.equal(reply.headers["content-length"], String(Buffer.byteLength(BODY)));
    assert.deepEqual(reply.chunks, []);
  });
});
