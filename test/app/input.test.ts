import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HttpError } from "../../src/app/_answer.ts";
import { NewUserBody, newUserFields, readJsonObject } from "../../src/app/_input.ts";

/** What NewUserBody alone says of a body: its fields, or its message. */
function byZod(value: Record<string, unknown>): { name: string; email: string } | string {
  const parsed = NewUserBody.safeParse(value);
  return parsed.success ? parsed.data : parsed.error.issues.map((i) => i.message).join("; ");
}

function byFastPath(value: Record<string, unknown>): { name: string; email: string } | string {
  try {
    return newUserFields(value);
  } catch (err) {
    assert.ok(err instanceof HttpError);
    assert.equal(err.status, 400);
    return err.message;
  }
}

describe("newUserFields", () => {
  it("accepts and refuses exactly what NewUserBody does, with its messages", () => {
    const bodies: Record<string, unknown>[] = [
      { name: "Ada Lovelace", email: "ada@example.com" },
      { email: "ada@example.com", name: "Ada" },
      { name: "Ada" },
      { email: "a@b" },
      {},
      { name: 1, email: "a@b" },
      { name: "Ada", email: "no-at-sign" },
      { name: "   ", email: "a@b" },
      { name: "x".repeat(200), email: "a@b" },
      { name: "x".repeat(201), email: "a@b" },
      { name: "Ada", email: `${"x".repeat(252)}@b` },
      { name: "Ada", email: `${"x".repeat(253)}@b` },
      { name: "Ada\uD800", email: "a@b" },
      { name: "Ada", email: "a\0@b" },
      { name: "Ada", email: "a@b", mail: "typo" },
      JSON.parse('{"name":"Ada","email":"a@b","__proto__":{}}'),
      { name: "Zoë 李", email: "zoë@例え.jp" },
    ];
    for (const body of bodies)
      assert.deepEqual(byFastPath(body), byZod(body), JSON.stringify(body));
  });
});

describe("readJsonObject", () => {
  const post = (body: Buffer) =>
    new Request("http://x/users", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array(body),
    });

  it("reads a body that starts with a UTF-8 byte-order mark as the JSON after it", async () => {
    const body = Buffer.concat([Buffer.from("efbbbf", "hex"), Buffer.from('{"name":"Bom"}')]);
    assert.deepEqual(await readJsonObject(post(body), "{}"), { name: "Bom" });
  });

  it("refuses bytes that are not UTF-8, even after a byte-order mark", async () => {
    for (const hex of ["efbbbf7bff7d", "7b22c0af227d", "7beda0807d"])
      await assert.rejects(readJsonObject(post(Buffer.from(hex, "hex")), "{}"), /not valid UTF-8/);
  });
});
