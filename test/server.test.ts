import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { seed } from "../src/lab/seed.ts";
import { SERVER_ENTRY, startServer } from "../src/lab/server-process.ts";
import { USERS_FILE } from "../src/lib/user-log.ts";
import { APPROACHES } from "../src/stores/index.ts";
import { getText, postJson, tempDir } from "./_helpers.ts";

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
      assert.match(server.stderr(), /users\.jsonl: dropped a torn last record/);
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

  it("stops on SIGINT and exits 0", async () => {
    const server = await startServer({ approach: "sqlite-batched", dataDir: tempDir("sigint") });
    server.child.kill("SIGINT");
    assert.equal(await server.exited, 0);
    assert.match(server.stderr(), /stopped \(SIGINT\)/);
  });
});
