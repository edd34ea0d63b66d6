import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createApp } from "../src/app.ts";
import { OverloadedError } from "../src/lib/group-commit.ts";
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
