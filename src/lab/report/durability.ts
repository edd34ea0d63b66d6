// The durability section: what each store's acknowledged writes survived in the crash lab.
import {
  type DurabilityResults,
  type DurabilityRun,
  type Fault,
  isCrashFault,
} from "../results/durability.ts";
import { code, int, yesNo } from "./format.ts";
import { list, type Section, section, table, text } from "./model.ts";

export const FAULT_NAMES: Record<Fault, string> = {
  sigkill: "process crash (SIGKILL)",
  powercut: "power cut (unsynced writes dropped)",
  enospc: "full disk, then space back (ENOSPC)",
  eio: "failed fsync, then power cut (EIO)",
  torn: "power cut with torn writes",
};

export const FAULTS_EXPLAINED =
  "A process crash is SIGKILL at a random moment under load. A power cut is the same, then every write not yet made durable by fsync (of the file, and of the directory for names) is dropped by the lab's FUSE filesystem.";

/**
 * A store that acknowledges before it writes (sqlite-batched) may lose one flush window:
 * fewer than its flush size in rows, since a full buffer flushes at once.
 */
function flushWindowNotes(runs: readonly DurabilityRun[]): string[] {
  return runs.flatMap((r) => {
    const w = r.flush_window;
    if (!w) return [];
    const within = r.max_lost_in_a_trial <= w.rows;
    return [
      `${code(r.approach)}, ${FAULT_NAMES[r.fault]}: at most ${r.max_lost_in_a_trial} acknowledged rows lost in one trial; ` +
        `one flush window holds at most ${w.rows} rows (or ${w.ms} ms of writes), so the loss ` +
        `${within ? "stayed within one window" : "**exceeded one window**"}.`,
    ];
  });
}

function durabilityTable(runs: readonly DurabilityRun[]) {
  return table(
    [
      "store",
      "fault",
      "trials",
      "acknowledged",
      "lost",
      "corrupt",
      "restarted",
      "repaired on restart",
      "worst trial lost",
      "claims to survive",
      "claim held",
    ],
    runs.map((r) => [
      code(r.approach),
      FAULT_NAMES[r.fault],
      String(r.trials),
      int(r.acked),
      int(r.lost_acked),
      String(r.corrupt),
      `${r.restarted}/${r.trials}`,
      String(r.repaired ?? 0),
      int(r.max_lost_in_a_trial),
      r.claim,
      yesNo(r.claim_held),
    ]),
  );
}

/** The crash lab's table with its explanation; `lead` says where the figures come from. */
function crashSection(runs: readonly DurabilityRun[], lead: string): Section {
  const notes = flushWindowNotes(runs);
  return section("Durability, measured", [
    text(`${lead} ${FAULTS_EXPLAINED}`.trim()),
    durabilityTable(runs),
    ...(notes.length ? [list(notes)] : []),
  ]);
}

export const DISK_FAULTS_EXPLAINED =
  "The lab's FUSE filesystem makes the disk misbehave under load. Full disk: writes fail with ENOSPC for 0.5 s (the first one only in part, as when the last block fills), then space comes back; the trial ends in a SIGKILL, so it is judged like a process crash. Failed fsync: one fsync fails with EIO and its data is lost even if a later fsync succeeds (Linux's behaviour); the trial ends in a power cut. Torn writes: a power cut that keeps a prefix of each file's oldest unsynced write and its newest one whole, past a hole of zeros. A good store refuses what it cannot keep with a clear status (507 for a full disk, 503 once it has stopped writing), never with a bare 500, and restarts with every acknowledged write.";

/** "201 ×4,021 · 507 ×88": the writers' answers, most common first. */
function statusesText(statuses: Record<string, number> | undefined): string {
  const entries = Object.entries(statuses ?? {}).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([s, n]) => `${s} ×${int(n)}`).join(" · ") : "none";
}

function resumedText(r: DurabilityRun): string {
  if (r.fault !== "enospc") return "";
  if (r.resumed_ms_max === undefined) return "n/a";
  return r.resumed_ms_max === null ? "**never**" : `${int(r.resumed_ms_max)} ms`;
}

/** What each store does when the disk misbehaves, beside what it claims (the course's column). */
function diskSection(runs: readonly DurabilityRun[], lead: string): Section {
  return section("What each store does when the disk misbehaves", [
    text(`${lead} ${DISK_FAULTS_EXPLAINED}`.trim()),
    table(
      [
        ...["store", "fault", "trials", "acknowledged", "lost", "corrupt", "restarted"],
        ...["what the client saw", "bare 500s", "writes back after (slowest)", "fenced"],
        ...["claims to survive", "claim held"],
      ],
      runs.map((r) => [
        ...[code(r.approach), FAULT_NAMES[r.fault], String(r.trials), int(r.acked)],
        ...[int(r.lost_acked), String(r.corrupt), `${r.restarted}/${r.trials}`],
        statusesText(r.statuses),
        int(r.statuses?.["500"] ?? 0),
        resumedText(r),
        `${r.fenced ?? 0}/${r.trials}`,
        ...[r.claim, yesNo(r.claim_held)],
      ]),
    ),
  ]);
}

/**
 * The crash lab's sections, for the faults its results hold: crashes, and the disk
 * misbehaving. `lead` says where the figures come from.
 */
export function durabilitySections(runs: readonly DurabilityRun[], lead: string): Section[] {
  const crashes = runs.filter((r) => isCrashFault(r.fault));
  const disk = runs.filter((r) => !isCrashFault(r.fault));
  return [
    ...(crashes.length ? [crashSection(crashes, lead)] : []),
    ...(disk.length ? [diskSection(disk, lead)] : []),
  ];
}

/** How durability.md opens: what ran, on what. */
export function durabilityIntro(r: DurabilityResults): string {
  const total = r.settings.targets.length * r.settings.faults.length * r.settings.trials;
  return (
    `${r.trials.length} of ${total} trials${r.complete ? "" : " (interrupted)"}, ${r.settings.writers} concurrent writers, ` +
    `${int(r.settings.records)} seeded records, on ${r.machine.fs}.`
  );
}
