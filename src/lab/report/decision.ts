// The decision for one app, as decision.md and decision.html: the answer first, then each
// approach ruled out with its measured reason, then what would change the answer.
import type { Decision } from "../results/decision.ts";
import { code, int, rate } from "./format.ts";
import {
  type Chart,
  charts,
  list,
  type Report,
  type Section,
  section,
  table,
  text,
} from "./model.ts";

function capacityChart(d: Decision): Chart | undefined {
  if (!d.passing.length) return undefined;
  const labels = d.passing.map((p) => p.approach);
  return {
    id: "chart-capacity",
    kind: "bar",
    title: "Measured capacity of the approaches that pass, against the peak the app needs",
    description: "Requests per second each passing approach carries, and the required peak",
    axis: "requests/s (log scale)",
    labels,
    series: [
      { label: "measured capacity", data: d.passing.map((p) => p.capacity_rps), color: "#2563eb" },
      {
        label: "needed at peak",
        data: labels.map(() => d.required_rps),
        color: "#111827",
        line: true,
        dash: [6, 4],
      },
    ],
  };
}

function profileLine(d: Decision): string {
  const p = d.profile;
  return (
    `${int(p.daily_active_users)} daily active users × ${p.requests_per_user} requests, peaks ${p.peak_factor}× the average: ${rate(d.required_rps)} requests/s at peak, ${Math.round(p.write_share * 100)}% writes; ` +
    `${int(p.records)} records; ${p.processes} process${p.processes > 1 ? "es" : ""} on ${p.servers} server${p.servers > 1 ? "s" : ""}; ` +
    `needs ${p.needs.length ? p.needs.map(code).join(", ") : "reads and writes by id only"}; must survive ${p.survive}.`
  );
}

function answer(d: Decision): Section {
  const head = d.recommended
    ? `**Use \`${d.recommended}\`**, with ${d.headroom?.toFixed(1)}× headroom.`
    : d.ruled_out.some((r) => r.unknown)
      ? `**No answer at ${int(d.profile.records)} records from this run.**`
      : "**Nothing measured on this machine is enough.**";
  return section("The answer", [text(head), text(d.reason)]);
}

/** The recommended approach's measurement for each requirement it meets. */
function metSection(d: Decision): Section | undefined {
  if (!d.recommended || !d.met?.length) return undefined;
  return section(`What \`${d.recommended}\` meets, and the measurement that shows it`, [
    table(
      ["requirement", "measured"],
      d.met.map((m) => [m.requirement, m.evidence]),
    ),
  ]);
}

/** On several servers: one primary or a primary with replicas, and why the others were not. */
function deploymentSection(d: Decision): Section | undefined {
  const plan = d.deployment;
  if (!plan) return undefined;
  const setup =
    plan.kind === "one primary"
      ? "one primary, no replicas"
      : `a primary with ${plan.replicas} read replica${plan.replicas > 1 ? "s" : ""}${plan.kind === "replicas with read-your-writes" ? ", writes waiting for them (remote_apply)" : ""}`;
  return section(`How to run \`${plan.approach}\` on ${d.profile.servers} servers`, [
    text(`**${setup}**, with ${plan.headroom.toFixed(1)}× headroom: ${plan.reason}.`),
    ...(plan.predicted
      ? [
          text(
            "That is more replicas than `npm run topology` measured: the figures past them are predicted.",
          ),
        ]
      : []),
    text("Not chosen:"),
    list(plan.rejected),
  ]);
}

/** Past one machine: the fleet the measurements imply, labelled as the extrapolation it is. */
function fleetSection(d: Decision): Section | undefined {
  const f = d.fleet;
  if (!f) return undefined;
  return section("Past one machine: the fleet these measurements imply (an extrapolation)", [
    table(
      ["", "needed at peak", "one server measured here", "servers"],
      [
        [
          "writes/s, on primaries (shards)",
          rate(f.write_rps_needed),
          rate(f.write_rps_per_primary),
          int(f.shards),
        ],
        [
          "reads/s, on replicas",
          rate(f.read_rps_needed),
          rate(f.read_rps_per_replica),
          `${int(f.shards * f.replicas_per_shard)} (${int(f.replicas_per_shard)} per shard)`,
        ],
        ["in all", "", "", int(f.servers)],
      ],
    ),
    text(
      `Each shard holds about ${int(f.records_per_shard)} records. Rates from ${f.source}. The model:`,
    ),
    list(f.model),
    text(`${f.engines}.`),
  ]);
}

export function decisionReport(d: Decision & { sources?: Record<string, string> }): Report {
  const sections: Section[] = [
    answer(d),
    ...[metSection(d), deploymentSection(d), fleetSection(d)].flatMap((s) => (s ? [s] : [])),
    section("Ruled out, and the measurement that ruled each out", [
      d.ruled_out.length
        ? table(
            ["approach", "fails", "measured"],
            d.ruled_out.map((r) => [
              code(r.approach),
              r.unknown ? `not shown to meet: ${r.requirement}` : r.requirement,
              r.evidence,
            ]),
          )
        : text("No approach was ruled out."),
    ]),
    section(
      "What would change the answer",
      d.what_would_change.length
        ? [list(d.what_would_change)]
        : [
            text(
              "Nothing passes here, so there is no answer to change; the reasons above say what each approach lacks.",
            ),
          ],
    ),
    section("How the approaches that pass are ranked", [
      text(d.rule),
      ...charts([capacityChart(d)].flatMap((c) => (c ? [c] : []))),
      table(
        ["approach", "measured capacity, req/s", "headroom"],
        d.passing.map((p) => [code(p.approach), rate(p.capacity_rps), `${p.headroom.toFixed(1)}×`]),
      ),
    ]),
    section("Can these numbers be trusted?", [
      d.warnings.length ? list(d.warnings) : text("No warnings."),
    ]),
  ];
  if (d.sources)
    sections.push(
      section("What was measured", [
        list(Object.entries(d.sources).map(([name, file]) => `${name}: \`${file}\``)),
      ]),
    );
  return {
    title: `needadb: the answer for ${d.profile.name}`,
    intro: [text(profileLine(d))],
    sections,
  };
}
