// The lab's worker-thread setup: one process whose two threads each serve the API on one
// DATA_DIR, stopped like a server, and a thread that cannot open the store reported as the
// reason the host did not start.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createdId, get, post, userBody } from "../../../src/lab/harness/client.ts";
import { StartFailed, startServer, THREAD_ENTRY } from "../../../src/lab/harness/server-process.ts";
import { tempDir } from "../../_helpers.ts";

const startThreads = (approach: string, dataDir = tempDir(`threads-${approach}`)) =>
  startServer({ approach, dataDir, entry: THREAD_ENTRY, env: { THREADS: "2" } });

/** Creates a user through the first thread and reads it through the second. */
async function createThenReadAcross(urls: string[]): Promise<number> {
  const [a, b] = urls as [string, string];
  const created = await post(a, "/users", userBody("Thread", "1"));
  assert.equal(created.status, 201, created.text);
  return (await get(b, `/users/${createdId(created.text)}`)).status;
}

describe("the thread host", () => {
  it("names two addresses, and a map in one thread does not know the other's writes", async () => {
    const host = await startThreads("map");
    try {
      assert.equal(host.urls.length, 2);
      assert.notEqual(host.urls[0], host.urls[1]);
      assert.equal(await createThenReadAcross(host.urls), 404);
    } finally {
      assert.equal(await host.stop(), 0, host.stderr());
    }
  });

  it("serves sqlite coherently across its threads, and a stop ends both", async () => {
    const host = await startThreads("sqlite");
    assert.equal(await createThenReadAcross(host.urls), 200);
    assert.equal(await host.stop(), 0, host.stderr());
    assert.match(host.stderr(), /stopped 2 threads \(SIGTERM\)/);
    for (const url of host.urls) await assert.rejects(fetch(`${url}/health`));
  });

  it("fails to start with the thread's own reason when its second thread cannot open the store", async () => {
    const err = await startThreads("leveldb").then(
      async (h) => {
        await h.stop();
        return assert.fail("a second LevelDB opener started");
      },
      (e: unknown) => e,
    );
    assert.ok(err instanceof StartFailed);
    assert.match(err.reason, /thread 1 exited with code 1: .*LOCK file/);
  });
});
