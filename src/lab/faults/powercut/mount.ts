// Mounts lazyfs.py over a backing directory, and pulls the plug: unmounting makes it undo
// everything that was never fsynced, exactly what a power cut would have lost.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isHidden } from "../../harness/hidden-tools.ts";

const LAZYFS = fileURLToPath(new URL("./lazyfs.py", import.meta.url));
/** Debian's python3-fusepy is installed for the system Python, not for pyenv's. */
const PYTHON = "/usr/bin/python3";
const MOUNT_TIMEOUT_MS = 10_000;
const UNMOUNT_TIMEOUT_MS = 20_000;

/** Why power cuts cannot run here, or undefined if they can. */
export function powerCutUnavailable(): string | undefined {
  if (isHidden("fuse")) return "FUSE is hidden by NEEDADB_HIDE_TOOLS";
  if (process.platform !== "linux") return "power cuts need Linux FUSE";
  if (!existsSync("/dev/fuse")) return "there is no /dev/fuse on this machine";
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const fusepy = spawnSync(PYTHON, ["-c", "import fusepy"], { encoding: "utf8" });
  if (fusepy.status !== 0)
    return "python3-fusepy is not installed (Debian: apt-get install python3-fusepy fuse3)";
  if (process.getuid?.() !== 0) return "mounting FUSE filesystems here needs root";
  return undefined;
}

function unmount(mountpoint: string): boolean {
  for (const [cmd, args] of [
    ["fusermount3", ["-u", mountpoint]],
    ["fusermount", ["-u", mountpoint]],
    ["umount", [mountpoint]],
  ] as const) {
    if (spawnSync(cmd, args, { stdio: "ignore" }).status === 0) return true;
  }
  return false;
}

/** How the disk behaves; see lazyfs.py's help for what each mode does. */
export type DiskMode = "ok" | "enospc" | "eio" | "torn";

export interface LazyMount {
  mountpoint: string;
  backing: string;
  /** Makes the disk behave as `mode` says, from lazyfs's next operation on. */
  misbehave(mode: DiskMode): void;
  /**
   * The power cut: unmount, which makes lazyfs undo everything unsynced. Resolves with
   * lazyfs's account of what it dropped. The mount is gone afterwards; mount again to look.
   */
  cut(): Promise<string>;
}

const live = new Set<{ child: ChildProcess; mountpoint: string }>();
let cleanupInstalled = false;

/** A lab run that dies must not leave mounts behind. */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", () => {
    for (const m of live) {
      unmount(m.mountpoint);
      m.child.kill("SIGKILL");
    }
  });
}

export async function mountLazyFs(
  backing: string,
  mountpoint: string,
  mode: DiskMode = "ok",
): Promise<LazyMount> {
  installCleanup();
  mkdirSync(backing, { recursive: true });
  mkdirSync(mountpoint, { recursive: true });
  const control = `${backing}.control`;
  writeFileSync(control, mode);
  const child = spawn(PYTHON, [LAZYFS, backing, mountpoint, control], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const entry = { child, mountpoint };
  live.add(entry);
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      live.delete(entry);
      resolve(code);
    }),
  );

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`lazyfs did not mount in ${MOUNT_TIMEOUT_MS} ms\n${err}`)),
      MOUNT_TIMEOUT_MS,
    );
    const poll = setInterval(() => {
      if (!out.includes("lazyfs: mounted")) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve();
    }, 10);
    exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`lazyfs exited with code ${code} while mounting ${mountpoint}\n${err}`));
    });
  });

  return {
    mountpoint,
    backing,
    misbehave: (next) => writeFileSync(control, next),
    async cut() {
      const deadline = Date.now() + UNMOUNT_TIMEOUT_MS;
      // The unmount fails while a process still has files open there; they are being killed.
      while (!unmount(mountpoint)) {
        if (Date.now() > deadline) {
          child.kill("SIGKILL");
          throw new Error(`could not unmount ${mountpoint}: something still holds it open`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const code = await exited;
      if (code !== 0) throw new Error(`lazyfs exited with code ${code} after the cut\n${err}`);
      return out.trim().split("\n").at(-1) ?? "";
    },
  };
}
