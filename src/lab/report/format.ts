// How numbers look in every report: whole numbers with separators, milliseconds with two
// decimals below 10, ratios with a ×, and "-" for what was not measured.

type Maybe = number | null | undefined;

export const int = (n: Maybe) => (n == null ? "-" : Math.round(n).toLocaleString("en"));
/** A rate: one decimal below 10, whole numbers above. */
export const rate = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString("en"));
export const ms = (n: Maybe) => (n == null ? "-" : n < 10 ? n.toFixed(2) : n.toFixed(0));
export const times = (n: Maybe) => (n == null ? "-" : `${n.toFixed(2)}×`);
/** µs of CPU per request, with one decimal. */
export const us = (n: Maybe) => (n == null ? "-" : n.toFixed(1));
export const code = (s: string) => `\`${s}\``;
export const yesNo = (ok: boolean, bad = "**no**") => (ok ? "yes" : bad);

/** part / whole as a percentage, with two decimals when it is under 1%. */
export const pct = (part: number, whole: number) =>
  whole > 0 ? `${((part / whole) * 100).toFixed(part && part < whole / 100 ? 2 : 0)}%` : "-";

/** The "From `file` (`npm run tool`)." line of a section built from another tool's results. */
export const source = (file: string | undefined, command: string) =>
  file ? `From \`${file}\` (\`npm run ${command}\`).` : "";
