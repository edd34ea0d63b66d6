// Reading an app's profile: a JSON file (--profile), any field of which a flag may set or
// override. A bad profile gets a message that names the field and says what to write.
import { readFileSync } from "node:fs";
import * as z from "zod";
import {
  FAILOVER_S_MAX_DEFAULT,
  HORIZON_DAYS_DEFAULT,
  NEEDS,
  type Profile,
  RESTART_S_MAX_DEFAULT,
  STALE_READ_MS_DEFAULT,
  SURVIVE,
} from "../results/profile.ts";
import { nearest } from "./unknown-flags.ts";

const count = (field: string, min: number) =>
  z
    .number({ error: `${field} must be a number, such as ${min === 0 ? 1 : min * 10}` })
    .int({ error: `${field} must be a whole number` })
    .min(min, { error: `${field} must be at least ${min}` });

const ProfileShape = z.strictObject(
  {
    name: z.string({ error: 'name must be a string, such as "a small bookings app"' }).min(1),
    daily_active_users: count("daily_active_users", 1),
    requests_per_user: z
      .number({ error: "requests_per_user must be a number, such as 40" })
      .positive({ error: "requests_per_user must be above 0" }),
    peak_factor: z
      .number({ error: "peak_factor must be a number, such as 5" })
      .min(1, { error: "peak_factor must be 1 or more: the busiest second over the average" }),
    write_share: z
      .number({ error: "write_share must be a number from 0 to 1, such as 0.15" })
      .min(0, { error: "write_share must be from 0 to 1" })
      .max(1, { error: "write_share must be from 0 to 1" }),
    records: count("records", 1),
    processes: count("processes", 1),
    servers: count("servers", 1),
    needs: z.array(z.enum(NEEDS, { error: `each of needs must be one of ${NEEDS.join(", ")}` }), {
      error: `needs must be a list, such as ["by-email", "orders"] (or [])`,
    }),
    survive: z.enum(SURVIVE, { error: `survive must be one of ${SURVIVE.join(", ")}` }),
    restart_s_max: z
      .number({ error: "restart_s_max must be a number of seconds, such as 30" })
      .positive({ error: "restart_s_max must be above 0" }),
    stale_read_ms: z
      .number({
        error: "stale_read_ms must be a number of milliseconds, such as 1000 (0: never stale)",
      })
      .min(0, { error: "stale_read_ms must be 0 or more (0: never stale)" }),
    failover_s_max: z
      .number({ error: "failover_s_max must be a number of seconds, such as 30" })
      .positive({ error: "failover_s_max must be above 0" }),
    records_per_day: z
      .number({
        error: "records_per_day must be a number, such as 500 (records the app adds a day)",
      })
      .min(0, { error: "records_per_day must be 0 or more" })
      .optional(),
    horizon_days: z
      .number({ error: "horizon_days must be a number of days, such as 365" })
      .positive({ error: "horizon_days must be above 0" })
      .max(36_500, { error: "horizon_days must be at most 36500 (a hundred years)" }),
    servers_later: count("servers_later", 1).optional(),
  },
  {
    error: (issue) => (issue.code === "unrecognized_keys" ? unknownFields(issue.keys) : undefined),
  },
);
const ProfileSchema = ProfileShape.refine(
  (p) => p.servers_later === undefined || p.servers_later > p.servers,
  {
    error: "servers_later must be more than servers (it is how many the app will run on later)",
    path: ["servers_later"],
  },
);

/** "unknown field "record"; did you mean "records"?", and the fields a profile has. */
function unknownFields(keys: readonly string[]): string {
  const fields = Object.keys(ProfileShape.shape);
  const each = keys.map((k) => {
    const near = nearest(k, fields);
    return `${JSON.stringify(k)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ""}`;
  });
  return `unknown field ${each.join(", ")}; a profile has ${fields.join(", ")}`;
}

/** What a field left out means: a small app on one process and one server. */
export const DEFAULTS: Profile = {
  name: "an app",
  daily_active_users: 10_000,
  requests_per_user: 50,
  peak_factor: 4,
  write_share: 0.1,
  records: 100_000,
  processes: 1,
  servers: 1,
  needs: [],
  survive: "power-loss",
  // Kubernetes gives a stopping pod 30 s by default, and a rolling deploy waits for each new
  // server before it stops the next: a restart longer than that is downtime in a crash and
  // a deploy that crawls. The app may say otherwise.
  restart_s_max: RESTART_S_MAX_DEFAULT,
  // A user who saves and then reloads a page waits about a second between the two: a read
  // that trails the write by less than that looks fresh to them. An app whose users must
  // never see an older value says 0.
  stale_read_ms: STALE_READ_MS_DEFAULT,
  // With survive "machine-loss": writes may stop while another machine takes over for as
  // long as a restart may take them away anyway.
  failover_s_max: FAILOVER_S_MAX_DEFAULT,
  // A year: long enough that the store chosen now is not the next thing to migrate.
  horizon_days: HORIZON_DAYS_DEFAULT,
};

/** The flags that set a profile's fields, with their help. */
export const PROFILE_FLAGS = {
  profile: {
    type: "string",
    description: "a profile of the app, as JSON (see the README)",
    valueHint: "FILE",
  },
  name: {
    type: "string",
    description: "what the app is called in the decision",
    valueHint: "TEXT",
  },
  dau: {
    type: "string",
    description: `daily active users (default ${DEFAULTS.daily_active_users})`,
    valueHint: "N",
  },
  "requests-per-user": {
    type: "string",
    description: `API requests per user per day (default ${DEFAULTS.requests_per_user})`,
    valueHint: "N",
  },
  "peak-factor": {
    type: "string",
    description: `busiest second over the average (default ${DEFAULTS.peak_factor})`,
    valueHint: "N",
  },
  "write-share": {
    type: "string",
    description: `share of requests that are writes (default ${DEFAULTS.write_share})`,
    valueHint: "F",
  },
  records: {
    type: "string",
    description: `users the store holds (default ${DEFAULTS.records})`,
    valueHint: "N",
  },
  processes: {
    type: "string",
    description: "server processes on one machine (default 1)",
    valueHint: "N",
  },
  servers: { type: "string", description: "machines running the app (default 1)", valueHint: "N" },
  needs: {
    type: "string",
    description: `comma-separated from ${NEEDS.join(",")} (default none)`,
    valueHint: "a,b",
  },
  survive: {
    type: "string",
    description: `${SURVIVE.join(", ")} (default ${DEFAULTS.survive})`,
    valueHint: "LEVEL",
  },
  "restart-s-max": {
    type: "string",
    description: `the longest a restart may take, in seconds (default ${DEFAULTS.restart_s_max})`,
    valueHint: "S",
  },
  "stale-read-ms": {
    type: "string",
    description: `how old a read may be on several servers, in ms; 0: never stale (default ${DEFAULTS.stale_read_ms})`,
    valueHint: "MS",
  },
  "failover-s-max": {
    type: "string",
    description: `with --survive machine-loss: the longest writes may stop while another machine takes over, in seconds (default ${DEFAULTS.failover_s_max})`,
    valueHint: "S",
  },
  "records-per-day": {
    type: "string",
    description: "records the app adds a day (default: one per write, said as an assumption)",
    valueHint: "N",
  },
  "horizon-days": {
    type: "string",
    description: `how far ahead the answer must hold, in days (default ${DEFAULTS.horizon_days})`,
    valueHint: "D",
  },
  "servers-later": {
    type: "string",
    description: "servers the app will run on later: the answer covers now and then",
    valueHint: "N",
  },
} as const;

type Flags = Partial<Record<keyof typeof PROFILE_FLAGS, string>>;

function fromFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(
      `--profile ${path}: cannot read it (${(err as NodeJS.ErrnoException).code}); give the path of a JSON file`,
    );
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new Error("not an object");
    return value as Record<string, unknown>;
  } catch (err) {
    throw new Error(
      `--profile ${path} is not a JSON object (${(err as Error).message}); see the README's example profiles`,
    );
  }
}

/** The flags' values, as the profile's fields (numbers as numbers, needs as a list). */
function fromFlags(f: Flags): Record<string, unknown> {
  const num = (v: string | undefined) =>
    v === undefined ? undefined : v.trim() === "" ? Number.NaN : Number(v);
  const fields: Record<string, unknown> = {
    name: f.name,
    daily_active_users: num(f.dau),
    requests_per_user: num(f["requests-per-user"]),
    peak_factor: num(f["peak-factor"]),
    write_share: num(f["write-share"]),
    records: num(f.records),
    processes: num(f.processes),
    servers: num(f.servers),
    needs:
      f.needs === undefined
        ? undefined
        : f.needs
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
    survive: f.survive,
    restart_s_max: num(f["restart-s-max"]),
    stale_read_ms: num(f["stale-read-ms"]),
    failover_s_max: num(f["failover-s-max"]),
    records_per_day: num(f["records-per-day"]),
    horizon_days: num(f["horizon-days"]),
    servers_later: num(f["servers-later"]),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

/** The profile from --profile and the flags (flags win), checked; an Error names each fault. */
export function readProfile(flags: Flags): Profile {
  const merged = {
    ...DEFAULTS,
    ...(flags.profile ? fromFile(flags.profile) : {}),
    ...fromFlags(flags),
  };
  const parsed = ProfileSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const where = i.path.length ? `${i.path.join(".")}: ` : "";
    return `${where}${i.message}`;
  });
  throw new Error(`the profile is not right: ${problems.join("; ")}`);
}
