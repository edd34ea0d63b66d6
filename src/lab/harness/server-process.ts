// Starts the real API server as a child process, the way a user would, and knows how to
// stop it. Tests and every lab tool go through here, so no server is ever left behind.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ANSWERED, ASK_ANSWERED } from "../../lib/http/answer-counter.ts";

export const SERVER_ENTRY = fileURLToPath(new URL("../../server.ts", import.meta.url));
/** The bare node:http ceiling (bare-http.ts), started the same way, and its name in results. */
export const BARE_ENTRY = fileURLToPath(new URL("./bare-http.ts", import.meta.url));
export const BARE_NAME = "node:http";
/** The lab's worker-thread setup (thread-host.ts): one process, THREADS servers in threads. */
export const THREAD_ENTRY = fileURLToPath(new URL("./thread-host.ts", import.meta.url));

/** A server that has not printed its address by then is reported as failed to start. */
const START_TIMEOUT_MS = 60_000;
/** After SIGTERM, a server that has not exited by then is killed. */
const STOP_TIMEOUT_MS = 10_000;
/** The last bytes of the server's stderr, kept to explain a failure. */
const STDERR_KEEP_CHARS = 4_000;

export interface ServerProcess {
  url: string;
  /** Every address the "listening" line names: `url`, then a thread host's other threads. */
  urls: string[];
  port: number;
  pid: number;
  /** From spawning the process to its "listening" line: start-up, including opening the store. */
  startup_ms: number;
  child: ChildProcess;
  /** The server's stderr so far (its last STDERR_KEEP_CHARS characters). */
  stderr(): string;
  /** Graceful stop: SIGTERM, then SIGKILL if it hangs. Resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Crash it: SIGKILL, no chance to flush. */
  kill(): Promise<void>;
  /** Answers the server has finished so far (lib/http/answer-counter.ts), asked over IPC. */
  answered(): Promise<number>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Whatever happens to this process, its servers go with it. */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}

export interface StartOptions {
  approach: string;
  dataDir: string;
  /** 0, the default, lets the OS pick a free port. */
  port?: number;
  env?: Record<string, string>;
  /** Extra arguments for node, such as --cpu-prof. */
  nodeArgs?: string[];
  /** The script to run instead of the API server: BARE_ENTRY, the runtime's own ceiling. */
  entry?: string;
}

export function startServer(options: StartOptions): Promise<ServerProcess> {
  installCleanup();
  const spawnedAt = performance.now();
  const entry = options.entry ?? SERVER_ENTRY;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), entry], {
    env: {
      ...process.env,
      ...options.env,
      APPROACH: options.approach,
      DATA_DIR: options.dataDir,
      PORT: String(options.port ?? 0),
      HOST: "127.0.0.1",
    },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  child.channel?.unref();
  running.add(child);
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP_CHARS);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      running.delete(child);
      resolve(code);
    });
  });

  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`${options.approach} server did not start in ${START_TIMEOUT_MS} ms\n${stderr}`),
      );
    }, START_TIMEOUT_MS);
    let stdout = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const line = /listening on (http:\/\/[^\s]+).*\n/.exec(stdout);
      if (!line?.[1]) return;
      clearTimeout(timer);
      const url = line[1].replace(/\/$/, "");
      const urls = [...line[0].matchAll(/http:\/\/[^\s]+/g)].map((m) => m[0].replace(/\/$/, ""));
      resolve({
        startup_ms: performance.now() - spawnedAt,
        url,
        urls: [...new Set(urls)],
        port: Number(new URL(url).port),
        pid: child.pid ?? -1,
        child,
        stderr: () => stderr,
        stop,
        kill,
        exited,
        answered: () => askAnswered(child),
      });
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new StartFailed(options.approach, code, stderr));
    });
  });
}

/** How long a server may take to answer ASK_ANSWERED before the sampler gives up on it. */
const ANSWERED_TIMEOUT_MS = 2_000;

function askAnswered(child: ChildProcess): Promise<number> {
  if (!child.connected) return Promise.reject(new Error("the server has exited"));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      reject(
        new Error(`the server did not say how many answers it sent in ${ANSWERED_TIMEOUT_MS} ms`),
      );
    }, ANSWERED_TIMEOUT_MS);
    const onMessage = (m: { type?: string; answered?: number }) => {
      if (m?.type !== ANSWERED || typeof m.answered !== "number") return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(m.answered);
    };
    child.on("message", onMessage);
    child.send({ type: ASK_ANSWERED });
  });
}

/** The server exited before it listened; `reason` is the last line it logged (why it gave up). */
export class StartFailed extends Error {
  readonly reason: string;
  constructor(approach: string, code: number | null, stderr: string) {
    super(`${approach} server exited with code ${code} before it started\n${stderr}`);
    this.name = "StartFailed";
    this.reason = stderr.trim().split("\n").at(-1) ?? "";
  }
}

/**
 * Runs `fn`, which starts a second server on one DATA_DIR. For a store that says it serves
 * one process (`many` false), a server that would not start is its answer, not a failure:
 * this resolves with what it said. Anything else is thrown as it was.
 */
export async function orKeptOut<T>(
  many: boolean,
  fn: () => Promise<T>,
): Promise<{ ran: T } | { keptOut: string }> {
  try {
    return { ran: await fn() };
  } catch (err) {
    if (many || !(err instanceof StartFailed)) throw err;
    return { keptOut: err.reason };
  }
}
