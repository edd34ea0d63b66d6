// One machine's calibration on disk: every bench cell, crash trial and two-server run that
// any profile's advice measured, under one directory per machine, commit and settings, so
// that the next profile reuses them and an interrupted run resumes where it stopped. A
// measurement taken again replaces the one before it.
//
// Each measurement is kept only once it finished cleanly, written under a temporary name and
// renamed into place, so a file that is there is whole. A file that cannot be read (a disk
// that failed under it) is treated as never measured, and measured again; it is overwritten,
// not deleted first.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export type Kind = "cells" | "trials" | "pairs" | "labs" | "failover";

/** A measurement, and how long it took on this machine: the estimate of the next is built on it. */
export interface Kept<T> {
  took_s: number;
  /** When it was kept, in ms since the epoch. */
  at: number;
  value: T;
}

const fileName = (key: string) => `${key.replace(/[^\w.-]+/g, "_")}.json`;

export class CalibrationStore {
  readonly dir: string;
  /** Measurements kept before this time (ms) are not read: `--fresh` measures again. */
  private readonly since: number;

  /** `facts`: what the measurements depend on (machine, commit, load tool, phase lengths). */
  constructor(workDir: string, facts: Record<string, unknown>, since = 0) {
    this.since = since;
    const id = createHash("sha256").update(JSON.stringify(facts)).digest("hex").slice(0, 16);
    this.dir = join(workDir, "calibration", id);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, "facts.json"), `${JSON.stringify(facts, null, 2)}\n`);
  }

  get<T>(kind: Kind, key: string): Kept<T> | undefined {
    try {
      const kept = JSON.parse(readFileSync(join(this.dir, kind, fileName(key)), "utf8")) as Kept<T>;
      return (kept.at ?? 0) >= this.since ? kept : undefined;
    } catch {
      return undefined;
    }
  }

  put<T>(kind: Kind, key: string, value: T, took_s: number): void {
    const dir = join(this.dir, kind);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, fileName(key));
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ took_s, at: Date.now(), value } satisfies Kept<T>));
    renameSync(temporary, file);
  }

  /** Every measurement of `kind` kept so far. */
  all<T>(kind: Kind): Kept<T>[] {
    let names: string[];
    try {
      names = readdirSync(join(this.dir, kind)).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    return names.flatMap((n) => {
      const kept = this.get<T>(kind, n.slice(0, -".json".length));
      return kept ? [kept] : [];
    });
  }
}
