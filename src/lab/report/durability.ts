// The durability section: what each store's acknowledged writes survived in the crash lab.
import type { DurabilityResults, DurabilityRun, Fault } from "../results/durability.ts";
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
export function durabilitySection(runs: readonly DurabilityRun[], lead: string): Section {
  const notes = flushWindowNotes(runs);
  return section("Durability, measured", [
    text(`${lead} ${FAULTS_EXPLAINED}`.trim()),
    durabilityTable(runs),
    ...(notes.length ? [list(notes)] : []),
  ]);
}

/** How durability.md opens: what ran, on what. */
export function durabilityIntro(r: DurabilityResults): string {
  const total = r.settings.targets.length * r.settings.faults.length * r.settings.trials;
  return (
    `${r.trials.length} of ${total} trials${r.complete ? "" : " (interrupted)"}, ${r.settings.writers} concurrent writers, ` +
    `${int(r.settings.records)} seeded records, on ${r.machine.fs}.`
  );
}
