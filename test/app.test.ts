import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createApp, type Health } from "../src/app.ts";
import {
  DiskFullError,
  diskFullMessage,
  FencedError,
  OverloadedError,
} from "../src/lib/storage-errors.ts";
import type { Store } from "../src/stores/_types.ts";

// The thing under test is the app's error handling, so the store here is one that breaks.
function brokenStore(): Store {
  return {
    durability: { survives: "nothing", claim: "test" },
    get() {
      throw new Error("disk on fire");
    },
    insert() {
      return Promise.reject(new Error("disk on fire"));
    },
    findByEmail() {
      throw new Error("disk on fire");
    },
    count: () => 0,
    orders: { unsupported: "test store" },
    close() {},
  };
}

describe("app: server errors", () => {
  it("answers 500 with a JSON error, logs the stack, and never sends it", async () => {
    const logged: string[] = [];
    const fetch = createApp(brokenStore(), { approach: "broken", log: (m) => logged.push(m) });
    const requests = [
      new Request("http://x/users/00000000-0000-4000-8000-000000000000"),
      new Request("http://x/users", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"name":"Ada","email":"a@b.c"}',
      }),
      new Request("http://x/users?email=a%40b.c"),
    ];
    for (const req of requests) {
      const res = await fetch(req);
      assert.equal(res.status, 500);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), {
        error: "internal server error; the server log has the details",
      });
      assert.doesNotMatch(text, /disk on fire|at |\.ts/);
    }
    assert.equal(logged.length, 3);
    assert.match(logged[0] ?? "", /GET \/users\/.* failed: Error: disk on fire\n\s+at /);
  });
});

describe("app: overload", () => {
  it("answers 503 with Retry-After when the store's write queue is full", async () => {
    const store: Store = {
      durability: { survives: "power-loss", claim: "test" },
      orders: { unsupported: "test store" },
      get: () => undefined,
      findByEmail: () => [],
      insert: () =>
        Promise.reject(
          new OverloadedError(
            "the write queue is full (10000 records waiting for the disk); retry shortly",
            1,
          ),
        ),
      count: () => 0,
      close() {},
    };
    const fetch = createApp(store, {
      approach: "full",
      log: () => assert.fail("an overload is not a server error"),
    });
    const res = await fetch(
      new Request("http://x/users", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"name":"Ada","email":"a@b.c"}',
      }),
    );
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), "1");
    assert.match(((await res.json()) as { error: string }).error, /queue is full.*retry/);
  });
});

describe("app: storage failures", () => {
  /** A store whose every write fails with `err`, fenced with `fence` if given. */
  function failingStore(err: unknown, fence?: string): Store {
    return {
      durability: { survives: "power-loss", claim: "test" },
      orders: { unsupported: "test store" },
      get: () => '{"id":"x"}',
      findByEmail: () => [],
      insert: () => Promise.reject(err),
      count: () => 7,
      ...(fence ? { fenced: () => fence } : {}),
      close() {},
    };
  }
  const postUser = () =>
    new Request("http://x/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name":"Ada","email":"a@b.c"}',
    });

  it("answers 507 for a full disk, from the store's own error or an engine's", async () => {
    const errors = [
      new DiskFullError(diskFullMessage("users.jsonl")),
      Object.assign(new Error("database or disk is full"), { errcode: 13 }),
      Object.assign(new Error("could not extend file"), { code: "53100" }),
      Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }),
    ];
    for (const err of errors) {
      const logged: string[] = [];
      const fetch = createApp(failingStore(err), { approach: "t", log: (m) => logged.push(m) });
      const res = await fetch(postUser());
      assert.equal(res.status, 507, String(err));
      assert.equal(res.headers.get("retry-after"), null);
      const { error } = (await res.json()) as { error: string };
      assert.match(
        error,
        /^the disk is full: .* could not be written; nothing was stored\. Free space/,
      );
      assert.doesNotMatch(error, /\bat |\.ts|\//);
      assert.equal(logged.length, 1, "logged once, without a stack");
      assert.doesNotMatch(logged[0] ?? "", /\n\s+at /);
    }
  });

  it("logs a full disk once, not once per refused write", async () => {
    const logged: string[] = [];
    const fetch = createApp(failingStore(new DiskFullError(diskFullMessage("users.db"))), {
      approach: "t",
      log: (m) => logged.push(m),
    });
    for (let i = 0; i < 5; i++) assert.equal((await fetch(postUser())).status, 507);
    assert.equal(logged.length, 1);
  });

  it("answers 503 without Retry-After once fenced, and /health says degraded with the reason", async () => {
    const reason = "fsync of users.jsonl failed (EIO: i/o error, fsync)";
    const fetch = createApp(failingStore(new FencedError(reason), reason), {
      approach: "t",
      log: () => {},
    });
    const res = await fetch(postUser());
    assert.equal(res.status, 503);
    assert.equal(res.headers.get("retry-after"), null);
    assert.match(
      ((await res.json()) as { error: string }).error,
      /fsync .* failed.*restart to recover/,
    );
    const health = (await (await fetch(new Request("http://x/health"))).json()) as Health;
    assert.equal(health.status, "degraded");
    assert.equal(health.reason, `${reason}; restart to recover`);
    assert.equal(health.records, 7, "reads are still served");
    assert.equal(
      (await fetch(new Request("http://x/users/00000000-0000-4000-8000-000000000000"))).status,
      200,
    );
  });

  it("answers /health with 503 'down' when the store cannot read either, never a bare 500", async () => {
    const reason = "LMDB's environment had a fatal error (MDB_PANIC)";
    const down = new FencedError(reason);
    const store = {
      ...failingStore(down, reason),
      get: () => Promise.reject(down),
      count: () => Promise.reject(down),
    };
    const fetch = createApp(store, { approach: "t", log: () => {} });
    const res = await fetch(new Request("http://x/health"));
    assert.equal(res.status, 503);
    const body = (await res.json()) as { status: string; reason: string };
    assert.equal(body.status, "down");
    assert.equal(body.reason, `${reason}; restart to recover`);
    const read = await fetch(new Request("http://x/users/00000000-0000-4000-8000-000000000000"));
    assert.equal(read.status, 503);
    assert.match(((await read.json()) as { error: string }).error, /MDB_PANIC.*restart to recover/);
  });
});
