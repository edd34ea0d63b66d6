// The decision for one app, as decision.md and decision.html: the answer and how to run it
// first, then every verdict behind it, then what the numbers rest on.
import type { Candidate, Decision, RunPlan } from "../results/decision.ts";
import type { ModeVerdict } from "../results/machine-loss.ts";
import type { Task } from "../results/plan.ts";
import type { Verdict } from "../results/requirements.ts";
import { decisionCharts } from "./decision-charts.ts";
import {
  DISTRIBUTED_ENGINES,
  FAULT_SHORT,
  fleetModel,
  fleetText,
  lastsShort,
  lastsText,
  planText,
  requirementName,
  VALID_WORDS,
  verdictLine,
} from "./decision-words.ts";
import { modeWords } from "./failover.ts";
import { code, count, days, duration, headroom, int, rate, share } from "./format.ts";
import { charts, list, type Report, type Section, section, table, text } from "./model.ts";
import { warningText } from "./warnings.ts";

/** The requirement's name with the figure it needs, for a verdict. */
function named(v: Verdict, d: Decision): string {
  const f = v.finding;
  const need = "need" in f ? f.need : undefined;
  return requirementName(v.requirement, d.profile, need);
}

/** "APPROACH=sqlite SQLITE_SYNCHRONOUS=FULL npm start". */
export function command(run: RunPlan): string {
  const env = Object.entries(run.env).map(([k, v]) => `${k}=${v}`);
  return `${env.join(" ")} npm start`;
}

function undecidedText(d: Decision): string {
  const open = d.candidates.filter((c) => c.valid === "unknown");
  const each = open.map((c) => {
    const v = c.verdicts.find((x) => x.valid === "unknown") as Verdict;
    return `${code(c.approach)}: ${named(v, d)}? ${verdictLine(v, c.approach)}`;
  });
  const which = open.length === 1 ? "one approach was" : `${open.length} approaches were`;
  // A lab this machine cannot run says what to install; only a bound too loose to decide
  // is settled by measuring closer to the app's size.
  const loose = open.some((c) =>
    c.verdicts.some(
      (v) => v.valid === "unknown" && !(v.finding.kind === "not-measured" && v.finding.needs),
    ),
  );
  const settle = loose
    ? ` Measuring closer to the app's size settles it: \`npm run bench -- --records ${d.profile.records}\`, or \`npm run advise\` without \`--quick\`.`
    : "";
  return `No approach was shown to meet every requirement, and ${which} not shown to fail either. ${each.join(". ")}.${settle}`;
}

function noneText(d: Decision): string {
  const best = Math.max(0, ...d.candidates.map((c) => c.capacity_best_rps ?? 0));
  const why =
    "No approach measured on this machine meets every requirement: each one's reason is below.";
  // Speed is named only where it was measured and falls short; otherwise other verdicts decide.
  const speed =
    best === 0 || best >= d.required_rps
      ? ""
      : ` Even at its best, the fastest carries ${rate(best)} requests/s against ${rate(d.required_rps)} needed at peak.`;
  const f = d.fleet;
  const fleet = f
    ? ` Past one machine, these measurements imply ${count(f.shards, "primary", "primaries")} of ${code(f.approach)}, each with ${count(f.replicas_per_shard, "read replica")}: ${int(f.servers)} database servers, an extrapolation; each app server would run \`APPROACH=${f.approach} DATABASE_URL=<the fleet's address> npm start\` (below).`
    : "";
  return `${why}${speed}${fleet}`;
}

function labsText(d: Decision): string {
  return d.labs
    .map(
      (l) =>
        `${l.lab}${l.done !== undefined ? ` (${int(l.done)} of ${int(l.total)} finished)` : ""}${l.error ? `: ${l.error.split("\n")[0]}` : ""}`,
    )
    .join("; ");
}

/** The first lines: the answer, or why there is none yet. */
export function headline(d: Decision): string[] {
  const answer = d.recommended
    ? `**Use ${code(d.recommended)}.** It meets every requirement, carrying at least ${rate(d.candidates[0]?.capacity_rps ?? 0)} requests/s against the ${rate(d.required_rps)} needed at peak (${headroom(d.headroom ?? 0)} headroom), and ${lastsShort(d.candidates[0]?.lasts as NonNullable<Candidate["lasts"]>)}.`
    : d.status === "undecided"
      ? `**No answer at ${int(d.profile.records)} records from this run.** ${undecidedText(d)}`
      : d.status === "nothing-measured"
        ? "**Nothing was measured**, so there is nothing to decide from. Run `npm run advise` again and let it finish."
        : `**Nothing measured on this machine is enough.** ${noneText(d)}`;
  if (d.status === "interrupted")
    return [
      `**Interrupted: no answer yet.** What finished: ${labsText(d)}. Run the same command again for the answer.`,
      `From what finished, provisionally: ${answer}`,
    ];
  if (d.status === "failed")
    return [
      `**A measurement failed, so this is no answer yet.** ${labsText(d)}. The command exits non-zero; run it again, and say if it fails the same way.`,
      `From what finished, provisionally: ${answer}`,
    ];
  const final =
    d.final === true
      ? d.status === "undecided"
        ? " This run can measure nothing more as this machine is."
        : growthOpen(d)
          ? ` This answer is final for what this run measures, but not how long it holds: ${growthOpen(d)}`
          : " This answer is final: nothing left unmeasured could change it."
      : d.final === false && d.recommended
        ? " Provisional: what could still change it is not measured yet."
        : "";
  return [`${answer}${final}`];
}

/** Where neither the bound nor a fit says whether the answer holds over the horizon. */
function growthOpen(d: Decision): string | undefined {
  const l = d.candidates[0]?.lasts;
  if (!d.recommended || !l || l.valid !== "unknown" || l.predicted_to_hold !== null) return;
  return `no fit of the sizes measured predicts past the bound, and one that did could change the ranking (\`npm run bench\` over more sizes shows how each cost grows).`;
}

function whereItLives(run: RunPlan, best: Candidate): string {
  if (best.service)
    return "its data lives in PostgreSQL (the embedded one keeps it in `DATA_DIR/postgres`; with `DATABASE_URL`, your own server)";
  return run.files.length
    ? `it keeps ${run.files.map(code).join(", ")} in \`DATA_DIR\` (default \`./data\`)`
    : "it keeps nothing";
}

function databaseItems(d: Decision, best: Candidate): string[] {
  if (d.deployment)
    return [
      `Its database: a primary with ${count(d.deployment.replicas, "read replica")}: ${planText(d.deployment)}.`,
    ];
  if (!d.run?.shared_database) return [];
  return [
    `Its database: one primary, no read replica: it carries the peak alone, at least ${rate(best.capacity_rps ?? 0)} requests/s against ${rate(d.required_rps)}.`,
  ];
}

function failoverItem(f: NonNullable<RunPlan["failover"]>): string {
  return `Its failover: PostgreSQL on three machines under Patroni (ttl ${int(f.ttl)} s, loop_wait ${int(f.loop_wait)} s, retry_timeout ${int(f.retry_timeout)} s) with ${code(f.mode)}: ${modeWords(f.replication)}. Every app server's \`DATABASE_URL\` points at HAProxy, which sends connections to the node whose Patroni answers \`/primary\` and cuts them when it stops (\`npm run failover\` writes each node's configuration, \`node<i>.yml\` and \`haproxy.cfg\`, under its work directory). While no primary takes a write the app tries it again for up to 20 s; a write whose connection broke after it was sent is answered 503 with \`"outcome": "unknown"\` and a \`Location\` to GET before sending it again. ${readsWords(f.chosen)}`;
}

function readsWords(m: ModeVerdict): string {
  const saw = `its standbys served ${int(m.stale_reads)} of ${int(m.probes)} reads stale in the trials`;
  return m.reads === "primary"
    ? `Reads go to the primary too (leave \`DATABASE_REPLICA_URLS\` unset): ${saw}, and the app must never read stale data.`
    : `Reads may go to the standbys (\`DATABASE_REPLICA_URLS\` names them): ${saw}, which the app accepts (how old they were is not measured).`;
}

function howToRun(d: Decision): Section | undefined {
  const run = d.run;
  const best = d.candidates[0];
  if (!run || !best) return undefined;
  const items = [
    `Run it: \`${command(run)}\`${run.shared_database ? ` on each of the ${d.profile.servers} app servers, every one with \`DATABASE_URL\` set to the one PostgreSQL (unset, each would start its own)` : ""}.`,
    `Its code: ${run.code ? `\`${run.code}\`` : "-"}; ${whereItLives(run, best)}.`,
    ...databaseItems(d, best),
    ...(run.failover ? [failoverItem(run.failover)] : []),
    ...(best.lasts ? [`How long it holds: ${lastsText(best.lasts)}.`] : []),
    ...(d.next
      ? [`At its first limit, move to ${code(d.next.approach)}, which ${lastsShort(d.next.lasts)}.`]
      : []),
    ...laterItems(d),
    ...(d.simpler_unknown.length
      ? [
          `Simpler, but not shown either way: ${d.simpler_unknown.map(code).join(", ")} (see below). They might also do; ${code(run.approach)} is the simplest shown to.`,
        ]
      : []),
  ];
  return section(`How to run ${code(run.approach)}`, [list(items)]);
}

function laterItems(d: Decision): string[] {
  const items: string[] = [];
  const l = d.later;
  if (l) {
    const when = d.profile.servers_later
      ? `When the app runs on ${l.servers} servers`
      : `With a second server`;
    const then = l.recommended
      ? `${code(l.recommended)}${l.deployment ? `, a primary with ${count(l.deployment.replicas, "read replica")}` : l.recommended === "postgres" ? ", one primary" : ""}`
      : l.status === "none-enough"
        ? "nothing measured here is enough"
        : `no answer yet from what was measured for this one (run \`npm run advise\` with "servers": ${l.servers} to measure it)`;
    const why = l.now_fails
      ? `, because ${code(d.recommended ?? "")} ${VALID_WORDS[l.now_fails.valid]} "${requirementName(l.now_fails.requirement, { ...d.profile, servers: l.servers })}": ${verdictLine(l.now_fails, d.recommended ?? "")}`
      : l.recommended === d.recommended
        ? ": the same answer"
        : "";
    items.push(`${when}: ${then}${why}.`);
  }
  if (d.without_growth) {
    items.push(
      `This answer assumes every write adds a record (${int(d.candidates[0]?.lasts?.records_per_day)} a day). If your records stay near ${int(d.profile.records)}, the answer would be ${d.without_growth.recommended ? code(d.without_growth.recommended) : "none"}: set \`records_per_day\` in the profile to decide between them.`,
    );
  }
  return items;
}

/** What the lab measures of a store with a server of its own is the app server's part. */
const APP_ONLY: readonly string[] = ["memory", "restart"];

/** Each candidate's verdicts: the recommended one's every verdict, the others' deciding one. */
function verdictSections(d: Decision): Section[] {
  const [best, ...rest] = d.recommended ? d.candidates : [undefined, ...d.candidates];
  const sections: Section[] = [];
  if (best)
    sections.push(
      section(`Why ${code(best.approach)}: every requirement, and what shows it`, [
        table(
          ["requirement", "verdict", "measured"],
          best.verdicts.map((v) => [
            named(v, d),
            VALID_WORDS[v.valid],
            `${verdictLine(v, best.approach)}${best.service && APP_ONLY.includes(v.requirement) ? "; the app server's own, not PostgreSQL's, which is not measured here" : ""}`,
          ]),
        ),
      ]),
    );
  const others = rest.filter((c): c is Candidate => c !== undefined);
  if (others.length)
    sections.push(
      section("The others, and the verdict that decides each", [
        table(
          ["approach", "verdict", "requirement", "measured"],
          others.map((c) => {
            const v = c.verdicts.find((x) => x.valid === c.valid && x.valid !== "pass");
            if (!v)
              return [
                code(c.approach),
                "passes too",
                "every one",
                c.lasts
                  ? `it ${lastsShort(c.lasts)}; at least ${rate(c.capacity_rps ?? 0)} requests/s`
                  : "",
              ];
            if (d.final && v.finding.kind === "not-measured")
              return [
                code(c.approach),
                "not measured",
                "any",
                "not needed: the answer is simpler, and its bound holds the app's growth, so this could not rank above it",
              ];
            return [
              code(c.approach),
              VALID_WORDS[v.valid],
              named(v, d),
              verdictLine(v, c.approach),
            ];
          }),
        ),
      ]),
    );
  return sections;
}

function fleetSection(d: Decision): Section | undefined {
  const missing = d.fleet_missing;
  if (missing)
    return section("Past one machine", [
      text(
        missing.why === "no-rate"
          ? `Nothing on one machine is enough, and no rate of ${code(missing.approach)} was measured to estimate a fleet from: run \`npm run bench -- --approaches ${missing.approach},null --workloads read,write --records ${Math.min(d.profile.records, 1_000_000)}\`, then advise again.`
          : "Nothing on one machine is enough, and no fleet is estimated: every store with a server of its own was ruled out by something besides speed (see above), so more machines of it would not do either.",
      ),
    ]);
  const f = d.fleet;
  if (!f) return undefined;
  return section("Past one machine: the fleet these measurements imply (an extrapolation)", [
    text(`Extrapolated from one machine: ${fleetText(f)}.`),
    table(
      ["", "needed at peak", "one server measured here", "servers"],
      [
        [
          "writes/s, on primaries (shards)",
          rate(f.write_rps_needed),
          rate(f.rates.write_rps_per_primary),
          int(f.shards),
        ],
        [
          "reads/s, on replicas",
          rate(f.read_rps_needed),
          rate(f.rates.read_rps_per_replica),
          `${int(f.shards * f.replicas_per_shard)} (${int(f.replicas_per_shard)} per shard)`,
        ],
        ["in all", "", "", int(f.servers)],
      ],
    ),
    text(`Each shard holds about ${int(f.records_per_shard)} records. The model:`),
    list(fleetModel(f)),
    text(`${DISTRIBUTED_ENGINES}.`),
  ]);
}

const SURVIVE_WORDS = {
  "machine-loss": "the loss of the database's machine",
  "power-loss": "a power loss",
  "process-crash": "a process crash",
  nothing: "nothing",
} as const;

/** The charts, with a line for each that has nothing to draw. */
function glance(d: Decision): Section | undefined {
  const drawn = decisionCharts(d);
  if (!drawn.length) return undefined;
  const ids = new Set(drawn.map((c) => c.id));
  const missing = [
    ...(ids.has("chart-losses")
      ? []
      : [
          d.profile.survive === "nothing"
            ? "The app need not survive a crash, so no losses are drawn."
            : "No crash trials ran for what the app must survive, so no losses are drawn.",
        ]),
    ...(ids.has("chart-holds")
      ? []
      : ["No approach meets every requirement, so none is drawn holding the app's growth."]),
  ];
  return section("At a glance", [...charts(drawn), ...missing.map(text)]);
}

function profileLine(d: Decision): string {
  const p = d.profile;
  return (
    `${int(p.daily_active_users)} daily active users × ${p.requests_per_user} requests, peaks ${p.peak_factor}× the average: ${rate(d.required_rps)} requests/s at peak, ${share(p.write_share)} writes; ` +
    `${int(p.records)} records${p.records_per_day === undefined ? "" : `, ${int(p.records_per_day)} more a day`}, over ${days(p.horizon_days)}; ${count(p.processes, "process", "processes")} on ${count(p.servers, "server")}${p.servers_later ? ` (${p.servers_later} later)` : ""}; ` +
    `needs ${p.needs.length ? p.needs.map(code).join(", ") : "reads and writes by id only"}; must survive ${SURVIVE_WORDS[p.survive]}${p.survive === "machine-loss" ? `, with writes stopped at most ${int(p.failover_s_max)} s` : ""}.`
  );
}

/** What advise adds to a decision: where its measurements are kept, and what it measured. */
export interface AdviceFacts {
  calibration?: string;
  measured?: readonly Task[];
  tool?: string;
}

function measuredSection(d: AdviceFacts): Section | undefined {
  if (!d.calibration) return undefined;
  const ran = d.measured ?? [];
  return section("What was measured", [
    text(`This machine's calibration: \`${d.calibration}\`.`),
    text(
      ran.length
        ? `This run measured ${ran.map(taskText).join("; ")}. The rest was kept from earlier runs on this machine and commit.`
        : "This run measured nothing new: everything it needed was kept from earlier runs on this machine and commit.",
    ),
  ]);
}

export function decisionReport(
  d: Decision & AdviceFacts,
  ifs: readonly { name: string; decision: Decision }[] = [],
): Report {
  const sections: Section[] = [
    section("The answer", headline(d).map(text)),
    ...[howToRun(d), glance(d), whatIfSection(ifs)].flatMap((s) => (s ? [s] : [])),
    ...verdictSections(d),
    ...[fleetSection(d)].flatMap((s) => (s ? [s] : [])),
    section("Can these numbers be trusted?", [
      d.warnings.length
        ? list(d.warnings.map((w) => warningText(w, d.tool ?? "the load generator")))
        : text("No warnings."),
    ]),
    ...[measuredSection(d)].flatMap((s) => (s ? [s] : [])),
  ];
  return {
    title: `needadb: the answer for ${d.profile.name}`,
    intro: [text(profileLine(d))],
    sections,
  };
}

/** A task of advise's plan, in a few words. */
export function taskText(t: Task): string {
  if (t.kind === "cells")
    return `${code(t.approach)}'s ${t.workloads.join(", ")} cells at ${int(t.records)} records`;
  if (t.kind === "trials")
    return `${code(t.approach)}'s ${t.faults.map((f) => FAULT_SHORT[f]).join(", ")} trials`;
  if (t.kind === "failover") return `${code(t.mode)} failover trials (${t.faults.join(", ")})`;
  return t.kind === "pair" ? `${code(t.approach)}'s ${t.lab} run` : "the topology lab";
}

/** One line of advise's progress: the answer so far, and what is left. */
export function progressText(p: {
  decision: Decision;
  elapsed_s: number;
  left: readonly Task[];
  left_s: number;
}): string {
  const d = p.decision;
  const now = d.recommended
    ? `use ${code(d.recommended)}`
    : d.status === "none-enough"
      ? d.fleet
        ? `nothing on one machine is enough; about ${int(d.fleet.servers)} database servers of ${code(d.fleet.approach)} (an extrapolation)`
        : "nothing on one machine is enough"
      : "no answer yet";
  const open = d.candidates.filter((c) => c.valid === "unknown").length;
  if (!p.left.length)
    return `after ${duration(p.elapsed_s)}: ${d.final ? "final" : "stopped"}: ${now}.`;
  const next = p.left[0] as Task;
  return `after ${duration(p.elapsed_s)}: provisionally ${now}${open ? ` (${count(open, "approach", "approaches")} not shown either way yet)` : ""}; next: ${taskText(next)}; ${count(p.left.length, "measurement")} left, at most about ${duration(p.left_s)}`;
}

/** The what-ifs, side by side: each variant's answer from what is kept, and whether it is final. */
export function whatIfSection(
  ifs: readonly { name: string; decision: Decision }[],
): Section | undefined {
  if (!ifs.length) return undefined;
  return section("What if", [
    text(
      "Each variant decided from what this machine has kept, measuring nothing. One that is not final names what it would still need: run `npm run advise` with it.",
    ),
    table(
      ["variant", "answer", "final", "carries at least, req/s", "needed at peak"],
      ifs.map(({ name, decision: d }) => [
        code(name),
        d.recommended
          ? code(d.recommended)
          : d.status === "none-enough"
            ? "nothing on one machine"
            : "no answer yet",
        d.final ? "yes" : "not yet",
        d.recommended ? rate(d.candidates[0]?.capacity_rps ?? 0) : "-",
        rate(d.required_rps),
      ]),
    ),
  ]);
}
