import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import {
  BodyCutShortError,
  BodyTooLargeError,
  readNodeBody,
} from "../../../src/lib/http/http-body.ts";

const LIMIT = 1024;
/** What the server's read gave for each request, by the request's x-test header. */
const outcomes = new Map<string, Promise<Buffer>>();
const server = createServer((req, res) => {
  const read = readNodeBody(req, LIMIT);
  outcomes.set(String(req.headers["x-test"]), read);
  read.then(
    (body) => res.end(`read ${body.length}`),
    (err: Error) => res.writeHead(400).end(err.name),
  );
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
after(() => server.close());

/** Sends `chunks` one by one, with or without a Content-Length. */
function send(test: string, chunks: Buffer[], length?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "x-test": test };
    if (length !== undefined) headers["content-length"] = String(length);
    const req = request(`${url}/`, { method: "POST", headers, agent: false });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("readNodeBody", () => {
  it("gives the body's bytes exactly as sent, whole or chunked", async () => {
    const body = Buffer.from([0x7b, 0xff, 0x00, 0xe2, 0x82, 0x7d]); // not UTF-8: kept as bytes
    assert.equal(await send("whole", [body], body.length), "read 6");
    assert.deepEqual(await outcomes.get("whole"), body);
    const parts = [Buffer.from("ab"), Buffer.from("cd"), Buffer.from("ef")];
    assert.equal(await send("chunked", parts), "read 6");
    assert.deepEqual(await outcomes.get("chunked"), Buffer.from("abcdef"));
  });

  it("stops at the limit, with or without a Content-Length", async () => {
    const exact = Buffer.alloc(LIMIT, 0x61);
    assert.equal(await send("exact", [exact], LIMIT), `read ${LIMIT}`);
    const over = Buffer.alloc(LIMIT + 1, 0x61);
    assert.equal(await send("announced", [over], over.length), "BodyTooLargeError");
    const pieces = Array.from({ length: 8 }, () => Buffer.alloc(LIMIT / 2, 0x62));
    assert.equal(await send("streamed", pieces), "BodyTooLargeError");
    await assert.rejects(outcomes.get("streamed") as Promise<Buffer>, BodyTooLargeError);
  });

  it("rejects with BodyCutShortError when the client goes away mid-body", async () => {
    const req = request(`${url}/`, {
      method: "POST",
      agent: false,
      headers: { "x-test": "gone", "content-length": "100" },
    });
    req.on("error", () => {});
    req.write("only part of it");
    while (!outcomes.has("gone")) await new Promise((r) => setTimeout(r, 10));
    req.destroy();
    await assert.rejects(outcomes.get("gone") as Promise<Buffer>, BodyCutShortError);
  });
});
