// The contract every approach keeps, checked through the real HTTP server in a child
// process on an ephemeral port, on real files. Each approach gets a freshly seeded directory.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EMAIL_MAX_CHARS, MAX_BODY_BYTES, NAME_MAX_CHARS } from "../../src/app.ts";
import { IDS_FILE, seed } from "../../src/lab/harness/seed.ts";
import { type ServerProcess, startServer } from "../../src/lab/harness/server-process.ts";
import { isId } from "../../src/lib/user.ts";
import { APPROACHES } from "../../src/stores/index.ts";
import { getText, postJson as postUser, rawPost, snapshot, tempDir } from "../_helpers.ts";

const JSON_TYPE: Record<string, string> = { "content-type": "application/json" };

const SEEDED = 200;
const CONCURRENT_CREATES = 200;

/** Bodies that must be refused, each with its status and a word the error must contain. */
const BAD_BODIES: { name: string; body: string; status: number; says: RegExp; type?: string }[] = [
  { name: "invalid JSON", body: '{"name":', status: 400, says: /not valid JSON/ },
  { name: "empty body", body: "", status: 400, says: /empty/ },
  { name: "whitespace body", body: "  \n", status: 400, says: /empty/ },
  { name: "an array", body: "[1,2]", status: 400, says: /JSON object.*array/ },
  { name: "a string", body: '"ada"', status: 400, says: /JSON object.*string/ },
  { name: "null", body: "null", status: 400, says: /JSON object.*null/ },
  { name: "missing name", body: '{"email":"a@b.c"}', status: 400, says: /name is required/ },
  { name: "missing email", body: '{"name":"Ada"}', status: 400, says: /email is required/ },
  {
    name: "number name",
    body: '{"name":7,"email":"a@b.c"}',
    status: 400,
    says: /name must be a string/,
  },
  {
    name: "blank name",
    body: '{"name":"  \\t ","email":"a@b.c"}',
    status: 400,
    says: /name must not be blank/,
  },
  {
    name: "email without @",
    body: '{"name":"Ada","email":"ada.example.com"}',
    status: 400,
    says: /email must contain @/,
  },
  {
    name: "over-long name",
    body: JSON.stringify({ name: "n".repeat(NAME_MAX_CHARS + 1), email: "a@b.c" }),
    status: 400,
    says: /name must be at most/,
  },
  {
    name: "over-long email",
    body: JSON.stringify({ name: "Ada", email: `${"e".repeat(EMAIL_MAX_CHARS)}@b.c` }),
    status: 400,
    says: /email must be at most/,
  },
  {
    name: "unknown field",
    body: '{"name":"Ada","email":"a@b.c","admin":true}',
    status: 400,
    says: /unknown field "admin"/,
  },
  {
    name: "lone surrogate",
    body: '{"name":"\\ud800","email":"a@b.c"}',
    status: 400,
    says: /valid Unicode/,
  },
  {
    name: "NUL character",
    body: '{"name":"Ada\\u0000","email":"a@b.c"}',
    status: 400,
    says: /name must not contain the NUL character/,
  },
  {
    name: "body over 64 KiB",
    body: JSON.stringify({ name: "n".repeat(MAX_BODY_BYTES), email: "a@b.c" }),
    status: 413,
    says: /larger than 65536 bytes/,
  },
  {
    name: "text/plain",
    body: '{"name":"Ada","email":"a@b.c"}',
    status: 415,
    says: /application\/json/,
    type: "text/plain",
  },
  {
    name: "no content type",
    body: '{"name":"Ada","email":"a@b.c"}',
    status: 415,
    says: /missing/,
    type: "",
  },
];

/** Names that must come back exactly as sent. */
const AWKWARD_NAMES = [
  'Zoë "the quote" O\'Brien \\ back',
  "two\nlines\r\n\ttabbed",
  "line\u2028separator\u2029paragraph",
  "emoji 😀 family 👩‍👩‍👧 flag 🇳🇿",
  "control \u0001\u001f\u007f",
  "</script><b>html</b>",
];

/**
 * Every approach, and PostgreSQL with two replicas. Reads there come from a replica, which
 * shows a write once it has applied it: the suite's writes ask for that (Prefer:
 * read-your-writes), as any client that reads its own writes at once must.
 */
const CASES = [
  ...APPROACHES.map((approach) => ({
    approach,
    name: approach,
    env: {} as Record<string, string>,
    headers: {} as Record<string, string>,
  })),
  {
    approach: "postgres",
    name: "postgres with 2 replicas",
    env: { POSTGRES_REPLICAS: "2" },
    headers: { prefer: "read-your-writes" },
  },
];

for (const { approach, name: caseName, env, headers: asked } of CASES) {
  const stores = approach !== "null";
  const replicas = Number(env.POSTGRES_REPLICAS ?? 0);
  const postJson = (url: string, body: string, headers = JSON_TYPE) =>
    postUser(url, body, { ...headers, ...asked });
  describe(`${caseName}: the users API contract`, () => {
    const dataDir = tempDir(`contract-${caseName.replaceAll(" ", "-")}`);
    let server: ServerProcess;
    let seededIds: string[] = [];
    const created = new Map<string, string>(); // id -> the 201's body

    before(async () => {
      seed({ dataDir, count: SEEDED });
      seededIds = readFileSync(join(dataDir, IDS_FILE), "utf8").trim().split("\n");
      server = await startServer({ approach, dataDir, env });
    });
    after(() => server?.stop());

    it("creates a user: 201, Location, UUID id and ISO timestamp", async () => {
      const res = await postJson(server.url, '{"name":"Ada Lovelace","email":"ada@example.com"}');
      assert.equal(res.status, 201, res.text);
      const user = JSON.parse(res.text);
      assert.ok(isId(user.id), `id ${user.id} is a v4 UUID`);
      assert.equal(user.name, "Ada Lovelace");
      assert.equal(user.email, "ada@example.com");
      assert.equal(new Date(user.created_at).toISOString(), user.created_at);
      assert.deepEqual(Object.keys(user), ["id", "name", "email", "created_at"]);
      assert.equal(res.headers.get("location"), `/users/${user.id}`);
      if (asked.prefer) assert.equal(res.headers.get("preference-applied"), asked.prefer);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      created.set(user.id, res.text);
    });

    it("reads back what it created, byte for byte", async () => {
      for (const [id, body] of created) {
        const res = await getText(`${server.url}/users/${id}`);
        assert.equal(res.status, 200);
        if (stores) assert.equal(res.text, body);
      }
    });

    it("reads seeded users", { skip: !stores && "null stores nothing" }, async () => {
      for (const id of [seededIds[0], seededIds[SEEDED >> 1], seededIds[SEEDED - 1]]) {
        const res = await getText(`${server.url}/users/${id}`);
        assert.equal(res.status, 200, `seeded ${id}`);
        assert.equal(JSON.parse(res.text).id, id);
      }
    });

    it("answers 404 with a JSON error for an unknown or malformed id", async () => {
      if (stores) {
        const unknown = await getText(`${server.url}/users/00000000-0000-4000-8000-00000000beef`);
        assert.equal(unknown.status, 404);
        assert.match(JSON.parse(unknown.text).error, /no user with id/);
      }
      for (const id of ["nope", "..%2F..%2Fetc%2Fpasswd", "0".repeat(36), "%ZZ"]) {
        const res = await getText(`${server.url}/users/${id}`);
        assert.equal(res.status, 404, id);
        assert.ok(JSON.parse(res.text).error);
      }
    });

    it("finds users by email: seeded, created a moment ago, exact match only", {
      skip: !stores && "null stores nothing",
    }, async () => {
      const find = async (email: string) => {
        const res = await getText(`${server.url}/users?email=${encodeURIComponent(email)}`);
        assert.equal(res.status, 200, res.text);
        assert.match(res.text, /^\[/);
        return JSON.parse(res.text) as { id: string; email: string }[];
      };
      const seeded = (await getText(`${server.url}/users/${seededIds[7]}`)).text;
      const { email } = JSON.parse(seeded) as { email: string };
      assert.deepEqual(await find(email), [JSON.parse(seeded)]);
      assert.deepEqual(await find(email.toUpperCase()), [], "exact match: case counts");
      assert.deepEqual(await find("nobody@example.com"), []);
      const twin = "twin+lookup@example.com";
      const made = [];
      for (const name of ["First twin", "Second twin"]) {
        const res = await postJson(server.url, JSON.stringify({ name, email: twin }));
        assert.equal(res.status, 201, res.text);
        made.push(JSON.parse(res.text) as { id: string });
        created.set(made.at(-1)?.id as string, res.text);
      }
      const found = await find(twin);
      assert.deepEqual(found.map((u) => u.id).sort(), made.map((u) => u.id).sort());
      assert.deepEqual(await find("Twin+lookup@example.com"), []);
    });

    it("refuses a lookup by email that does not name exactly one email, with a 400 that says so", async () => {
      const cases: [string, RegExp][] = [
        ["", /email is required/],
        ["?email=", /email must not be empty/],
        ["?email=a@b.c&email=d@e.f", /give email once/],
        ["?email=a@b.c&name=Ada", /unknown query parameter "name"/],
        ["?name=Ada", /unknown query parameter "name"/],
      ];
      for (const [query, says] of cases) {
        const res = await getText(`${server.url}/users${query}`);
        assert.equal(res.status, 400, `${query}: ${res.text}`);
        assert.match(JSON.parse(res.text).error, says, query);
        assert.match(JSON.parse(res.text).error, /GET \/users\?email=/, "says how to ask");
      }
    });

    it("answers HEAD wherever it answers GET: the same status and headers, no body", async () => {
      for (const path of [
        `/users/${seededIds[0]}`,
        "/health",
        "/users?email=a%40b.c",
        "/nowhere",
      ]) {
        const get = await fetch(`${server.url}${path}`);
        await get.arrayBuffer();
        const head = await fetch(`${server.url}${path}`, { method: "HEAD" });
        assert.equal(head.status, get.status, path);
        assert.equal(head.headers.get("content-type"), get.headers.get("content-type"), path);
        assert.equal((await head.arrayBuffer()).byteLength, 0, path);
      }
    });

    it("routes: 404 for unknown paths, 405 with Allow for the wrong method", async () => {
      const missing = await getText(`${server.url}/nowhere`);
      assert.equal(missing.status, 404);
      assert.match(JSON.parse(missing.text).error, /no route/);
      const cases: [string, string, string][] = [
        ["PUT", "/users/00000000-0000-4000-8000-000000000000", "GET, HEAD"],
        ["PUT", "/users", "GET, HEAD, POST"],
        ["DELETE", "/users", "GET, HEAD, POST"],
        ["POST", "/health", "GET, HEAD"],
      ];
      for (const [method, path, allow] of cases) {
        const res = await fetch(`${server.url}${path}`, { method });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.get("allow"), allow);
        assert.match(((await res.json()) as { error: string }).error, /method not allowed/);
      }
    });

    it("refuses bad input with a 4xx that names the problem, and writes nothing", async () => {
      await new Promise((r) => setTimeout(r, 100)); // let a batching store go quiet
      const before = snapshot(dataDir);
      const records = async () => JSON.parse((await getText(`${server.url}/health`)).text).records;
      const recordsBefore = await records();
      for (const bad of BAD_BODIES) {
        const res =
          bad.type === ""
            ? await rawPost(server.url, [bad.body], { "content-length": String(bad.body.length) })
            : await postJson(server.url, bad.body, {
                "content-type": bad.type ?? "application/json",
              });
        assert.equal(res.status, bad.status, `${bad.name}: ${res.text}`);
        assert.match(JSON.parse(res.text).error, bad.says, bad.name);
      }
      // Chunked, with no Content-Length: only the limit on the streamed body can stop it.
      const chunk = "x".repeat(8192);
      const chunks = ['{"name":"', ...Array(MAX_BODY_BYTES / chunk.length + 1).fill(chunk), '"}'];
      const chunked = await rawPost(server.url, chunks, {
        "content-type": "application/json",
        "transfer-encoding": "chunked",
      });
      assert.equal(chunked.status, 413, chunked.text);
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(snapshot(dataDir), before, "no file in the data directory changed");
      assert.equal(await records(), recordsBefore, "the store holds no new record");
    });

    it("refuses a body that is not UTF-8 with 400, and writes nothing", async () => {
      const records = async () => JSON.parse((await getText(`${server.url}/health`)).text).records;
      const before = await records();
      // A stray byte, a cut-off sequence, an encoded surrogate, an overlong "/".
      for (const bad of ["ff", "e282", "eda080", "c0af"]) {
        const body = Buffer.concat([
          Buffer.from('{"name":"Ada '),
          Buffer.from(bad, "hex"),
          Buffer.from('","email":"a@b.c"}'),
        ]);
        const res = await fetch(`${server.url}/users`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const text = await res.text();
        assert.equal(res.status, 400, `${bad}: ${text}`);
        assert.match(JSON.parse(text).error, /not valid UTF-8/);
      }
      assert.equal(await records(), before);
    });

    it("round-trips awkward names exactly", async () => {
      for (const name of AWKWARD_NAMES) {
        const res = await postJson(server.url, JSON.stringify({ name, email: "odd@example.com" }));
        assert.equal(res.status, 201, res.text);
        const user = JSON.parse(res.text);
        assert.equal(user.name, name);
        const back = await getText(`${server.url}/users/${user.id}`);
        if (stores) {
          assert.equal(back.text, res.text);
          assert.equal(JSON.parse(back.text).name, name);
        }
        created.set(user.id, res.text);
      }
    });

    it(`takes ${CONCURRENT_CREATES} concurrent creates with distinct ids`, async () => {
      const results = await Promise.all(
        Array.from({ length: CONCURRENT_CREATES }, (_, i) =>
          postJson(
            server.url,
            JSON.stringify({ name: `Parallel ${i}`, email: `p${i}@example.com` }),
          ),
        ),
      );
      for (const r of results) assert.equal(r.status, 201, r.text);
      const ids = results.map((r) => JSON.parse(r.text).id as string);
      assert.equal(new Set(ids).size, CONCURRENT_CREATES);
      for (const r of results) created.set(JSON.parse(r.text).id, r.text);
      if (stores) {
        for (const id of ids)
          assert.equal((await getText(`${server.url}/users/${id}`)).status, 200);
      }
    });

    it("reports its approach, durability and record count on /health", async () => {
      const health = JSON.parse((await getText(`${server.url}/health`)).text);
      assert.equal(health.approach, approach);
      assert.ok(["power-loss", "process-crash", "nothing"].includes(health.durability.survives));
      assert.ok(health.durability.claim.length > 0);
      assert.equal(health.records, stores ? SEEDED + created.size : 0);
      if (replicas > 0) {
        assert.equal(health.replicas.length, replicas, "every replica is listed");
        for (const r of health.replicas) assert.ok(r.serving_reads, JSON.stringify(r));
        const reads = health.replicas.map((r: { reads: number }) => r.reads);
        assert.ok(
          reads.every((n: number) => n > 0),
          `each replica served reads: ${reads}`,
        );
      }
    });

    it("keeps every acknowledged user across a graceful restart", {
      skip: !stores && "null stores nothing",
    }, async () => {
      assert.equal(await server.stop(), 0, server.stderr());
      server = await startServer({ approach, dataDir, env });
      for (const [id, body] of created) {
        const res = await getText(`${server.url}/users/${id}`);
        assert.equal(res.status, 200, `user ${id} after restart`);
        assert.equal(res.text, body);
      }
      const health = JSON.parse((await getText(`${server.url}/health`)).text);
      assert.equal(health.records, SEEDED + created.size);
    });
  });
}
