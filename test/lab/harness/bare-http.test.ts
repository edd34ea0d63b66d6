import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  BARE_ENTRY,
  BARE_NAME,
  type ServerProcess,
  startServer,
} from "../../../src/lab/harness/server-process.ts";
import { tempDir } from "../../_helpers.ts";

const ID = "0b7c2f4e-9d1a-4c3b-8e2f-5a6b7c8d9e0f";
const BODY = '{"name":"Ada Lovelace","email":"ada@example.com"}';

async function ask(url: string, method: string, body?: string) {
  const res = await fetch(url, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body,
  });
  return { status: res.status, type: res.headers.get("content-type"), res, text: await res.text() };
}

describe("the bare node:http ceiling", () => {
  let bare: ServerProcess;
  let app: ServerProcess;
  before(async () => {
    const dir = tempDir("bare");
    bare = await startServer({ approach: BARE_NAME, entry: BARE_ENTRY, dataDir: dir });
    app = await startServer({ approach: "null", dataDir: dir });
  });
  after(async () => {
    await bare?.stop();
    await app?.stop();
  });

  it("answers a read with the same bytes as the null store", async () => {
    const [a, b] = [
      await ask(`${bare.url}/users/${ID}`, "GET"),
      await ask(`${app.url}/users/${ID}`, "GET"),
    ];
    assert.equal(a.status, 200);
    assert.equal(a.text, b.text);
    assert.equal(a.type, b.type);
  });

  it("answers a write with a new user, as the null store does", async () => {
    const [a, b] = [
      await ask(`${bare.url}/users`, "POST", BODY),
      await ask(`${app.url}/users`, "POST", BODY),
    ];
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const [ua, ub] = [JSON.parse(a.text), JSON.parse(b.text)];
    assert.deepEqual(Object.keys(ua), Object.keys(ub));
    assert.equal(ua.name, "Ada Lovelace");
    assert.equal(a.text.length, b.text.length, "the same size of answer");
    assert.equal(a.res.headers.get("location"), `/users/${ua.id}`);
  });

  it("counts its answers for the lab, over IPC", async () => {
    const before = await bare.answered();
    await ask(`${bare.url}/users/${ID}`, "GET");
    assert.equal(await bare.answered(), before + 1);
  });
});
