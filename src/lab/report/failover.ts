// The failover report: each fault under each replication mode, as the app saw it.
import type {
  FailoverMode,
  FailoverResults,
  FailoverRun,
  ReplicationSettings,
} from "../results/failover.ts";
import { code, count, int, rate, seconds } from "./format.ts";
import { list, type Report, type Section, section, table, text } from "./model.ts";

export const FAULT_WORDS: Record<FailoverRun["fault"], string> = {
  node: "the leader's machine lost (Patroni, the postmaster and its backends killed at once)",
  patroni: "Patroni alone killed on the leader (PostgreSQL runs on; there is no watchdog here)",
  postmaster: "the leader's postmaster alone killed (Patroni restarts it)",
  "stall-node": "replication stalled (the walsenders stopped) and then the leader's machine lost",
};

/** What a mode's settings promise, in words. */
export function modeWords(m: ReplicationSettings): string {
  const promoted = `a replica trailing by more than ${int(m.maximum_lag_on_failover)} bytes is never promoted (maximum_lag_on_failover)`;
  if (!m.synchronous_mode)
    return `asynchronous: a commit waits for the primary's own disk only; ${promoted}`;
  const waits = m.synchronous_commit === "remote_apply" ? "has applied it" : "has it on disk";
  return `Patroni's synchronous_mode with ${count(m.synchronous_node_count, "synchronous standby", "synchronous standbys")} and synchronous_commit=${m.synchronous_commit}: a commit waits until ${m.synchronous_node_count > 1 ? "each" : "it"} ${waits}, and only ${m.synchronous_node_count > 1 ? "they" : "it"} may be promoted; ${promoted}`;
}

function runsTable(runs: readonly FailoverRun[]) {
  return table(
    [
      "mode",
      "fault",
      "writes stopped",
      "acknowledged writes lost",
      "outcome unknown",
      "refused",
      "stale reads",
      "writes back",
      "promoted",
      "writes/s before, after",
    ],
    runs.map((r) => [
      code(r.mode),
      code(r.fault),
      r.stopped_ms_min === r.stopped_ms_max
        ? seconds(r.stopped_ms_max)
        : `${seconds(r.stopped_ms_min)} to ${seconds(r.stopped_ms_max)}`,
      `${int(r.lost)} of ${int(r.acked)}`,
      int(r.unknown),
      int(r.refused),
      `${int(r.stale_reads)} of ${int(r.probes)}`,
      `${r.recovered} of ${r.trials}`,
      `${r.promoted} of ${r.trials}`,
      `${rate(r.rps_before)}, ${rate(r.rps_after)}`,
    ]),
  );
}

export function failoverSections(r: FailoverResults): Section[] {
  const s = r.settings;
  return [
    section("When the primary dies: each fault, under each replication mode, at the app", [
      text(
        `${s.stack}: Debian's PostgreSQL, not the embedded one that \`npm start\` runs, because this Patroni predates PostgreSQL 16. Each trial starts a cluster of its own: one etcd, three PostgreSQL nodes under Patroni (ttl ${s.ttl} s, loop_wait ${s.loop_wait} s, retry_timeout ${s.retry_timeout} s) and HAProxy, which sends connections to the node whose Patroni answers /primary and cuts them when it stops. Two app servers (APPROACH=postgres, DATABASE_URL at HAProxy) take writes from ${count(s.writers, "writer")}, and each 201 is read back at once through the other server, which reads from a standby that is less than a second behind when there is one (DATABASE_REPLICA_URLS names all three nodes). After ${s.trials > 1 ? `${s.trials} trials` : "the trial"} of each fault, every acknowledged write is read back through the app.`,
      ),
      runsTable(r.runs),
      text("The columns:"),
      list([
        "*writes stopped*: the longest stretch with no acknowledged write, from the fault on, at the app (when writes never came back, until the trial gave up);",
        "*acknowledged writes lost*: 201s whose user the app no longer finds once writes are taken again (not counted when they never were);",
        "*outcome unknown*: writes whose connection broke after they were sent, answered 503 saying so, or with no answer at all: the app could not know whether they were stored;",
        "*refused*: 503 with nothing stored, when no primary took the write within the app's 20 s wait.",
      ]),
      text("The faults:"),
      list(
        Object.entries(FAULT_WORDS).map(
          ([f, w]) =>
            `${code(f)}: ${w}${f === "stall-node" ? ` (stalled ${int(s.stall_ms)} ms)` : ""}.`,
        ),
      ),
      text("The modes:"),
      list(
        [...new Set(r.runs.map((run) => run.mode))].map(
          (m) => `${code(m)}: ${modeWords(s.replication[m as FailoverMode])}.`,
        ),
      ),
    ]),
  ];
}

export function failoverReport(r: FailoverResults): Report {
  const status = r.error
    ? `The run failed: ${r.error}`
    : r.complete
      ? ""
      : "Interrupted: the tables show the trials that finished.";
  return {
    title: "needadb failover report",
    intro: status ? [text(`**${status}**`)] : [],
    sections: failoverSections(r),
  };
}
