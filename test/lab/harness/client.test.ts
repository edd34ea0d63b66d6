// The lab's client never waits for good on a server that has stopped answering.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const CLIENT = fileURLToPath(new URL("../../../src/lab/harness/client.ts", import.meta.url));

describe("the lab's client", () => {
  it("gives up on a request with no answer, and names it", async () => {
    // Accepts the connection, reads the request, never answers.
    const silent = createServer((socket) => socket.resume());
    await new Promise<void>((ok) => silent.listen(0, "127.0.0.1", ok));
    const { port } = silent.address() as { port: number };
    const script = `import { get } from ${JSON.stringify(CLIENT)};
      await get("http://127.0.0.1:${port}", "/health").then(
        () => console.log("answered"),
        (err) => console.log(err.message),
      );`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, NEEDADB_ANSWER_MS_MAX: "300" },
    });
    silent.close();
    assert.equal(child.status, 0, child.stderr);
    assert.equal(
      child.stdout.trim(),
      `GET http://127.0.0.1:${port}/health had no answer within 0.3 s`,
    );
  });
});
