// Reading the lab's command-line flags, once for every tool: numbers, lists, approaches.
// Each parser names the flag and what it takes, so a mistake tells the user what to type.
import { APPROACHES, type Approach, isApproach } from "../../stores/index.ts";
import { nearest } from "./unknown-flags.ts";

/** " (did you mean "sqlite"?)" when a known value is near enough, else nothing. */
function didYouMean(value: string, known: readonly string[]): string {
  const near = nearest(value, known);
  return near ? ` (did you mean "${near}"?)` : "";
}

/** A flag that must be a whole number of at least `min`; `fallback` when it is absent. */
export function wholeArg(v: string | undefined, fallback: number, flag: string, min = 1): number {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`${flag} must be a whole number of at least ${min}, not "${v}"`);
  return n;
}

/** A flag that must be a number from `min` to `max`; `fallback` when it is absent. */
export function numberArg(
  v: string | undefined,
  fallback: number,
  flag: string,
  { min = 0, max = Number.POSITIVE_INFINITY, above = false } = {},
): number {
  const n = v === undefined ? fallback : Number(v);
  const low = above ? n > min : n >= min;
  if (!Number.isFinite(n) || !low || n > max) {
    const range = `${above ? "above" : "of at least"} ${min}${Number.isFinite(max) ? ` and at most ${max}` : ""}`;
    throw new Error(`${flag} must be a number ${range}, not "${v}"`);
  }
  return n;
}

/** A comma-separated flag: its items, trimmed, or `fallback` when it is absent. */
export function listArg(v: string | undefined, flag: string): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error(`${flag} needs at least one value`);
  return items;
}

/** Items of a list flag that must each be one of `known`. */
export function choicesArg<T extends string>(
  v: string | undefined,
  known: readonly T[],
  fallback: readonly T[],
  flag: string,
): T[] {
  const items = listArg(v, flag) ?? [...fallback];
  for (const item of items)
    if (!(known as readonly string[]).includes(item))
      throw new Error(
        `${flag}: unknown "${item}"${didYouMean(item, known)}; choose from ${known.join(", ")}`,
      );
  return items as T[];
}

/** --approaches: each a known approach; `fallback` when absent. */
export function approachesArg(v: string | undefined, fallback: readonly Approach[]): Approach[] {
  const items = listArg(v, "--approaches") ?? [...fallback];
  for (const a of items)
    if (!isApproach(a))
      throw new Error(
        `--approaches: unknown approach "${a}"${didYouMean(a, APPROACHES)}; choose from ${APPROACHES.join(", ")}`,
      );
  return items as Approach[];
}
