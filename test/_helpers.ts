import { createHash } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after } from "node:test";
import { POSTGRES_DIR } from "../src/stores/postgres/engine.ts";

/**
 * A fresh directory, removed when the test file ends. Readable by others, as a project
 * directory usually is: the embedded PostgreSQL runs as its own user and must reach it.
 */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `needadb-${label}-`));
  chmodSync(dir, 0o755);
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Name, size and hash of every file under `dir`: equal snapshots mean nothing on disk changed.
 * Left out: the embedded PostgreSQL's clusters, which change on their own, and the files that
 * are shared memory rather than data (SQLite's -shm, LMDB's -lock: readers write to them).
 */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const entries = readdirSync(dir, { withFileTypes: true, recursive: true });
  const names = entries
    .filter((e) => e.isFile() && !/-(shm|lock)$/.test(e.name))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((name) => !new RegExp(`^${POSTGRES_DIR}(-replica-\\d+)?/`).test(name));
  for (const name of names.sort()) {
    const bytes = readFileSync(join(dir, name));
    files[name] = `${bytes.length}:${createHash("sha256").update(bytes).digest("hex")}`;
  }
  return files;
}

export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string> = { "content-type": "application/json" },
): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${url}/users`, { method: "POST", headers, body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

export async function getText(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

/**
 * A POST sent with node:http, for what fetch will not send: no Content-Type at all, or a
 * chunked body with no Content-Length. `chunks` are written one by one.
 */
export function rawPost(
  url: string,
  chunks: string[],
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/users`, { method: "POST", headers });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** Processes (other than this one) whose environment or working directory names `marker` (a work dir). */
export function processesMentioning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      // Its environment names the marker, or it runs in a directory under it (a PostgreSQL
      // backend left behind by its postmaster carries neither the marker's name nor its env).
      const env = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (env.includes(marker) || readlinkSync(`/proc/${entry}/cwd`).startsWith(marker))
        found.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return found;
}
