// The one place numbers become text, for every report: whole numbers with separators,
// rates with a decimal below 10, milliseconds with two decimals below 10, ratios with a ×,
// shares as percentages, durations in words, and "-" for what was not measured.

type Maybe = number | null | undefined;

export const int = (n: Maybe) => (n == null ? "-" : Math.round(n).toLocaleString("en"));
/** A rate: one decimal below 10, whole numbers above. */
export const rate = (n: number) =>
  !Number.isFinite(n) ? "unbounded" : n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString("en");
export const ms = (n: Maybe) => (n == null ? "-" : n < 10 ? n.toFixed(2) : n.toFixed(0));
export const times = (n: Maybe) => (n == null ? "-" : `${n.toFixed(2)}×`);
/** A headroom: one decimal, or a whole number once it is large. */
export const headroom = (n: number) =>
  !Number.isFinite(n) ? "unbounded" : n >= 100 ? `${int(n)}×` : `${n.toFixed(1)}×`;
/** µs of CPU per request, with one decimal. */
export const us = (n: Maybe) => (n == null ? "-" : n.toFixed(1));
/** A number with `digits` decimals (cores, batch sizes, seconds). */
export const fixed = (n: Maybe, digits = 1) => (n == null ? "-" : n.toFixed(digits));
/** Seconds from milliseconds: one decimal below 10 s. */
export const seconds = (msValue: number) => `${rate(msValue / 1000)} s`;
export const code = (s: string) => `\`${s}\``;
export const yesNo = (ok: boolean, bad = "**no**") => (ok ? "yes" : bad);

/** part / whole as a percentage, with two decimals when it is under 1%. */
export const pct = (part: number, whole: number) =>
  whole > 0 ? `${((part / whole) * 100).toFixed(part && part < whole / 100 ? 2 : 0)}%` : "-";
/** A share (0.15) as a whole percentage ("15%"). */
export const share = (x: number) => `${Math.round(x * 100)}%`;
/** A signed share ("+12%", "-3%"). */
export const signedShare = (x: number) => `${x >= 0 ? "+" : ""}${Math.round(x * 100)}%`;

/** "about 9 days", "about 5 months", "about 4 years". */
export function days(d: number): string {
  if (d < 0.5) return "less than a day";
  if (d < 60) return `about ${count(Math.round(d), "day")}`;
  if (d < 730) return `about ${Math.round(d / 30.4)} months`;
  return `about ${Math.round(d / 365)} years`;
}

/** `n` of a thing, with its plural: "1 replica", "3 replicas". */
export const count = (n: number, one: string, many = `${one}s`) =>
  `${int(n)} ${n === 1 ? one : many}`;

/** The "From `file` (`npm run tool`)." line of a section built from another tool's results. */
export const source = (file: string | undefined, command: string) =>
  file ? `From \`${file}\` (\`npm run ${command}\`).` : "";

/** "1m05s", or "42s": how long something took or will take. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}
